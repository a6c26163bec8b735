"""Brute-force protection that no stranger can turn against others (docs/security.md).

Client secrets, codes, refresh tokens and verifiers are 256-bit random values: guessing one online
is hopeless, counted or not. So the limiter does not guard them; it bounds the noise and the cost
of failures and tells a client that keeps failing to slow down, and it never refuses a correct
request:

- Verify first. Every back-channel request is verified; one that succeeds is answered, never 429,
  whatever anyone sent before it from anywhere. A success forgets its pair's failures.
- Count only the failures that guessing produces: ``invalid_client``, and ``invalid_grant`` of a
  client that did not authenticate with a secret (a public client; a confidential client's server
  meets expired refresh tokens in normal operation). Each counts for its (client_id, address) pair
  and for its address (an IPv6 address for its /64: ``address_group``), the address being
  ``oauthcore.client_address``'s. A stranger elsewhere never touches a pair of yours.
- In a ``RATE_LIMIT_WINDOW`` (from its first failure) a pair's first ``RATE_LIMIT_FAILURES``
  failures, and an address's first ``RATE_LIMIT_ADDRESS_FAILURES``, are answered as they are.
  After that the counter throttles: one failure is answered, and the failures that follow it
  within its backoff are answered 429 with ``Retry-After`` (RFC 6585 4). The backoff starts at
  ``RATE_LIMIT_BACKOFF`` and doubles with every failure counted, up to the window. Once an
  address is throttled its failures stop creating pair counters (a bound on cache keys).
- ``/authorize`` is a browser page: nothing there is a guess, and error pages are not counted.
  Each address (each signed-in user, so a stranger behind the same address cannot stop a user's
  consent) may send ``RATE_LIMIT_AUTHORIZE_REQUESTS`` requests per window (``spend_authorize``).

Costs: a failure makes one or two ``incr`` (once throttled, an ``add`` and perhaps a ``get``); a
success one ``delete_many``; an authorization request one ``incr``. Counts are exact under parallel failures
(``incr`` and ``add`` are atomic with Redis and memcached, under a lock with the local-memory
cache, which counts per process). When the cache cannot be reached the limiter logs a warning
and counts nothing: the answers stay what verification says, as the limiter guards no secret and
a Redis outage must not become an outage of sign-in and token issuance.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http import HTTPStatus

from django.core.cache import cache
from django.core.exceptions import BadRequest, SuspiciousOperation

from oauthcore import client_address, errors
from oauthcore.conf import oauth_settings
from oauthcore.server import client_auth

logger = logging.getLogger(__name__)
PREFIX = "oauthcore:ratelimit:"
IPV6_GROUP_PREFIX = 64  # one customer's network: an address in it costs an attacker nothing
MAX_DOUBLINGS = 40  # 2**40 seconds is far beyond any window


class TooManyAttempts(errors.TemporarilyUnavailable):
    """Too many failures or requests: retry after ``retry_after`` seconds (RFC 6585 4)."""

    status = HTTPStatus.TOO_MANY_REQUESTS

    def __init__(self, retry_after: int, description: str = "Too many failed attempts") -> None:
        headers = {"Retry-After": str(retry_after)}
        super().__init__(f"{description}; retry later.", headers=headers)
        self.retry_after = retry_after


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _seconds(value: timedelta) -> int:
    return max(1, math.ceil(value.total_seconds()))


def address_group(request) -> str:
    """Return the address a request counts for: its IPv4 address, or its IPv6 address's /64."""
    address = client_address.parse(client_address.resolve(request.META))
    if address is None:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{IPV6_GROUP_PREFIX}", strict=False))
    return str(address)


def client_id_of(request) -> str | None:
    """Return the client_id a back-channel request names (Basic header, form or assertion), if any."""
    header = request.META.get("HTTP_AUTHORIZATION")
    if header is not None:
        try:
            return client_auth.basic_credentials(header)[0]
        except errors.OAuthError:
            return None
    if request.content_type != "application/x-www-form-urlencoded":
        return None
    try:  # an RFC 7523 assertion names its client in sub when client_id is left out
        form = request.POST
        return form.get("client_id") or client_auth.claimed_client_id(form.get("client_assertion"))
    except (BadRequest, SuspiciousOperation):  # the view refuses the body (invalid_request)
        return None


@contextmanager
def _counting() -> Iterator[None]:
    """Count nothing when the cache cannot be reached (logged): answers stay as verified."""
    try:
        yield
    except errors.OAuthError:
        raise
    except Exception:  # redis.ConnectionError, django-redis ConnectionInterrupted, ...
        logger.warning("Cache unreachable: failures and requests are not counted.")


def _incr(key: str, timeout: int) -> int:
    """Add one to the counter ``key``, created to live ``timeout`` seconds; return its value."""
    try:
        return cache.incr(key)
    except ValueError:  # no such key, yet or any more
        cache.add(key, 0, timeout)
        try:
            return cache.incr(key)
        except ValueError:  # expired at once, or a cache that stores nothing
            return 0


