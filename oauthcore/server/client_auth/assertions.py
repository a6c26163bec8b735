"""JWT client authentication: ``private_key_jwt`` and ``client_secret_jwt`` (RFC 7523 2.2, 3;
OpenID Connect Core 9).

A request presents ``client_assertion_type`` (RFC 7521 4.2, the jwt-bearer URN) and
``client_assertion``; ``client_id`` is optional and, if sent, must be the assertion's. The
assertion is accepted when it is signed with an algorithm of
``CLIENT_ASSERTION_SIGNING_ALGORITHMS`` (``private_key_jwt``: an asymmetric one, by a key the
client registered; ``client_secret_jwt``: HS256 with its secret; ``none`` never), ``iss`` and
``sub`` are the client_id, ``aud`` names this server (the issuer; also the token and PAR endpoint
URLs unless ``CLIENT_ASSERTION_STRICT_AUDIENCE``), ``exp`` is there and at most
``CLIENT_ASSERTION_MAX_LIFETIME`` away, ``nbf`` and ``iat`` are not in the future (``CLOCK_SKEW``),
and its ``jti`` was never used before: it is spent in the one-time identifier store
(``oauthcore.single_use``: a cache every process shares, else the database), and an assertion is
refused when the store cannot say (never accepted twice).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import jwt
from django.urls import NoReverseMatch, reverse

from oauthcore import crypto, errors, profiles, single_use
from oauthcore.conf import oauth_settings
from oauthcore.models import Client
from oauthcore.server import client_keys

logger = logging.getLogger(__name__)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
PRESENTATION = "client_assertion"  # how both methods present themselves (RFC 7521 4.2)
HMAC_ALGORITHMS = frozenset({"HS256"})
# The endpoints whose URL an assertion's aud may name besides the issuer (RFC 7523 3, RFC 9126 2).
AUDIENCE_ROUTES = ("oauthcore:token", "oauthcore:par")
JTI_NAMESPACE = "client-assertion"
# The typ an assertion may have (draft-ietf-oauth-rfc7523bis: client-authentication+jwt); never a
# request object's (RFC 9101 10.8), which travels through browsers.
TYPES = frozenset({"jwt", "client-authentication+jwt"})
MAX_JTI_LENGTH = 255


def signing_algorithms() -> list[str]:
    """Return the algorithms an assertion may use (``token_endpoint_auth_signing_alg_values_supported``)."""
    known = HMAC_ALGORITHMS | set(client_keys.KEY_TYPES)
    configured = oauth_settings.CLIENT_ASSERTION_SIGNING_ALGORITHMS
    return profiles.active().narrow(alg for alg in configured if alg in known)


def uses(request, params: dict[str, Any]) -> bool:
    """Tell whether a request authenticates with a client assertion."""
    return "client_assertion" in params or "client_assertion_type" in params


def claimed_client_id(assertion: Any) -> str | None:
    """Return the client an assertion names (its ``sub``), unverified; None if it names none."""
    if not isinstance(assertion, str) or len(assertion) > oauth_settings.MAX_TOKEN_LENGTH:
        return None
    try:
        sub = jwt.decode(assertion, options={"verify_signature": False}).get("sub")
    except (jwt.PyJWTError, AttributeError):
        return None
    return sub if isinstance(sub, str) else None


def read(request, params: dict[str, Any]) -> tuple[str | None, str]:
    """Return (client_id, assertion) of a request that presents an assertion (RFC 7521 4.2)."""
    if params.get("client_assertion_type") != ASSERTION_TYPE:
        raise errors.InvalidRequest(f"client_assertion_type must be {ASSERTION_TYPE}.")
    assertion = params.get("client_assertion")
    if not isinstance(assertion, str) or not assertion:
        raise errors.InvalidRequest("client_assertion is required with client_assertion_type.")
    return params.get("client_id") or claimed_client_id(assertion), assertion


def audiences() -> list[str]:
    """Return the values an assertion's ``aud`` may hold to name this server."""
    issuer = oauth_settings.ISSUER
    if (
        oauth_settings.CLIENT_ASSERTION_STRICT_AUDIENCE
        or profiles.active().strict_assertion_audience
    ):
        return [issuer]
    parts = urlsplit(issuer)
    found = [issuer]
    for route in AUDIENCE_ROUTES:
        try:
            found.append(f"{parts.scheme}://{parts.netloc}{reverse(route)}")
        except NoReverseMatch:
            continue  # not routed in this project
    return found


