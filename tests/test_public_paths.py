"""Every import path a user writes keeps working: settings, URLs, DRF classes, the adapter,
signals, testing helpers, templates and management commands (docs/architecture.md, "The public
surface"), and every ``oauthcore.…`` path or ``from oauthcore… import …`` line in README.md and
docs/ resolves to something real.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import get_commands
from django.template.loader import get_template
from django.utils.module_loading import import_string

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# What a project names in its code or settings (docs/architecture.md lists the same).
PUBLIC = [
    "oauthcore.urls.urlpatterns",
    "oauthcore.apps.OAuthCoreConfig",
    "oauthcore.conf.oauth_settings",
    "oauthcore.adapter.Adapter",
    "oauthcore.adapter.get_adapter",
    "oauthcore.errors.OAuthError",
    "oauthcore.errors.InvalidToken",
    "oauthcore.errors.InsufficientScope",
    "oauthcore.models.Client",
    "oauthcore.models.AuthorizationCode",
    "oauthcore.models.RefreshToken",
    "oauthcore.models.Consent",
    "oauthcore.models.SigningKey",
    "oauthcore.models.RevokedAccessToken",
    "oauthcore.models.AuditEvent",
    "oauthcore.models.InitialAccessToken",
    "oauthcore.resource_server.protected_resource.metadata_path",
    *(
        f"oauthcore.signals.{name}"
        for name in (
            "token_issued",
            "token_refreshed",
            "refresh_token_reused",
            "token_revoked",
            "consent_granted",
            "consent_revoked",
            "token_denied",
            "client_created",
            "client_secret_rotated",
            "client_deactivated",
            "signing_key_rotated",
            "sessions_ended",
        )
    ),
    "oauthcore.contrib.rest_framework.authentication.JWTAuthentication",
    "oauthcore.contrib.rest_framework.permissions.HasScope",
    "oauthcore.decorators.require_scopes",
    "oauthcore.testing.authorization_header",
    "oauthcore.testing.make_access_token",
    "oauthcore.tokens.AccessToken",
    "oauthcore.users.TokenUser",
    "oauthcore.logging.JSONFormatter",
    "oauthcore.views.connected_apps.ConnectedAppsView",
    "oauthcore.admin.end_sessions",
]
TEMPLATES = [
    "oauthcore/base.html",
    "oauthcore/consent.html",
    "oauthcore/error.html",
    "oauthcore/connected_apps.html",
    "oauthcore/logout.html",
    "oauthcore/logged_out.html",
]
COMMANDS = [
    "createclient",
    "createregistrationtoken",
    "rotatekeys",
    "cleartokens",
    "seeddemo",
    "endsessions",
]

DOTTED = re.compile(r"[`\"'](oauthcore(?:\.[A-Za-z_]\w*)+)[`\"']")
FROM_IMPORT = re.compile(r"^\s*from (oauthcore[\w.]*) import ([\w, ]+)$", re.MULTILINE)
NOT_PATHS = re.compile(r"oauthcore\.[EW]\d+|oauthcore\.auth_time")  # check ids, a session key


def documented_paths() -> list[str]:
    found = set()
    for document in DOCUMENTS:
        text = document.read_text()
        found.update(p for p in DOTTED.findall(text) if not NOT_PATHS.fullmatch(p))
        for module, names in FROM_IMPORT.findall(text):
            found.update(f"{module}.{name.strip()}" for name in names.split(","))
    return sorted(found)


def resolve(path: str):
    try:
        return import_string(path)
    except ImportError:
        return __import__(path, fromlist=["_"])  # a module named on its own


@pytest.mark.parametrize("path", PUBLIC)
def test_a_public_path_imports(path):
    assert resolve(path) is not None


@pytest.mark.parametrize("path", documented_paths())
def test_a_path_the_docs_name_imports(path):
    assert resolve(path) is not None


def test_the_docs_name_the_public_paths():
    documented = documented_paths()
    assert "oauthcore.tokens.AccessToken" in documented
    assert "oauthcore.decorators.require_scopes" in documented
    assert len(documented) >= 10


def test_the_public_classes_are_the_ones_the_server_uses():
    """The documented names are the real objects, not copies that would drift."""
    from oauthcore.ops import logging as ops_logging
    from oauthcore.resource_server import access_tokens, decorators, users

    assert import_string("oauthcore.tokens.AccessToken") is access_tokens.AccessToken
    assert import_string("oauthcore.users.TokenUser") is users.TokenUser
    assert import_string("oauthcore.decorators.require_scopes") is decorators.require_scopes
    assert import_string("oauthcore.logging.JSONFormatter") is ops_logging.JSONFormatter


@pytest.mark.parametrize("name", TEMPLATES)
def test_an_overridable_template_loads(name):
    assert get_template(name) is not None


def test_the_management_commands_are_there():
    commands = get_commands()
    assert {name: commands.get(name) for name in COMMANDS} == dict.fromkeys(COMMANDS, "oauthcore")
