"""The issuer's public keys for a resource server in another project: a cached remote JWKS.

The set is fetched through ``oauthcore.fetch`` over https (plain http only from a loopback host),
never following a redirect, within a time and size limit, kept for ``JWKS_CACHE_TTL``, and
fetched again early when a token names an unknown kid, but never more than once per
``JWKS_MIN_REFETCH_INTERVAL``: a flood of made-up kids cannot hammer the issuer. A failed fetch
keeps the cached set. Only asymmetric keys with their own ``alg`` are trusted (RFC 8725 3.1):
never HS256, never "none".
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import jwt
from django.core.signals import setting_changed

from oauthcore import fetch as outbound
from oauthcore import generation
from oauthcore.conf import oauth_settings
from oauthcore.jose.keys import Key

logger = logging.getLogger(__name__)

MAX_JWKS_BYTES = 512 * 1024
KEY_TYPES = {
    "RS256": {("RSA", None)},
    "PS256": {("RSA", None)},
    "ES256": {("EC", "P-256")},
    "EdDSA": {("OKP", "Ed25519"), ("OKP", "Ed448")},
}
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k"})


def fetch(url: str, timeout: float) -> Any:
    """Fetch and parse a JWK Set document (RFC 7517 5): https, or http on a loopback host.

    The operator chose the URL, so it may be on a private network; ``oauthcore.fetch`` still
    refuses redirects and bounds the time (``timeout``) and size (``MAX_JWKS_BYTES``).
    """
    fetcher = outbound.Fetcher(operator=True, max_bytes=MAX_JWKS_BYTES, timeout=timeout)
    response = fetcher.get(url, accept="application/jwk-set+json")
    try:
        return json.loads(response.body)
    except (ValueError, RecursionError) as e:  # RecursionError: nested too deep
        raise outbound.FetchError("The JWKS document is not JSON.") from e


def parse_key(jwk: Any) -> Key | None:
    """Return the verifying key of one JWK, or None when we do not trust it."""
    if not isinstance(jwk, dict) or PRIVATE_MEMBERS & set(jwk):
        return None
    alg, kid = jwk.get("alg"), jwk.get("kid")
    if alg not in KEY_TYPES or not isinstance(kid, str) or jwk.get("use", "sig") != "sig":
        return None
    if (jwk.get("kty"), jwk.get("crv")) not in KEY_TYPES[alg]:
        return None
    try:
        public_key = jwt.PyJWK(jwk, algorithm=alg).key
    except (jwt.PyJWTError, ValueError, TypeError, KeyError):
        return None
    return Key(kid=kid, algorithm=alg, private_key=None, public_key=public_key, jwk=jwk)


def parse(document: Any) -> dict[str, Key]:
    """Return the trusted keys of a JWK Set by kid."""
    entries = document.get("keys") if isinstance(document, dict) else None
    found = {}
    for jwk in entries if isinstance(entries, list) else []:
        if key := parse_key(jwk):
            found[key.kid] = key
    return found


class JWKSClient:
    """A remote JWK Set, cached and refetched on an unknown kid at most once per interval."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.keys: dict[str, Key] = {}
        self.fetched_at: float | None = None
        self.attempted_at: float | None = None
        self.fetches = 0  # attempts so far, for monitoring and tests
        self._lock = threading.Lock()

    def _now(self) -> float:
        return time.monotonic()

    def _may_fetch(self, now: float) -> bool:
        interval = oauth_settings.JWKS_MIN_REFETCH_INTERVAL.total_seconds()
        return self.attempted_at is None or now - self.attempted_at >= interval

    def _stale(self, now: float) -> bool:
        ttl = oauth_settings.JWKS_CACHE_TTL.total_seconds()
        return self.fetched_at is None or now - self.fetched_at >= ttl

    def refresh(self, now: float) -> None:
        """Fetch the set again unless another fetch happened within the interval."""
        generation.before_reading()  # in the event loop: fetched off it (``asynchronous``)
        with self._lock:
            if not self._may_fetch(now):
                return
            self.attempted_at, self.fetches = now, self.fetches + 1
            try:
                document = fetch(self.url, oauth_settings.JWKS_FETCH_TIMEOUT.total_seconds())
            except outbound.FetchError as e:
                logger.warning("Fetching the JWKS from %s failed: %s", self.url, e)
                return
            self.keys, self.fetched_at = parse(document), now

    def find(self, kid: str) -> Key | None:
        """Return the key named ``kid``, refreshing a stale set or looking for a new kid."""
        now = self._now()
        if self._stale(now) and self._may_fetch(now):
            self.refresh(now)
        key = self.keys.get(kid)
        if key is None and self._may_fetch(now):
            self.refresh(now)
            key = self.keys.get(kid)
        return key


_clients: dict[str, JWKSClient] = {}


def client() -> JWKSClient:
    """Return this process's client for ``JWKS_URL``."""
    url = oauth_settings.JWKS_URL
    current = _clients.get(url)
    if current is None:
        _clients.clear()
        current = _clients[url] = JWKSClient(url)
    return current


def find(kid: str) -> Key | None:
    """Return the issuer's key named ``kid`` from the remote JWKS, or None."""
    return client().find(kid)


def forget() -> None:
    """Drop the cached set; the next use fetches it again."""
    _clients.clear()


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting == "OAUTHCORE":
        forget()


setting_changed.connect(_reload)
