"""ASGI entry point of the benchmark project: uvicorn serves it for the ASGI rows of ``make bench``."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.project.settings")

application = get_asgi_application()
