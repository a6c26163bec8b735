"""A project moving from django-oauth-toolkit: the example project with DOT still installed.

Steps 1 and 2 of docs/migrating-from-dot.md are done: oauthcore is installed beside DOT (DOT's
URLs under /dot/), and the API accepts DOT's access tokens (``ACCEPT_DOT_ACCESS_TOKENS``). DOT
keeps its defaults: client secrets hashed with Django's first password hasher (PBKDF2).
"""

from example_project.settings import *  # noqa: F403
from example_project.settings import INSTALLED_APPS, OAUTHCORE

INSTALLED_APPS = [*INSTALLED_APPS, "oauth2_provider"]
ROOT_URLCONF = "tests.dot.urls"

# DOT's scopes: oauthcore's, and one this project never registered with oauthcore.
OAUTH2_PROVIDER = {
    "SCOPES": {**OAUTHCORE["SCOPES"], "legacy": "The old API"},
    "PKCE_REQUIRED": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
}
OAUTHCORE = {**OAUTHCORE, "ACCEPT_DOT_ACCESS_TOKENS": True}
