"""What the grants share: the token response body, the ID token, refresh-token families."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from oauthcore import crypto, errors
from oauthcore.adapter import get_adapter
from oauthcore.conf import oauth_settings
from oauthcore.models import Client, RefreshToken
from oauthcore.oidc import id_tokens
from oauthcore.server import issuance

Params = dict[str, Any]  # strings; a repeatable parameter (``resource``) is a list


def required(params: Params, name: str) -> str:
    """Return the non-empty parameter ``name``, else raise ``invalid_request``."""
    value = params.get(name)
    if not value:
        raise errors.InvalidRequest(f"The {name} parameter is required.")
    return value


def token_response(access: issuance.IssuedToken, refresh: str | None = None) -> dict[str, Any]:
    """Return the body of a successful token response (RFC 6749 5.1)."""
    body = {
        "access_token": access.value,
        "token_type": access.token_type,
        "expires_in": access.expires_in,
        "scope": access.claims["scope"],
    }
    if refresh:
        body["refresh_token"] = refresh
    return body


def with_id_token(body: dict[str, Any], grant: dict[str, Any], **fields) -> dict[str, Any]:
    """Add an ID token when ``openid`` was granted (OIDC Core 3.1.3.3, 12.2)."""
    if "openid" in body["scope"].split():
        granted = {"access_token": body["access_token"], "scope": body["scope"].split()}
        body["id_token"] = id_tokens.issue(**grant, **granted, **fields)
    return body


def check_user(client: Client, user) -> None:
    """Refuse a grant whose user the adapter no longer allows to use ``client``."""
    if not get_adapter().is_user_allowed(client=client, user=user):
        raise errors.InvalidGrant("The user may no longer use this client.")


def refresh_lifetime(client: Client) -> timedelta:
    """Return the absolute lifetime of a new refresh-token family of ``client``."""
    return client.refresh_token_lifetime or oauth_settings.REFRESH_TOKEN_LIFETIME


def add_to_family(
    family_id: uuid.UUID, *, access: issuance.IssuedToken, now: datetime, **fields
) -> str:
    """Store a new refresh token of a family with the access token issued with it; return it raw."""
    raw = crypto.new_token()
    RefreshToken.objects.create(
        token_hash=crypto.hash_token(raw),
        family_id=family_id,
        created_at=now,
        access_token_jti=access.jti,
        access_token_expires_at=access.expires_at,
        **fields,
    )
    return raw
