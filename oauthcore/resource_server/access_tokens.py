"""Validating RFC 9068 JWT access tokens: ``decode()`` and ``AccessToken``. PyJWT's exceptions stop here."""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import time
from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import jwt

from oauthcore import errors
from oauthcore.conf import oauth_settings
from oauthcore.jose import keyring, keys
from oauthcore.resource_server import jwks_client

ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")
REGISTERED_CLAIMS = frozenset(
    {"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", "scope", "auth_time"}
)
REQUIRED_CLAIMS = ["iss", "sub", "aud", "exp", "iat", "jti", "client_id"]
# header.payload.signature, each base64url without padding (RFC 7515 2, 7.1)
COMPACT_JWS = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)")
B64URL_VALUES = {
    char: value
    for value, char in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
}
# The verifiers of the algorithms our keys use (PyJWT's, called directly: one parse per token).
VERIFIERS = {
    name: jwt.get_algorithm_by_name(name) for name in ("RS256", "PS256", "ES256", "EdDSA", "HS256")
}


@dataclass(frozen=True)
class AccessToken:
    """A validated access token: what ``request.auth`` is for the resource server."""

    claims: dict[str, Any]

    @cached_property
    def scopes(self) -> frozenset[str]:
        return frozenset(str(self.claims.get("scope", "")).split())

    @property
    def client_id(self) -> str:
        return self.claims["client_id"]

    @property
    def subject(self) -> str:
        return self.claims["sub"]

    @property
    def jti(self) -> str:
        return self.claims["jti"]

    @property
    def is_client_token(self) -> bool:
        """True for client-credentials tokens, which act for the client, not for a user."""
        return self.claims.get("auth_time") is None and self.subject == self.client_id

    def has_scopes(self, required) -> bool:
        return self.scopes.issuperset(required)


def _segment(segment: str) -> bytes:
    """Decode one base64url segment, refusing non-canonical forms (RFC 7515 2, RFC 4648 3.5)."""
    rest = len(segment) % 4
    if rest == 1 or (rest and B64URL_VALUES[segment[-1]] & (0x0F if rest == 2 else 0x03)):
        raise ValueError("non-canonical base64url")
    return base64.urlsafe_b64decode(segment + "=" * (-rest % 4))


def _split(raw: str) -> tuple[dict[str, Any], bytes, bytes, bytes]:
    """Return a compact JWS's header, signing input, payload and signature (RFC 7515 7.1)."""
    if len(raw) > oauth_settings.MAX_TOKEN_LENGTH:
        raise errors.InvalidToken("The access token is too long.")
    match = COMPACT_JWS.fullmatch(raw)
    if match is None:
        raise errors.InvalidToken("The access token is malformed.")
    head, body, tail = match.groups()
    try:
        header = json.loads(_segment(head))
        payload, signature = _segment(body), _segment(tail)
    except (ValueError, binascii.Error, RecursionError) as e:  # RecursionError: nested JSON
        raise errors.InvalidToken("The access token is malformed.") from e
    # "crit": we understand no extension, so a token that requires one is refused (RFC 7515 4.1.11).
    if not isinstance(header, dict) or "crit" in header:
        raise errors.InvalidToken("The access token is malformed.")
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower() not in ACCESS_TOKEN_TYPES:
        raise errors.InvalidToken("The token is not an access token (typ must be at+jwt).")
    return header, f"{head}.{body}".encode(), payload, signature


def trusted_key(kid: str) -> keys.Key | None:
    """Return the key named ``kid`` that may sign access tokens: the issuer's JWKS when
    ``JWKS_URL`` is set (a resource server in another project), else this project's keys."""
    if oauth_settings.JWKS_URL:
        return jwks_client.find(kid)
    return keyring.find(kid)


def _verify(header: dict[str, Any], signing_input: bytes, signature: bytes) -> keys.Key:
    """Check the signature with our key named by ``kid``, in that key's algorithm (RFC 8725 3.1)."""
    kid = header.get("kid")
    key = trusted_key(kid) if isinstance(kid, str) else None
    if key is None:
        raise errors.InvalidToken("The access token was signed by an unknown key.")
    if header.get("alg") != key.algorithm:
        raise errors.InvalidToken("The access token algorithm is not its key's.")
    try:
        valid = VERIFIERS[key.algorithm].verify(signing_input, key.public_key, signature)
    except (ValueError, TypeError) as e:
        raise errors.InvalidToken("The access token signature is invalid.") from e
    if not valid:
        raise errors.InvalidToken("The access token signature is invalid.")
    return key


