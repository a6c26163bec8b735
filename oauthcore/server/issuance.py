"""Issuing RFC 9068 JWT access tokens: ``issue()`` signs one with the current signing key."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from django.db import transaction
from django.utils import timezone

from oauthcore import scopes
from oauthcore.adapter import get_adapter
from oauthcore.conf import oauth_settings
from oauthcore.jose import keyring
from oauthcore.models import Client

# The self-registered clients this process saw used (its client cache may hold older copies).
_used: set[str] = set()
MAX_USED = 10_000
# Claims the server sets itself; an adapter's extra claims may not replace them.
REGISTERED_CLAIMS = frozenset(
    {
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "nbf",
        "jti",
        "client_id",
        "scope",
        "auth_time",
        "cnf",
        "act",
    }
)


@dataclass(frozen=True)
class IssuedToken:
    """A freshly signed access token and the facts the server records about it."""

    value: str
    jti: str
    expires_at: datetime
    claims: dict[str, Any]

    @property
    def token_type(self) -> str:
        """``DPoP`` for a token bound to a key (RFC 9449 5), else ``Bearer`` (RFC 6750)."""
        return "DPoP" if "cnf" in self.claims else "Bearer"

    @property
    def expires_in(self) -> int:
        return self.claims["exp"] - self.claims["iat"]


def mark_used(client, now: datetime) -> None:
    """Record a self-registered client's first token, once: ``cleartokens`` keeps it then.

    One conditional UPDATE while ``first_used_at`` is null; staff clients make none, and a
    client this process saw used makes none again.
    """
    registered_itself = getattr(client, "is_self_registered", False)  # not testing's stand-in
    if not registered_itself or client.first_used_at or client.client_id in _used:
        return
    Client.objects.filter(pk=client.pk, first_used_at__isnull=True).update(first_used_at=now)
    client.first_used_at = now
    if len(_used) >= MAX_USED:
        _used.clear()
    transaction.on_commit(lambda: _used.add(client.client_id))


def _subject(adapter, user, client) -> str:
    return adapter.get_subject(user=user, client=client) if user is not None else client.client_id


def issue(
    *,
    client,
    scope: list[str],
    user=None,
    auth_time: datetime | None = None,
    now: datetime | None = None,
    audience: str | list[str] | None = None,
    jkt: str | None = None,
    subject: str | None = None,
    act: dict[str, Any] | None = None,
    not_after: datetime | None = None,
) -> IssuedToken:
    """Sign an access token for ``client`` acting for ``user`` (or itself) with ``scope``.

    ``audience`` is the ``aud``: the resources asked for (RFC 8707 2), else the client's default.
    ``jkt``: the thumbprint of the DPoP key the token is bound to, as ``cnf`` (RFC 9449 6.1).
    Token exchange (RFC 8693): ``subject`` keeps the subject token's ``sub``, ``act`` names the
    actor (4.1), and ``not_after`` caps ``exp`` at the subject token's.
    """
    adapter = get_adapter()
    key = keyring.signing_key()
    now = now or timezone.now()
    iat = int(now.timestamp())
    exp = iat + int(client.token_lifetime().total_seconds())
    if not_after is not None:
        exp = min(exp, int(not_after.timestamp()))
    extra = adapter.get_access_token_claims(client=client, user=user, scopes=scope)
    claims = {name: value for name, value in extra.items() if name not in REGISTERED_CLAIMS}
    claims.update(
        iss=oauth_settings.ISSUER,
        sub=subject or _subject(adapter, user, client),
        aud=audience or client.token_audience(),
        exp=exp,
        iat=iat,
        nbf=iat,
        jti=secrets.token_urlsafe(16),
        client_id=client.client_id,
        scope=scopes.join(scope),
    )
    mark_used(client, now)
    if auth_time is not None:
        claims["auth_time"] = int(auth_time.timestamp())
    if jkt:
        claims["cnf"] = {"jkt": jkt}
    if act:
        claims["act"] = act
    value = jwt.encode(
        claims, key.private_key, algorithm=key.algorithm, headers={"typ": "at+jwt", "kid": key.kid}
    )
    return IssuedToken(
        value=value,
        jti=claims["jti"],
        expires_at=datetime.fromtimestamp(exp, tz=UTC),
        claims=claims,
    )
