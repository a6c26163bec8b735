"""Token introspection (RFC 7662): find the token a client presents, and say if it is active.

Shared with revocation (RFC 7009): both look a token up as an access token (a JWT we signed) and
as a refresh token (by its hash), in the order the ``token_type_hint`` suggests, trying the other
kind too. An unknown hint is ignored (RFC 7009 2.2.1 would allow ``unsupported_token_type``).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from django.utils import timezone

from oauthcore import errors
from oauthcore.adapter import get_adapter
from oauthcore.conf import oauth_settings
from oauthcore.models import Client, RefreshToken
from oauthcore.resource_server import access_tokens, denylist
from oauthcore.server import client_auth, resources

ACCESS_TOKEN = "access_token"
REFRESH_TOKEN = "refresh_token"


def inactive() -> dict[str, Any]:
    """Return the whole answer for any token the caller may not know about (RFC 7662 2.2)."""
    return {"active": False}


def lookup_order(hint: str | None) -> tuple[str, str]:
    """Return the token kinds to try, the hinted one first (RFC 7009 2.1, RFC 7662 2.1)."""
    if hint == REFRESH_TOKEN:
        return REFRESH_TOKEN, ACCESS_TOKEN
    return ACCESS_TOKEN, REFRESH_TOKEN


def _claimed_client_id(raw: str) -> str | None:
    """Return the unverified ``client_id`` claim of a JWT, to know which audience to check."""
    segments = raw.split(".")
    if len(raw) > oauth_settings.MAX_TOKEN_LENGTH or len(segments) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(segments[1] + "=" * (-len(segments[1]) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        return None
    value = payload.get("client_id") if isinstance(payload, dict) else None
    return value if isinstance(value, str) else None


def find_access_token(raw: str) -> tuple[Client, access_tokens.AccessToken] | None:
    """Return the active client and the valid access token ``raw`` (revoked or not), or None."""
    client_id = _claimed_client_id(raw)
    client = client_auth.find(client_id)
    if client is None:
        return None
    try:
        token = access_tokens.decode(raw, audience=resources.audiences(client))
    except (errors.InvalidToken, RecursionError):  # a deeply nested JSON header
        return None
    return client, token


def find_refresh_token(raw: str) -> RefreshToken | None:
    """Return the refresh token ``raw`` in any state, with its client and user, or None."""
    if not raw or len(raw) > oauth_settings.MAX_TOKEN_LENGTH:
        return None
    return RefreshToken.objects.lookup(raw, "client", "user")


def _user_of(owner: Client, token: access_tokens.AccessToken):
    """Return the active user an access token acts for, None for a client token, else False."""
    if token.is_client_token:
        return None
    adapter = get_adapter()
    found = adapter.get_user_by_subject(
        subject=token.subject, client=owner, client_id=owner.client_id
    )
    return found or False


def _describe_access(owner: Client, token: access_tokens.AccessToken) -> dict[str, Any]:
    """Return the RFC 7662 2.2 response for an access token, inactive if revoked or user gone."""
    user = _user_of(owner, token)
    if user is False or denylist.is_token_denied(token.claims):
        return inactive()
    names = ("scope", "client_id", "sub", "exp", "iat", "nbf", "aud", "iss", "jti")
    body = {"active": True, **{name: token.claims[name] for name in names if name in token.claims}}
    body["token_type"] = "Bearer"
    if isinstance(token.claims.get("cnf"), dict):  # RFC 9449 6.2: the key the token is bound to
        body["cnf"] = token.claims["cnf"]
        body["token_type"] = "DPoP"
    if isinstance(token.claims.get("act"), dict):  # RFC 8693 4.1: who acts for the subject
        body["act"] = token.claims["act"]
    if user is not None:
        body["username"] = user.get_username()
    return body


def expires_at(token: RefreshToken) -> datetime:
    """Return when a refresh token dies: the family's end, or sooner if left idle."""
    idle = oauth_settings.REFRESH_TOKEN_IDLE_TIMEOUT
    return token.expires_at if idle is None else min(token.expires_at, token.created_at + idle)


def is_live(token: RefreshToken, now: datetime) -> bool:
    """Tell whether a refresh token would still refresh: unused, unrevoked, unexpired, allowed."""
    return (
        token.rotated_at is None
        and token.revoked_at is None
        and expires_at(token) > now
        and token.client.is_active
        and get_adapter().is_user_allowed(client=token.client, user=token.user)
    )


def _describe_refresh(token: RefreshToken, now: datetime) -> dict[str, Any]:
    """Return the RFC 7662 2.2 response for a refresh token."""
    if not is_live(token, now):
        return inactive()
    body = {
        "active": True,
        "scope": token.scope,
        "client_id": token.client.client_id,
        "sub": get_adapter().get_subject(user=token.user, client=token.client),
        "username": token.user.get_username(),
        "token_type": REFRESH_TOKEN,
        "exp": int(expires_at(token).timestamp()),
        "iat": int(token.created_at.timestamp()),
        "iss": oauth_settings.ISSUER,
    }
    if token.resources:
        body["aud"] = token.resources  # the resources granted (RFC 8707 2.2)
    return body


def _may_see(caller: Client, owner: Client) -> bool:
    return caller.pk == owner.pk or caller.can_introspect


def introspect(
    caller: Client, raw: str, *, hint: str | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """Describe the token ``raw`` to an authenticated ``caller`` (RFC 7662 2.2).

    Anything the caller may not see (another client's token, unless it ``can_introspect``) is
    just ``{"active": false}``, like an unknown, expired or revoked token.
    """
    now = now or timezone.now()
    for kind in lookup_order(hint):
        if kind == ACCESS_TOKEN and (found := find_access_token(raw)):
            owner, token = found
            return _describe_access(owner, token) if _may_see(caller, owner) else inactive()
        if kind == REFRESH_TOKEN and (refresh := find_refresh_token(raw)):
            return (
                _describe_refresh(refresh, now) if _may_see(caller, refresh.client) else inactive()
            )
    return inactive()
