"""Settings of the benchmark project: oauthcore and django-oauth-toolkit in one Django.

``BENCH_DB`` picks the database: ``sqlite`` (a file next to this module, the default) or
``postgres`` (``bench_oauth`` at 127.0.0.1:5432, created and dropped by ``bench/http_bench.py``).
Both contenders share the middleware, the cache and Django's default password hashers
(django-oauth-toolkit hashes client secrets with the first one, PBKDF2). ``BENCH_CACHE_URL`` picks
the cache: local memory by default (the SQLite half), Redis for the PostgreSQL half (production's
configuration; ``http_bench.py`` sets it). ``BENCH_SINGLE_USE_STORE`` forces where DPoP ``jti``s
go (``cache`` or ``database``; default ``auto``, as in oauthcore).
"""

import os
from datetime import timedelta
from pathlib import Path

import environ

HERE = Path(__file__).resolve().parent
ISSUER = "http://127.0.0.1:8100"

SECRET_KEY = "bench-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "oauth2_provider",
    "oauthcore",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "bench.project.urls"
WSGI_APPLICATION = "bench.project.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
if os.environ.get("BENCH_DB", "sqlite") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("BENCH_PG_NAME", "bench_oauth"),
            "USER": "postgres",
            "HOST": "127.0.0.1",
            "PORT": "5432",
            "CONN_MAX_AGE": 600,
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("BENCH_SQLITE", str(HERE / "bench.sqlite3")),
            "CONN_MAX_AGE": 600,  # persistent connections, as on PostgreSQL
            # Two workers write at once: WAL and BEGIN IMMEDIATE avoid "database is locked".
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
CACHES = {"default": environ.Env().cache("BENCH_CACHE_URL", default="locmemcache://")}
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
REST_FRAMEWORK = {"UNAUTHENTICATED_USER": None}
LOGGING = {"version": 1, "disable_existing_loggers": False}

OAUTHCORE = {
    "ISSUER": ISSUER,
    "SCOPES": {"read": "Read"},
    "ACCESS_TOKEN_LIFETIME": timedelta(hours=1),  # the run outlives the default 15 minutes
    "SINGLE_USE_STORE": os.environ.get("BENCH_SINGLE_USE_STORE", "auto"),
}
OAUTH2_PROVIDER = {"SCOPES": {"read": "Read"}}
