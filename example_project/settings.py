"""Settings of the example project, all from the environment (see README "Configuration")."""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env(
    DEBUG=(bool, True),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost", "[::1]"]),
)

SECRET_KEY = env("SECRET_KEY", default="django-insecure-oauthcore-example-only")
DEBUG = env("DEBUG")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_tasks",  # the backport of Django 6's tasks framework
    "django_tasks_db",  # its database backend: run `manage.py db_worker` (docs/deployment.md)
    "oauthcore",
    "example_project",
]

# Back-channel logout tokens are delivered by a task worker, off the user's sign-out.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of each page from the browser's Accept-Language (docs/translations.md).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"
ASGI_APPLICATION = "example_project.asgi.application"  # Django and the MCP server (make demo)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database(default: str) -> dict:
    """Return ``DATABASE_URL`` as a Django database, made safe for transaction pooling if asked.

    Behind PgBouncer in transaction pooling mode (``DATABASE_TRANSACTION_POOLING=true``) two
    transactions of one connection may run on different server connections: no server-side
    cursor (``QuerySet.iterator()`` would declare one) and no prepared statement (psycopg 3
    prepares a query after 5 runs) may outlive its transaction (docs/deployment.md, PgBouncer).
    Other databases are left as they are (a SQLite file beside a pooled PostgreSQL).
    """
    database = env.db("DATABASE_URL", default=default)
    pooled = env.bool("DATABASE_TRANSACTION_POOLING", default=False)
    if pooled and database["ENGINE"] == "django.db.backends.postgresql":
        database["DISABLE_SERVER_SIDE_CURSORS"] = True
        database.setdefault("OPTIONS", {})["prepare_threshold"] = None
    return database


DATABASES = {"default": database(default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"  # the default, when the browser asks for no language listed below
# The languages oauthcore ships (oauthcore/locale); the example project's own strings and scope
# texts are translated in example_project/locale (docs/translations.md).
LANGUAGES = [
    ("en", "English"),
    ("ar", "العربية"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("fr", "Français"),
    ("it", "Italiano"),
    ("ja", "日本語"),
    ("nl", "Nederlands"),
    ("pl", "Polski"),
    ("pt-br", "Português (Brasil)"),
    ("zh-hans", "简体中文"),
]
LOCALE_PATHS = [BASE_DIR / "example_project" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "oauthcore.contrib.rest_framework.authentication.JWTAuthentication",
    ],
    "UNAUTHENTICATED_USER": None,
}

_issuer = env("OAUTHCORE_ISSUER", default="http://127.0.0.1:8000")
OAUTHCORE = {
    "ISSUER": _issuer,
    # RFC 8707: the example API's own resource, the MCP server's (example_project/mcp_server.py,
    # docs/mcp.md), plus the comma list of OAUTHCORE_RESOURCES.
    "RESOURCES": [
        f"{_issuer}/api/",
        f"{_issuer}/mcp",
        *env.list("OAUTHCORE_RESOURCES", default=[]),
    ],
    "KEY_CACHE_TTL": timedelta(seconds=env.float("OAUTHCORE_KEY_CACHE_TTL", default=30)),
    # RFC 7591: off (default) | open | token (see `manage.py createregistrationtoken`).
    "REGISTRATION": env("OAUTHCORE_REGISTRATION", default="off"),
    # https client_ids naming a client metadata document (docs/security.md).
    "CLIENT_ID_METADATA_DOCUMENTS": env.bool(
        "OAUTHCORE_CLIENT_ID_METADATA_DOCUMENTS", default=False
    ),
    # None, or "fapi2": the FAPI 2.0 Security Profile (docs/fapi.md); it needs an ES256, PS256
    # or EdDSA signing key (OAUTHCORE_SIGNING_ALGORITHM).
    "SECURITY_PROFILE": env("OAUTHCORE_SECURITY_PROFILE", default=None) or None,
    "SIGNING_ALGORITHM": env("OAUTHCORE_SIGNING_ALGORITHM", default="RS256"),
    # RFC 9449 8: ask DPoP proofs at the token endpoint for a server nonce (docs/dpop.md).
    "DPOP_NONCES": env.bool("OAUTHCORE_DPOP_NONCES", default=False),
    # In development, clients chosen URLs may be plain http on this machine.
    "FETCH_ALLOW_LOOPBACK": DEBUG,
    # Consent texts are lazy translations: each consent screen shows them in the user's language.
    "SCOPES": {
        "read:profile": _("Read your profile info"),
        "write:profile": _("Update your profile"),
        "read:email": _("Read your email address"),
        "read:contacts": _("Read your contacts list"),
        "publish": _("Publish content"),
        "openid": _("Sign you in with your account"),
        "profile": _("See your name and username"),
        "email": _("See your email address"),
    },
}
