"""django-oauth-toolkit's opaque access tokens, accepted while an API moves to oauthcore.

With ``ACCEPT_DOT_ACCESS_TOKENS`` on, a bearer token that is not a JWT is looked up in DOT's
access token table by its checksum (DOT 3's indexed ``token_checksum``, SHA-256 hex): one query,
joined with its application and user. A token DOT revoked (deleted) or that has expired is
refused, as is one whose client oauthcore deactivated or deleted (the deny-list). The answer is
an ``AccessToken`` shaped as a JWT's claims, so ``request.auth``, ``request.user`` and
``HasScope`` work unchanged (docs/migrating-from-dot.md lists the differences).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from typing import Any

from django.apps import apps
from django.utils import timezone

from oauthcore import errors
from oauthcore.adapter import get_adapter
from oauthcore.conf import oauth_settings
from oauthcore.resource_server.access_tokens import AccessToken

DOT_APP = "oauth2_provider"
JTI_PREFIX = "dot:"  # the jti of a DOT token: its row's primary key, never a JWT's jti


def applies(raw: str) -> bool:
    """Tell whether ``raw`` should be looked up in DOT's table: the setting is on, DOT is
    installed, and it is not a JWT (a compact JWS has two dots; DOT's tokens have none)."""
    return (
        oauth_settings.ACCEPT_DOT_ACCESS_TOKENS
        and raw.count(".") != 2
        and apps.is_installed(DOT_APP)
    )


def checksum(raw: str) -> str:
    """Return DOT 3's ``token_checksum`` of a raw token: the SHA-256 hex of its UTF-8 bytes."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def _row(raw: str):
    """Return DOT's access token row for ``raw`` with its application and user (one query)."""
    from oauth2_provider.models import get_access_token_model

    rows = get_access_token_model().objects.select_related("application", "user")
    return next(iter(rows.filter(token_checksum=checksum(raw))[:1]), None)


def _audiences(row, audience: str | Collection[str]) -> list[str]:
    """Return the token's audiences: its resources (RFC 8707), or, unrestricted, the accepted
    ones; refuse a token whose resources name none of them."""
    accepted = [audience] if isinstance(audience, str) else list(audience)
    resources = [name for name in (row.resource or []) if isinstance(name, str)]
    if resources and not set(resources) & set(accepted):
        raise errors.InvalidToken("The access token is for another audience.")
    return resources or accepted[:1]


def _claims(row, audiences: list[str]) -> dict[str, Any]:
    """Return the claims a JWT access token of the same grant would carry (RFC 9068 2.2)."""
    client_id = row.application.client_id if row.application else ""
    user = row.user
    subject = get_adapter().get_subject(user=user, client=None) if user else client_id
    return {
        "iss": oauth_settings.ISSUER,
        "sub": subject,
        "aud": audiences[0] if len(audiences) == 1 else audiences,
        "exp": int(row.expires.timestamp()),
        "iat": int(row.created.timestamp()),
        "jti": f"{JTI_PREFIX}{row.pk}",
        "client_id": client_id,
        "scope": row.scope,
    }


def decode(raw: str, *, audience: str | Collection[str] | None = None) -> AccessToken:
    """Return DOT's live access token ``raw`` as an ``AccessToken``, else ``InvalidToken``."""
    if len(raw) > oauth_settings.MAX_TOKEN_LENGTH:
        raise errors.InvalidToken("The access token is too long.")
    row = _row(raw)
    if row is None:
        raise errors.InvalidToken("The access token is invalid.")
    if row.expires <= timezone.now():
        raise errors.InvalidToken("The access token has expired.")
    if row.user is not None and not row.user.is_active:
        raise errors.InvalidToken("The user of the access token no longer exists.")
    return AccessToken(_claims(row, _audiences(row, audience or oauth_settings.audience)))
