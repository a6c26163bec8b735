"""OpenID Connect ID tokens: ``issue()`` one with the code or refresh grant, ``decode_hint()`` one
sent back as ``id_token_hint`` at logout. PyJWT's exceptions stop here.

An ID token is signed by the same key as access tokens but typed ``JWT`` (not ``at+jwt``), so the
resource server refuses it as an access token and logout refuses an access token as a hint.
With ``HS256_SECRET`` the ID token is signed with that server-side secret, never the client's.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime
from typing import Any

import jwt
from django.utils import timezone

from oauthcore import errors
from oauthcore.adapter import get_adapter
from oauthcore.conf import oauth_settings
from oauthcore.jose import keyring

ID_TOKEN_TYPE = "JWT"
# Claims the protocol sets (OIDC Core 2, 3.1.3.6; Front-Channel Logout 3): an adapter's
# ``get_id_token_claims`` may not replace them.
PROTOCOL_CLAIMS = frozenset(
    {"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "auth_time", "nonce", "acr", "amr", "azp"}
    | {"at_hash", "c_hash", "s_hash", "sid", "client_id", "scope", "cnf"}
)
SESSION_KEY = "oauthcore_sid"
# OIDC Core 3.1.3.6: the hash of the alg's signature; Ed25519 signs with SHA-512 (OpenID
# Connect issue 1125, the practice of Keycloak, zitadel/oidc, openidconnect-rs).
HASHES = {
    "RS256": hashlib.sha256,
    "PS256": hashlib.sha256,
    "ES256": hashlib.sha256,
    "HS256": hashlib.sha256,
    "EdDSA": hashlib.sha512,
}


def session_id(request) -> str:
    """Return the ``sid`` of the user's browser session, made on first use (OIDC Front-Channel 2).

    It is random, not derived from the session key, and dies with the session at logout.
    """
    sid = request.session.get(SESSION_KEY)
    if not sid:
        sid = request.session[SESSION_KEY] = secrets.token_urlsafe(24)
    return sid


def token_hash(value: str, algorithm: str) -> str:
    """Return ``at_hash``: the left half of the alg's hash of ``value``, base64url (OIDC 3.1.3.6)."""
    digest = HASHES[algorithm](value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def issue(
    *,
    client,
    user,
    access_token: str,
    scope: list[str] | None = None,
    auth_time: datetime | None = None,
    nonce: str = "",
    sid: str = "",
    now: datetime | None = None,
) -> str:
    """Sign an ID token for ``user`` signed in to ``client`` (OIDC Core 2, 3.1.3.3, 12.2).

    ``scope`` is what the access token grants; the adapter's ``get_id_token_claims`` adds claims.
    """
    adapter = get_adapter()
    key = keyring.signing_key()
    iat = int((now or timezone.now()).timestamp())
    extra = adapter.get_id_token_claims(client=client, user=user, scopes=list(scope or []))
    claims = {name: value for name, value in extra.items() if name not in PROTOCOL_CLAIMS}
    claims |= {
        "iss": oauth_settings.ISSUER,
        "sub": adapter.get_subject(user=user, client=client),
        "aud": client.client_id,
        "exp": iat + int(oauth_settings.ID_TOKEN_LIFETIME.total_seconds()),
        "iat": iat,
        "at_hash": token_hash(access_token, key.algorithm),
    }
    if auth_time is not None:
        claims["auth_time"] = int(auth_time.timestamp())
    if nonce:
        claims["nonce"] = nonce
    if sid:
        claims["sid"] = sid
    headers = {"typ": ID_TOKEN_TYPE, "kid": key.kid}
    return jwt.encode(claims, key.private_key, algorithm=key.algorithm, headers=headers)


def decode_hint(raw: str) -> dict[str, Any]:
    """Return the claims of an ID token we issued, expired or not (OIDC RP-Initiated Logout 2).

    The signature, ``iss`` and ``typ`` are checked; anything else raises ``InvalidRequest``.
    """
    invalid = errors.InvalidRequest("The id_token_hint is not an ID token issued here.")
    if len(raw) > oauth_settings.MAX_TOKEN_LENGTH:
        raise invalid
    try:
        header = jwt.get_unverified_header(raw)
        kid = header.get("kid")
        key = keyring.find(kid) if isinstance(kid, str) else None
        if key is None or header.get("typ") != ID_TOKEN_TYPE:
            raise invalid
        return jwt.decode(
            raw,
            key.public_key,
            algorithms=[key.algorithm],
            issuer=oauth_settings.ISSUER,
            options={"verify_exp": False, "verify_aud": False, "require": ["sub", "aud"]},
        )
    except jwt.PyJWTError as e:
        raise invalid from e
