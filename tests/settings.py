"""Test settings: the example project with fast hashing and keys reread on every use.

The database and cache come from DATABASE_URL and CACHE_URL, so the same suite runs on SQLite
and on PostgreSQL + Redis.

Under pytest-xdist (``make test`` runs the suite in several processes) each process has a Redis
database of its own, the one ``CACHE_URL`` names plus its number (gw0: +0, gw1: +1, ...), since
every test begins by emptying the cache.
"""

import os
import re
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from example_project.settings import *  # noqa: F403
from example_project.settings import OAUTHCORE, database, env

DATABASES = {"default": database(default="sqlite:///:memory:")}
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
_worker = re.fullmatch(r"gw(\d+)", os.environ.get("PYTEST_XDIST_WORKER", ""))
if _worker and "redis" in CACHES["default"]["BACKEND"].lower():
    _url = urlsplit(CACHES["default"]["LOCATION"])
    _db = int(_url.path.strip("/") or 0) + int(_worker[1])
    CACHES["default"]["LOCATION"] = urlunsplit(_url._replace(path=f"/{_db}"))
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

OAUTHCORE = {
    **OAUTHCORE,
    "ISSUER": "http://testserver",
    "KEY_CACHE_TTL": timedelta(0),
}

# The database queue, as in production: tests run the queued tasks (``db_worker --batch``) or a
# worker process; a test may switch to the immediate backend.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