def _throttle(key: str, free: int, *, now: float) -> tuple[int, int | None]:
    """Count a failure on ``key``; return (failures, seconds to wait if it is answered 429)."""
    window = _seconds(oauth_settings.RATE_LIMIT_WINDOW)
    failures = _incr(key, window)
    if failures <= free:
        return failures, None
    doublings = min(failures - free - 1, MAX_DOUBLINGS)
    backoff = min(_seconds(oauth_settings.RATE_LIMIT_BACKOFF) * 2**doublings, window)
    if cache.add(f"{key}:wait", now + backoff, backoff):  # atomic: one failure per backoff
        return failures, None
    until = cache.get(f"{key}:wait")
    return failures, max(1, math.ceil((until or now) - now))


def _pair_key(group: str, client_id: str) -> str:
    return f"{PREFIX}pair:{_digest(group)}:{_digest(client_id)}"


def _is_guess(error: errors.OAuthError, client_id: str | None) -> bool:
    """Tell whether a failure is one guessing produces (see the module's docstring)."""
    if isinstance(error, errors.InvalidClient):
        return True
    if not isinstance(error, errors.InvalidGrant):
        return False
    client = client_auth.find(client_id)
    return client is None or client.is_public


def _count_failure(request, client_id: str | None, *, now: float) -> int | None:
    """Count a failure for its address and pair; return the seconds to wait, if any."""
    group = address_group(request)
    failures, wait = _throttle(
        f"{PREFIX}address:{_digest(group)}", oauth_settings.RATE_LIMIT_ADDRESS_FAILURES, now=now
    )
    if client_id and failures <= oauth_settings.RATE_LIMIT_ADDRESS_FAILURES:
        pair_wait = _throttle(
            _pair_key(group, client_id), oauth_settings.RATE_LIMIT_FAILURES, now=now
        )[1]
        wait = max(wait or 0, pair_wait or 0) or None
    return wait


def _forget_pair(request, client_id: str | None) -> None:
    if client_id:
        key = _pair_key(address_group(request), client_id)
        cache.delete_many([key, f"{key}:wait"])


@contextmanager
def endpoint(request, *, now: float | None = None) -> Iterator[None]:
    """Guard a token, revocation or introspection request that is verified inside the block.

    A counted failure over its pair's or address's limit becomes ``TooManyAttempts`` (429); a
    success forgets the failures of its pair.
    """
    if not oauth_settings.RATE_LIMIT_ENABLED:
        yield
        return
    try:
        yield
    except (errors.InvalidClient, errors.InvalidGrant) as error:
        wait = None
        client_id = client_id_of(request)
        with _counting():
            if _is_guess(error, client_id):
                wait = _count_failure(request, client_id, now=now or time.time())
        if wait is not None:
            raise TooManyAttempts(wait) from error
        raise
    with _counting():
        _forget_pair(request, client_id_of(request))


def spend_authorize(request, *, now: float | None = None) -> None:
    """Count a request to /authorize; raise ``TooManyAttempts`` past the window's budget.

    The budget is per address for anonymous requests, per user for signed-in ones.
    """
    user = getattr(request, "user", None)
    who = f"user:{user.pk}" if user and user.is_authenticated else address_group(request)
    spend("authorize", who, oauth_settings.RATE_LIMIT_AUTHORIZE_REQUESTS, now=now)


def spend_document_fetch(request, *, now: float | None = None) -> None:
    """Count a fetch of a client metadata document this request causes, per address.

    Past ``CLIENT_METADATA_FETCHES_PER_ADDRESS`` in a window, raise ``TooManyAttempts``: one
    address cannot keep workers waiting on slow document hosts of its own (docs/security.md).
    """
    budget = oauth_settings.CLIENT_METADATA_FETCHES_PER_ADDRESS
    spend("document-fetch", address_group(request), budget, now=now)


def spend(
    name: str,
    who: str,
    budget: int,
    *,
    window: timedelta | None = None,
    now: float | None = None,
    description: str = "Too many requests",
) -> None:
    """Count one request of ``who`` on the budget ``name`` (per ``window``, by default
    ``RATE_LIMIT_WINDOW``); raise ``TooManyAttempts`` past it. An unreachable cache counts
    nothing."""
    if not oauth_settings.RATE_LIMIT_ENABLED or not budget:
        return
    seconds, now = _seconds(window or oauth_settings.RATE_LIMIT_WINDOW), now or time.time()
    index = int(now // seconds)
    with _counting():
        if _incr(f"{PREFIX}{name}:{_digest(who)}:{index}", seconds + 1) > budget:
            retry_after = max(1, math.ceil((index + 1) * seconds - now))
            raise TooManyAttempts(retry_after, description)


def exhausted(
    name: str, who: str, budget: int, *, now: float | None = None
) -> TooManyAttempts | None:
    """Return the error ``spend`` would raise once ``who`` has spent ``budget`` on ``name`` in
    this window, else None; counts nothing (a check before the work whose failures ``spend``
    counts)."""
    if not oauth_settings.RATE_LIMIT_ENABLED or not budget:
        return None
    seconds, now = _seconds(oauth_settings.RATE_LIMIT_WINDOW), now or time.time()
    index = int(now // seconds)
    spent = 0
    with _counting():
        spent = cache.get(f"{PREFIX}{name}:{_digest(who)}:{index}") or 0
    if spent < budget:
        return None
    return TooManyAttempts(max(1, math.ceil((index + 1) * seconds - now)), "Too many wrong codes")
