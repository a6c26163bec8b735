"""Brute-force protection: count failed attempts per client and per IP address in the cache.

A wrong client secret adds one to the counters of ``REMOTE_ADDR`` and of the (confidential)
client; a wrong code, refresh token or PKCE verifier of a public client to the address's (see
``_counted``). Once a counter reaches
``RATE_LIMIT_FAILURES`` within ``RATE_LIMIT_WINDOW``, every request naming that client or coming
from that address is refused with 429 until the window, which starts at the first failure, ends:
the right secret too, or guessing would go on. Nothing is locked for good.

Costs: a request reads both counters in one ``get_many``; only a failure writes. Counts are exact
under parallel failures (``cache.add`` then ``cache.incr``: atomic with Redis and memcached, under
a lock with the local-memory cache, which counts per process). A failure that finds its counter
already over the limit is itself answered with 429, so at most ``RATE_LIMIT_FAILURES`` failures
are ever told apart from a success, though requests already past the check when the limit is
reached are still verified. When the cache cannot be reached, limited requests are answered
``temporarily_unavailable`` (503): never let through uncounted. Behind a proxy, set
``REMOTE_ADDR`` to the client's address (e.g. with a middleware that trusts your proxy's header):
otherwise every request shares the proxy's counter.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus

from django.core.cache import cache
from django.core.exceptions import BadRequest, SuspiciousOperation

from oauthcore import clients, errors
from oauthcore.conf import oauth_settings

logger = logging.getLogger(__name__)
PREFIX = "oauthcore:ratelimit:"
# A counter holds (window start in whole seconds) * SCALE + failures: one key, one incr. It stays
# below 2**53, as django-redis's incr goes through a Lua number (a double).
SCALE = 10**6
# The brute-force signals: guesses of a client secret, a code, a refresh token or a verifier.
COUNTED = (errors.InvalidClient, errors.InvalidGrant)


class TooManyAttempts(errors.TemporarilyUnavailable):
    """Too many failed attempts from this client or address: retry after the window (RFC 6585 4)."""

    status = HTTPStatus.TOO_MANY_REQUESTS

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "Too many failed attempts; retry later.", headers={"Retry-After": str(retry_after)}
        )
        self.retry_after = retry_after


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def client_id_of(request) -> str | None:
    """Return the client_id a back-channel request names (Basic header or form), if any."""
    header = request.META.get("HTTP_AUTHORIZATION")
    if header is not None:
        try:
            return clients.basic_credentials(header)[0]
        except errors.OAuthError:
            return None
    if request.content_type != "application/x-www-form-urlencoded":
        return None
    try:
        return request.POST.get("client_id")
    except (BadRequest, SuspiciousOperation):  # the view refuses the body (invalid_request)
        return None


def keys_for(request, *, scope: str, client_id: str | None = None) -> list[str]:
    """Return the counter keys of a request: its address, and its client when it names one."""
    found = [f"{PREFIX}{scope}:ip:{_digest(request.META.get('REMOTE_ADDR') or '-')}"]
    if client_id:
        found.append(f"{PREFIX}{scope}:client:{_digest(client_id)}")
    return found


def _window() -> int:
    return max(1, math.ceil(oauth_settings.RATE_LIMIT_WINDOW.total_seconds()))


def _retry_after(values: list[int], now: float) -> int | None:
    """Return the seconds until the last full counter's window ends; None if none is full."""
    ends = [
        value // SCALE + _window()
        for value in values
        if value % SCALE >= oauth_settings.RATE_LIMIT_FAILURES and value // SCALE + _window() > now
    ]
    return max(1, math.ceil(max(ends) - now)) if ends else None


@contextmanager
def _reachable_cache() -> Iterator[None]:
    """Answer ``temporarily_unavailable`` (503) when the cache cannot count: no uncounted guesses."""
    try:
        yield
    except errors.OAuthError:
        raise
    except Exception as e:  # redis.ConnectionError, django-redis ConnectionInterrupted, ...
        logger.warning("Cache unreachable: rate-limited requests are refused.")
        raise errors.TemporarilyUnavailable("The service is temporarily unavailable.") from e


def check(keys: list[str], *, now: float | None = None) -> None:
    """Raise ``TooManyAttempts`` if a counter of ``keys`` is full (one cache round trip)."""
    with _reachable_cache():
        values = [value for value in cache.get_many(keys).values() if isinstance(value, int)]
    retry_after = _retry_after(values, time.time() if now is None else now)
    if retry_after is not None:
        raise TooManyAttempts(retry_after)


def record_failure(keys: list[str], *, now: float | None = None) -> None:
    """Count one failure on every key; raise ``TooManyAttempts`` if one is now over the limit."""
    now = time.time() if now is None else now
    values = []
    for key in keys:
        with _reachable_cache():
            # Rounded up, the window never ends before the cache lets the key expire.
            cache.add(key, math.ceil(now) * SCALE, _window())
            try:
                values.append(cache.incr(key))
            except ValueError:  # expired between add and incr, or a cache that stores nothing
                continue
    over = [value for value in values if value % SCALE > oauth_settings.RATE_LIMIT_FAILURES]
    retry_after = _retry_after(over, now)
    if retry_after is not None:
        raise TooManyAttempts(retry_after)


def _counted(error: errors.OAuthError, keys: list[str], client_id: str | None) -> list[str]:
    """Return the keys a failure counts on (is the client confidential?).

    A wrong secret counts on the address and, for a confidential client, on the client: a
    public client has no secret to guess, so counting it would only let anyone lock it out.
    A wrong code, refresh token or verifier counts on the address of a public client only: a
    confidential client's server meets expired refresh tokens in normal operation.
    """
    client = clients.find(client_id)
    confidential = client is not None and not client.is_public
    if isinstance(error, errors.InvalidClient):
        return keys if confidential else keys[:1]
    return [] if confidential else keys[:1]


@contextmanager
def endpoint(request) -> Iterator[None]:
    """Guard a token, revocation or introspection request, per address and per client."""
    if not oauth_settings.RATE_LIMIT_ENABLED:
        yield
        return
    client_id = client_id_of(request)
    keys = keys_for(request, scope="endpoint", client_id=client_id)
    check(keys)
    try:
        yield
    except COUNTED as error:
        record_failure(_counted(error, keys, client_id))
        raise


def check_address(request) -> None:
    """Raise ``TooManyAttempts`` if the browser's address failed too often at /authorize."""
    if oauth_settings.RATE_LIMIT_ENABLED:
        check(keys_for(request, scope="authorize"))


def count_address_failure(request) -> None:
    """Count a request of the browser's address that ended on the error page; raise if over."""
    if oauth_settings.RATE_LIMIT_ENABLED:
        record_failure(keys_for(request, scope="authorize"))