def _checks() -> dict[str, Any]:
    return {
        "audience": audiences(),
        "leeway": oauth_settings.CLOCK_SKEW.total_seconds(),
        "options": {"require": ["iss", "sub", "aud", "exp", "jti"]},
    }


def _check_claims(client: Client, claims: dict[str, Any], now: float) -> None:
    """Check what PyJWT does not: who issued it, its lifetime, its jti (RFC 7523 3)."""
    if claims.get("iss") != client.client_id or claims.get("sub") != client.client_id:
        raise client_keys.Refused("Its iss and sub must both be the client_id.")
    if profiles.active().strict_assertion_audience and claims.get("aud") != oauth_settings.ISSUER:
        raise client_keys.Refused("Its aud must be the issuer, as a string (FAPI 2.0 5.3.2.1).")
    if "response_type" in claims:  # an authorization request (RFC 9101) posing as an assertion
        raise client_keys.Refused("It is a request object, not a client assertion.")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_LENGTH:
        raise client_keys.Refused("Its jti must be a string of 1 to 255 characters.")
    longest = oauth_settings.CLIENT_ASSERTION_MAX_LIFETIME.total_seconds()
    skew = oauth_settings.CLOCK_SKEW.total_seconds()
    exp, iat = claims["exp"], claims.get("iat")
    if exp - now > longest + skew or (isinstance(iat, int | float) and exp - iat > longest):
        raise client_keys.Refused(f"Its lifetime is over {int(longest)} seconds.")


def _spend(client: Client, claims: dict[str, Any], now: float) -> None:
    """Spend the jti until the assertion expires (plus ``CLOCK_SKEW``); refuse one already spent."""
    expires_at = datetime.fromtimestamp(claims["exp"], UTC) + oauth_settings.CLOCK_SKEW
    value, at = f"{client.client_id}\0{claims['jti']}", datetime.fromtimestamp(now, UTC)
    try:
        fresh = single_use.spend(JTI_NAMESPACE, value, expires_at=expires_at, now=at)
    except single_use.Unavailable as e:  # the cache or the database is down: never accept twice
        raise client_keys.Refused("Used assertions cannot be remembered now.") from e
    if not fresh:
        raise client_keys.Refused("Its jti was already used.")


def _accept(client: Client, decode) -> bool:
    now = time.time()
    try:
        claims = decode()
        _check_claims(client, claims, now)
        _spend(client, claims, now)
    except client_keys.Refused as e:
        logger.info("Client assertion of %s refused: %s", client.client_id, e.reason)
        return False
    return True


def verify_private_key_jwt(client: Client, assertion: str | None) -> bool:
    """Tell whether ``assertion`` proves ``client`` with one of its registered keys."""
    algorithms = [alg for alg in signing_algorithms() if alg in client_keys.KEY_TYPES]
    return bool(assertion) and _accept(
        client,
        lambda: client_keys.decode(
            assertion, client, algorithms=algorithms, types=TYPES, **_checks()
        ),
    )


def _decode_hmac(client: Client, assertion: str) -> dict[str, Any]:
    alg = client_keys.header_of(assertion, types=TYPES).get("alg")
    if alg not in HMAC_ALGORITHMS or alg not in signing_algorithms():
        raise client_keys.Refused("Its alg must be HS256.")
    secret = crypto.decrypt_secret(client.secret_ciphertext)
    if not secret:
        raise client_keys.Refused("The client's secret cannot be read (SECRET_ENCRYPTION_KEYS).")
    return client_keys.decode_with(assertion, [secret.encode()], alg, **_checks())


def verify_client_secret_jwt(client: Client, assertion: str | None) -> bool:
    """Tell whether ``assertion`` is an HMAC of ``client``'s own secret (RFC 7523 2.2)."""
    return bool(assertion) and _accept(client, lambda: _decode_hmac(client, assertion))
