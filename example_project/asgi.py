"""ASGI entry point of the example project: Django, and the MCP server beside it.

    uvicorn example_project.asgi:application --host 127.0.0.1 --port 8000

``/mcp`` and its RFC 9728 metadata (``/.well-known/oauth-protected-resource/mcp``) go to the MCP
server (example_project/mcp_server.py, the official MCP Python SDK's Starlette app); everything else
goes to Django (the static files too when ``DEBUG`` is on, as ``runserver`` serves them). The
lifespan events go to the MCP server, whose session manager runs for the life of the process.
The MCP server is stateless, so ``uvicorn --workers N`` needs no sticky sessions (docs/mcp.md, 4).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")

django_application = get_asgi_application()  # sets Django up before the MCP server imports models

from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from example_project import mcp_server  # noqa: E402

if settings.DEBUG:
    django_application = ASGIStaticFilesHandler(django_application)
mcp_application = mcp_server.build_app()


async def application(scope, receive, send):
    """Send the MCP server's paths and the lifespan events to it, the rest to Django."""
    if scope["type"] == "lifespan" or (scope["type"] == "http" and mcp_server.owns(scope["path"])):
        await mcp_application(scope, receive, send)
    else:
        await django_application(scope, receive, send)
