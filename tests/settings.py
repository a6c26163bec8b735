"""Test settings: the example project with fast hashing and keys reread on every use.

The database and cache come from DATABASE_URL and CACHE_URL, so the same suite runs on SQLite
and on PostgreSQL + Redis.
"""

from datetime import timedelta

from example_project.settings import *  # noqa: F403
from example_project.settings import OAUTHCORE, database, env

DATABASES = {"default": database(default="sqlite:///:memory:")}
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
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
