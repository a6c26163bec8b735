"""RFC 9068 JWT access tokens: ``issue()`` and ``decode()``. PyJWT's exceptions stop here."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import jwt
from django.utils import timezone

from oauthcore import errors, keys, scopes
from oauthcore.adapter import get_adapter
from oauthcore.conf import oauth_settings

ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")
REGISTERED_CLAIMS = frozenset(
    {"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", "scope", "auth_time"}
)
REQUIRED_CLAIMS = ["iss", "sub", "aud", "exp", "iat", "jti", "client_id"]


@dataclass(frozen=True)
class IssuedToken:
    """A freshly signed access token and the facts the server records about it."""

    value: str
    jti: str
    expires_at: datetime
    claims: dict[str, Any]

    @property
    def expires_in(self) -> int:
        return self.claims["exp"] - self.claims["iat"]


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


def issue(
    *,
    client,
    scope: list[str],
    user=None,
    auth_time: datetime | None = None,
    now: datetime | None = None,
) -> IssuedToken:
    """Sign an access token for ``client`` acting for ``user`` (or itself) with ``scope``."""
    adapter = get_adapter()
    key = keys.signing_key()
    now = now or timezone.now()
    iat = int(now.timestamp())
    exp = iat + int(client.token_lifetime().total_seconds())
    extra = adapter.get_access_token_claims(client=client, user=user, scopes=scope)
    claims = {name: value for name, value in extra.items() if name not in REGISTERED_CLAIMS}
    claims.update(
        iss=oauth_settings.ISSUER,
        sub=adapter.get_subject(user=user) if user is not None else client.client_id,
        aud=client.token_audience(),
        exp=exp,
        iat=iat,
        nbf=iat,
        jti=secrets.token_urlsafe(16),
        client_id=client.client_id,
        scope=scopes.join(scope),
    )
    if auth_time is not None:
        claims["auth_time"] = int(auth_time.timestamp())
    value = jwt.encode(
        claims, key.private_key, algorithm=key.algorithm, headers={"typ": "at+jwt", "kid": key.kid}
    )
    return IssuedToken(
        value=value,
        jti=claims["jti"],
        expires_at=datetime.fromtimestamp(exp, tz=UTC),
        claims=claims,
    )


def _header(raw: str) -> dict[str, Any]:
    if len(raw) > oauth_settings.MAX_TOKEN_LENGTH:
        raise errors.InvalidToken("The access token is too long.")
    try:
        header = jwt.get_unverified_header(raw)
    except jwt.PyJWTError as e:
        raise errors.InvalidToken("The access token is malformed.") from e
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower() not in ACCESS_TOKEN_TYPES:
        raise errors.InvalidToken("The token is not an access token (typ must be at+jwt).")
    return header


def decode(raw: str, *, audience: str | None = None) -> AccessToken:
    """Validate an access token (RFC 9068 4, RFC 8725 3) and return it, else ``InvalidToken``.

    The algorithm is the one of our key named by ``kid``; the token's ``alg`` only has to agree.
    """
    kid = _header(raw).get("kid")
    key = keys.find(kid) if isinstance(kid, str) else None
    if key is None:
        raise errors.InvalidToken("The access token was signed by an unknown key.")
    try:
        claims = jwt.decode(
            raw,
            key.public_key,
            algorithms=[key.algorithm],
            audience=audience or oauth_settings.audience,
            issuer=oauth_settings.ISSUER,
            leeway=oauth_settings.CLOCK_SKEW,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError as e:
        raise errors.InvalidToken("The access token has expired.") from e
    except jwt.ImmatureSignatureError as e:
        raise errors.InvalidToken("The access token is not valid yet.") from e
    except jwt.InvalidAudienceError as e:
        raise errors.InvalidToken("The access token is for another audience.") from e
    except jwt.InvalidIssuerError as e:
        raise errors.InvalidToken("The access token is from another issuer.") from e
    except jwt.MissingRequiredClaimError as e:
        raise errors.InvalidToken(f"The access token has no {e.claim} claim.") from e
    except jwt.InvalidSignatureError as e:
        raise errors.InvalidToken("The access token signature is invalid.") from e
    except (jwt.PyJWTError, ValueError, TypeError) as e:
        raise errors.InvalidToken("The access token is invalid.") from e
    return AccessToken(claims)
