"""OpenID Connect Back-Channel Logout 1.0 2.4: the Logout Token, a JWT typed ``logout+jwt``,
signed like ID tokens (the jose keyring)."""

from __future__ import annotations

import secrets
from datetime import datetime

import jwt
from django.utils import timezone

from oauthcore.adapter import get_adapter
from oauthcore.conf import oauth_settings
from oauthcore.jose import keyring
from oauthcore.models import Client

LOGOUT_TOKEN_TYPE = "logout+jwt"  # Back-Channel Logout 2.4 (explicit typing, RFC 8725 3.11)
EVENT = "http://schemas.openid.net/event/backchannel-logout"


def logout_token(*, client: Client, user, sid: str = "", now: datetime | None = None) -> str:
    """Sign a Logout Token for ``client`` (Back-Channel Logout 2.4): ``sub`` when the user is
    known, ``sid`` when the session is; never a ``nonce``."""
    key = keyring.signing_key()
    iat = int((now or timezone.now()).timestamp())
    claims = {
        "iss": oauth_settings.ISSUER,
        "aud": client.client_id,
        "iat": iat,
        "exp": iat + int(oauth_settings.BACKCHANNEL_LOGOUT_TOKEN_LIFETIME.total_seconds()),
        "jti": secrets.token_urlsafe(24),
        "events": {EVENT: {}},
    }
    if user is not None:
        claims["sub"] = get_adapter().get_subject(user=user, client=client)
    if sid:
        claims["sid"] = sid
    headers = {"typ": LOGOUT_TOKEN_TYPE, "kid": key.kid}
    return jwt.encode(claims, key.private_key, algorithm=key.algorithm, headers=headers)
