"""The one-time code an approved authorization request yields (RFC 6749 4.1.2)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from oauthcore import crypto, scopes
from oauthcore.conf import oauth_settings
from oauthcore.models import AuthorizationCode
from oauthcore.server.authorization.request import AuthorizationRequest


def issue_code(
    request: AuthorizationRequest,
    user,
    names: list[str],
    *,
    auth_time: datetime | None,
    session_id: str = "",
) -> str:
    """Store a one-time code for ``names`` and return its raw value (RFC 6749 4.1.2).

    ``auth_time`` is when the session that approved signed in (``logins.auth_time()``).
    """
    raw = crypto.new_token()
    AuthorizationCode.objects.create(
        token_hash=crypto.hash_token(raw),
        client=request.client,
        user=user,
        # Empty when the request named none: the token request then need not (RFC 6749 4.1.3).
        redirect_uri=request.redirect_uri if request.redirect_uri_sent else "",
        scope=scopes.join(names),
        resources=request.resources,
        code_challenge=request.code_challenge,
        nonce=request.nonce,
        auth_time=auth_time,
        session_id=session_id,
        dpop_jkt=request.dpop_jkt,  # RFC 9449 10: redeemed only with a proof of this key
        expires_at=timezone.now() + oauth_settings.AUTHORIZATION_CODE_LIFETIME,
    )
    return raw
