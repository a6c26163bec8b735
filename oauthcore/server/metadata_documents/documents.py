"""Read a fetched client ID metadata document into a client's settings (draft 4, MCP profile).

The document is an RFC 7591 client metadata object, read by the same parser
(``client_metadata``) and checked by the same rules (``registration.validate``) as a
registration. On top of that its ``client_id`` member must be the URL it was fetched from,
character for character, and it needs a ``client_name`` and ``redirect_uris`` (the MCP
authorization spec requires both). A document has no shared secret (draft 4.1): its client is
public and authenticates with ``none`` (the default here), or is confidential and authenticates
with ``private_key_jwt`` (RFC 7523) by the keys its ``jwks_uri`` publishes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oauthcore import errors, scopes
from oauthcore.conf import oauth_settings
from oauthcore.models import Client
from oauthcore.server import client_metadata, registration

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
    client_type: str = Client.ClientType.PUBLIC
    token_endpoint_auth_method: str = Client.TokenEndpointAuthMethod.NONE
    jwks_uri: str = ""  # where its public keys are (required with private_key_jwt)


def _check_authentication(document: dict, method: str) -> None:
    """Refuse shared secrets and private keys (draft 4.1), and methods not supported here."""
    if "client_secret" in document or "client_secret_expires_at" in document:
        raise InvalidDocument("It must not contain a client_secret.")
    if method in SECRET_METHODS:
        raise InvalidDocument(f"It cannot use {method}: a metadata document has no shared secret.")
    jwks = document.get("jwks")
    keys = jwks.get("keys", []) if isinstance(jwks, dict) else []
    if any(isinstance(key, dict) and PRIVATE_KEY_MEMBERS & set(key) for key in keys):
        raise InvalidDocument("It must not contain private key material.")
    if method == "private_key_jwt":
        if not isinstance(document.get("jwks_uri"), str):
            raise InvalidDocument("private_key_jwt needs a jwks_uri in the document.")
        return
    if method != "none":
        raise InvalidDocument(f"Unsupported token_endpoint_auth_method: {method!r}.")


def _scopes(scope: str | None) -> list[str]:
    """The registered scopes it may ask for: those its ``scope`` member names, else all.

    A document serves many servers, so scopes unknown here are left out rather than refused.
    """
    if scope is None:
        return list(oauth_settings.SCOPES)
    try:
        asked = scopes.parse(scope)
    except errors.InvalidScope as e:
        raise InvalidDocument("Its scope member is not a list of scopes.") from e
    known = set(oauth_settings.SCOPES)
    return [name for name in asked if name in known]


def parse(url: str, body: bytes) -> tuple[dict[str, Any], Settings]:
    """Return the document fetched from ``url`` and the client settings it registers."""
    try:
        document = client_metadata.loads(body)
        if not isinstance(document, dict):
            raise InvalidDocument("It is not a JSON object.")
        # A document has no secret: its default method is none, not RFC 7591's basic.
        values = client_metadata.parse({"token_endpoint_auth_method": "none", **document})
    except errors.InvalidClientMetadata as e:
        raise InvalidDocument(e.description) from e
    if document.get("client_id") != url:
        raise InvalidDocument("Its client_id member is not the URL it was fetched from.")
    method = values.token_endpoint_auth_method
    _check_authentication(document, method)
    keyed = method == Client.TokenEndpointAuthMethod.PRIVATE_KEY_JWT
    if not values.client_name:
        raise InvalidDocument("It needs a client_name.")
    if document.get("redirect_uris") is None:
        raise InvalidDocument("It needs redirect_uris.")
    settings = Settings(
        name=values.client_name[:MAX_NAME_LENGTH],
        redirect_uris=list(dict.fromkeys(values.redirect_uris)),
        post_logout_redirect_uris=list(dict.fromkeys(values.post_logout_redirect_uris)),
        grant_types=list(dict.fromkeys(values.grant_types)),
        allowed_scopes=_scopes(values.scope),
        client_type=Client.ClientType.CONFIDENTIAL if keyed else Client.ClientType.PUBLIC,
        token_endpoint_auth_method=method,
        jwks_uri=values.kept.get("jwks_uri", ""),  # its keys: assertions, request objects
    )
    try:
        registration.validate(
            client_type=settings.client_type,
            grant_types=settings.grant_types,
            redirect_uris=settings.redirect_uris,
            scope_names=settings.allowed_scopes,
            post_logout_redirect_uris=settings.post_logout_redirect_uris,
            token_endpoint_auth_method=method,
            response_types=values.response_types,
            application_type=values.application_type,
            self_registered=True,
        )
    except errors.InvalidClientMetadata as e:
        raise InvalidDocument(e.description) from e
    return document, settings
