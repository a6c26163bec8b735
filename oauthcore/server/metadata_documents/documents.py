"""Read a fetched client ID metadata document into a client's settings (draft 4, MCP profile).

The document must be a JSON object whose ``client_id`` member is the URL it was fetched from,
character for character, with a ``client_name`` and ``redirect_uris`` (the MCP authorization
spec requires both). Its settings are then checked by the same rules as any other client
(``registration.validate``). A document has no shared secret (draft 4.1): its client is public
and authenticates with ``none``; ``private_key_jwt`` is refused until this server supports it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from oauthcore import errors, scopes
from oauthcore.conf import oauth_settings
from oauthcore.models import Client
from oauthcore.server import registration

MAX_NAME_LENGTH = 200  # Client.name
SECRET_METHODS = frozenset({"client_secret_basic", "client_secret_post", "client_secret_jwt"})
PRIVATE_KEY_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k"})


class InvalidDocument(Exception):
    """The document cannot describe a client; the message says why."""


@dataclass(frozen=True)
class Settings:
    """What a valid document registers."""

    name: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    grant_types: list[str]
    allowed_scopes: list[str]


def _strings(document: dict, member: str, default: list[str] | None = None) -> list[str]:
    value = document.get(member, default)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidDocument(f"Its {member} member must be a list of strings.")
    return list(dict.fromkeys(value))


def _name(document: dict) -> str:
    name = document.get("client_name")
    if not isinstance(name, str) or not name.strip() or not name.isprintable():
        raise InvalidDocument("It needs a client_name: a non-empty line of text.")
    return name.strip()[:MAX_NAME_LENGTH]


def _check_authentication(document: dict) -> None:
    """Refuse shared secrets and private keys (draft 4.1), and methods not supported here."""
    method = document.get("token_endpoint_auth_method", "none")
    if "client_secret" in document or "client_secret_expires_at" in document:
        raise InvalidDocument("It must not contain a client_secret.")
    if method in SECRET_METHODS:
        raise InvalidDocument(f"It cannot use {method}: a metadata document has no shared secret.")
    if method == "private_key_jwt":
        raise InvalidDocument("private_key_jwt is not supported by this server yet; use none.")
    if method != "none":
        raise InvalidDocument(f"Unsupported token_endpoint_auth_method: {method!r}.")
    keys = (
        document.get("jwks", {}).get("keys", []) if isinstance(document.get("jwks"), dict) else []
    )
    if any(isinstance(key, dict) and PRIVATE_KEY_MEMBERS & set(key) for key in keys):
        raise InvalidDocument("It must not contain private key material.")


def _scopes(document: dict) -> list[str]:
    """The registered scopes it may ask for: those its ``scope`` member names, else all.

    A document serves many servers, so scopes unknown here are left out rather than refused.
    """
    value = document.get("scope")
    if value is None:
        return list(oauth_settings.SCOPES)
    if not isinstance(value, str):
        raise InvalidDocument("Its scope member must be a string.")
    try:
        asked = scopes.parse(value)
    except errors.InvalidScope as e:
        raise InvalidDocument("Its scope member is not a list of scopes.") from e
    known = set(oauth_settings.SCOPES)
    return [name for name in asked if name in known]


def parse(url: str, body: bytes) -> tuple[dict[str, Any], Settings]:
    """Return the document fetched from ``url`` and the client settings it registers."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as e:  # RecursionError: nested too deep
        raise InvalidDocument("It is not JSON.") from e
    if not isinstance(document, dict):
        raise InvalidDocument("It is not a JSON object.")
    if document.get("client_id") != url:
        raise InvalidDocument("Its client_id member is not the URL it was fetched from.")
    _check_authentication(document)
    if "redirect_uris" not in document:
        raise InvalidDocument("It needs redirect_uris.")
    settings = Settings(
        name=_name(document),
        redirect_uris=_strings(document, "redirect_uris"),
        post_logout_redirect_uris=_strings(document, "post_logout_redirect_uris", []),
        grant_types=_strings(document, "grant_types", [Client.GrantType.AUTHORIZATION_CODE]),
        allowed_scopes=_scopes(document),
    )
    try:
        registration.validate(
            client_type=Client.ClientType.PUBLIC,
            grant_types=settings.grant_types,
            redirect_uris=settings.redirect_uris,
            scope_names=settings.allowed_scopes,
            post_logout_redirect_uris=settings.post_logout_redirect_uris,
            token_endpoint_auth_method=Client.TokenEndpointAuthMethod.NONE,
        )
    except errors.InvalidClientMetadata as e:
        raise InvalidDocument(e.description) from e
    return document, settings
