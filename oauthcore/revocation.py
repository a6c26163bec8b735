"""The deny-list of revoked access tokens: the database is the truth, the cache the fast path.

Checking costs one cache round trip (the jti and a "loaded" marker in one ``get_many``). When the
marker is missing (a new local-memory cache, a restarted Redis) the list is reloaded from the
database. With Redis every process sees a revocation at once; with the local-memory cache only
the process that made it does, so run Redis with several processes (docs/deployment.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

PREFIX = "oauthcore:revoked:"
MARKER = "oauthcore:revoked:loaded"


def _timeout(expires_at: datetime, now: datetime) -> int:
    return max(1, int((expires_at - now).total_seconds()) + 1)


def deny(entries: Iterable[tuple[str, datetime | None]], *, now: datetime | None = None) -> None:
    """Deny-list access tokens given as (jti, expires_at) pairs until they expire."""
    from oauthcore.models import RevokedAccessToken

    now = now or timezone.now()
    live = {jti: exp for jti, exp in entries if jti and exp and exp > now}
    if not live:
        return
    RevokedAccessToken.objects.bulk_create(
        [RevokedAccessToken(jti=jti, expires_at=exp) for jti, exp in live.items()],
        ignore_conflicts=True,
    )
    for jti, exp in live.items():
        cache.set(PREFIX + jti, 1, _timeout(exp, now))


def _reload(now: datetime) -> None:
    from oauthcore.models import RevokedAccessToken

    rows = RevokedAccessToken.objects.filter(expires_at__gt=now).values_list("jti", "expires_at")
    for jti, exp in rows:
        cache.set(PREFIX + jti, 1, _timeout(exp, now))
    cache.set(MARKER, 1, None)


def is_denied(jti: str) -> bool:
    """Tell whether the access token ``jti`` was revoked (one cache round trip)."""
    found = cache.get_many([PREFIX + jti, MARKER])
    if MARKER not in found:
        _reload(timezone.now())
        return cache.get(PREFIX + jti) is not None
    return PREFIX + jti in found