def _is_time(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _names_one_of(aud: Any, audience: Collection[str]) -> bool:
    """Tell whether the ``aud`` claim names one of the accepted audiences (RFC 7519 4.1.3)."""
    if isinstance(aud, str):
        return aud in audience
    return isinstance(aud, list) and any(isinstance(name, str) and name in audience for name in aud)


def _check_claims(claims: dict[str, Any], audience: str | Collection[str], now: float) -> None:
    """Check the claims RFC 9068 4 requires: iss, aud, exp, nbf, iat and the rest present."""
    for name in REQUIRED_CLAIMS:
        if name not in claims:
            raise errors.InvalidToken(f"The access token has no {name} claim.")
    skew = oauth_settings.CLOCK_SKEW.total_seconds()
    exp, iat, nbf = claims["exp"], claims["iat"], claims.get("nbf", claims["iat"])
    if not (_is_time(exp) and _is_time(iat) and _is_time(nbf)):
        raise errors.InvalidToken("The access token is invalid.")
    if exp <= now - skew:
        raise errors.InvalidToken("The access token has expired.")
    if nbf > now + skew or iat > now + skew:
        raise errors.InvalidToken("The access token is not valid yet.")
    if claims["iss"] != oauth_settings.ISSUER:
        raise errors.InvalidToken("The access token is from another issuer.")
    aud = claims["aud"]
    if isinstance(audience, str):
        accepted = audience == aud or (isinstance(aud, list) and audience in aud)
    else:
        accepted = _names_one_of(aud, audience)
    if not accepted:
        raise errors.InvalidToken("The access token is for another audience.")
    if not all(isinstance(claims[name], str) for name in ("sub", "jti", "client_id")):
        raise errors.InvalidToken("The access token is invalid.")


# Tokens whose signature this process checked: raw token -> (the key that verified it, claims).
# A hit skips only the signature check; claims (exp, nbf, iss, aud) are checked on every use.
_verified: dict[str, tuple[keys.Key, dict[str, Any]]] = {}


def _verified_claims(raw: str) -> dict[str, Any] | None:
    """Return the claims of a token this process verified, if its key is still trusted."""
    hit = _verified.get(raw)
    if hit is None:
        return None
    key, claims = hit
    return claims if trusted_key(key.kid) is key else None


def _remember(raw: str, key: keys.Key, claims: dict[str, Any]) -> None:
    size = oauth_settings.VERIFIED_TOKEN_CACHE_SIZE
    if size <= 0:
        return
    if len(_verified) >= size:
        _verified.clear()  # simple and thread-safe; refills with the tokens in use
    _verified[raw] = (key, claims)


def _verify_and_load(raw: str) -> tuple[keys.Key, dict[str, Any]]:
    """Check the signature of ``raw`` and return its key and claims (RFC 7515 5.2)."""
    header, signing_input, payload, signature = _split(raw)
    key = _verify(header, signing_input, signature)
    try:
        claims = json.loads(payload)
    except (ValueError, RecursionError) as e:
        raise errors.InvalidToken("The access token is malformed.") from e
    if not isinstance(claims, dict):
        raise errors.InvalidToken("The access token is malformed.")
    return key, claims


def decode(
    raw: str, *, audience: str | Collection[str] | None = None, now: float | None = None
) -> AccessToken:
    """Validate an access token (RFC 9068 4, RFC 8725 3) and return it, else ``InvalidToken``.

    ``audience`` is the one accepted (default: ``AUDIENCE``), or several: the token must name one.

    The algorithm is the one of our key named by ``kid``; the token's ``alg`` only has to agree.
    One pass, no PyJWT decode: this runs on every API request (see bench/README.md).
    """
    if len(raw) > oauth_settings.MAX_TOKEN_LENGTH:
        raise errors.InvalidToken("The access token is too long.")
    claims = _verified_claims(raw)
    key = None
    if claims is None:
        key, claims = _verify_and_load(raw)
    _check_claims(claims, audience or oauth_settings.audience, time.time() if now is None else now)
    if key is not None:
        _remember(raw, key, claims)
    return AccessToken(dict(claims))
