"""An API that runs apart from the authorization server: keys come from the issuer's JWKS.

No oauthcore table is used: users are not loaded (``TokenUser``) and the deny-list is off
(``CHECK_REVOKED_TOKENS``: it lives in the issuer's database and cache, not shared here), so
the database below is never opened. ``oauthcore`` is installed for its system checks only.
"""

from datetime import timedelta

import environ

env = environ.Env()

ISSUER = env("APIONLY_ISSUER", default="http://127.0.0.1:8000")

SECRET_KEY = env("SECRET_KEY", default="django-insecure-apionly-example")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "oauthcore",
]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "tests.apionly.urls"
WSGI_APPLICATION = "tests.apionly.wsgi.application"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["tests.apionly.authentication.TokenOnlyAuthentication"],
    "UNAUTHENTICATED_USER": None,
}

OAUTHCORE = {
    "ISSUER": ISSUER,
    "JWKS_URL": ISSUER + "/oauth/jwks.json",
    "JWKS_MIN_REFETCH_INTERVAL": timedelta(
        seconds=env.float("APIONLY_JWKS_MIN_REFETCH_INTERVAL", default=30)
    ),
    "JWKS_CACHE_TTL": timedelta(seconds=env.float("APIONLY_JWKS_CACHE_TTL", default=600)),
    "CHECK_REVOKED_TOKENS": False,
}
