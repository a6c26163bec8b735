"""Public keys other parties sign with: read from JWKs (RFC 7517), or from a JWK Set at a URL.

Only public keys of asymmetric algorithms are read (RFC 8725 3.1, 3.2): a JWK with private members
is refused, and so is an RSA key shorter than 2048 bits (RFC 7518 3.3). A key with an ``alg``
verifies only that algorithm; one without, the algorithms its type allows.

A remote set is fetched on first use, kept ``JWKS_CACHE_TTL``, and fetched again early when a JWT
names a key it lacks, but never more than once per ``JWKS_MIN_REFETCH_INTERVAL``: a flood of
made-up kids cannot make us hammer the host. A failed fetch keeps the set we had. The resource
server's remote JWKS (``resource_server/jwks_client.py``) and clients' ``jwks_uri``
(``server/client_keys.py``) are both such sets; each says how to load its document.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from oauthcore import fetch, generation
from oauthcore.conf import oauth_settings

logger = logging.getLogger(__name__)

# The asymmetric algorithms we verify (RFC 7518 3, RFC 8037) and the key types each needs.
KEY_TYPES = {
    **{alg: {("RSA", None)} for alg in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")},
    "ES256": {("EC", "P-256")},
    "ES384": {("EC", "P-384")},
    "ES512": {("EC", "P-521")},
    "EdDSA": {("OKP", "Ed25519"), ("OKP", "Ed448")},
}
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
MIN_RSA_BITS = 2048

Keys = TypeVar("Keys")
Found = TypeVar("Found")


def algorithms_of(jwk: Any, accepted: dict[str, Any] = KEY_TYPES) -> frozenset[str]:
    """Return the algorithms among ``accepted`` that a public signing JWK may verify."""
    if not isinstance(jwk, dict) or PRIVATE_MEMBERS & set(jwk) or jwk.get("use", "sig") != "sig":
        return frozenset()
    kind = (jwk.get("kty"), jwk.get("crv"))
    fitting = {alg for alg, kinds in accepted.items() if kind in kinds}
    alg = jwk.get("alg")
    return frozenset(fitting & {alg} if alg is not None else fitting)


def public_key(jwk: dict[str, Any], algorithm: str) -> Any | None:
    """Return the verifying key of ``jwk`` for ``algorithm``, None if it is not one we trust."""
    try:
        key = jwt.PyJWK(jwk, algorithm=algorithm).key
    except (jwt.PyJWTError, ValueError, TypeError, KeyError):
        return None
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        return None  # RFC 7518 3.3, FAPI 2.0 5.4.1 2
    return key


class RemoteKeySet(Generic[Keys]):
    """A JWK Set at ``url``: ``load(url)`` fetches and reads it (raising ``fetch.FetchError``)."""

    def __init__(self, url: str, load: Callable[[str], Keys], empty: Keys) -> None:
        self.url = url
        self.keys = empty
        self.fetched_at: float | None = None
        self.attempted_at: float | None = None
        self.fetches = 0  # attempts so far, for monitoring and tests
        self._load = load
        self._lock = threading.Lock()

    def _now(self) -> float:
        return time.monotonic()

    def may_fetch(self, now: float) -> bool:
        interval = oauth_settings.JWKS_MIN_REFETCH_INTERVAL.total_seconds()
        return self.attempted_at is None or now - self.attempted_at >= interval

    def stale(self, now: float) -> bool:
        ttl = oauth_settings.JWKS_CACHE_TTL.total_seconds()
        return self.fetched_at is None or now - self.fetched_at >= ttl

    def refresh(self, now: float) -> None:
        """Fetch the set again unless another fetch was tried within the interval."""
        generation.before_reading()  # in the event loop: fetched off it (``asynchronous``)
        with self._lock:
            if not self.may_fetch(now):
                return
            self.attempted_at, self.fetches = now, self.fetches + 1
            try:
                keys = self._load(self.url)
            except fetch.FetchError as e:
                logger.warning("Fetching the JWKS at %s failed: %s", self.url, e.reason)
                return
            self.keys, self.fetched_at = keys, now

    def lookup(self, pick: Callable[[Keys], Found]) -> Found:
        """Return ``pick(keys)``, fetching a stale set first, and again when it finds nothing."""
        now = self._now()
        if self.stale(now) and self.may_fetch(now):
            self.refresh(now)
        found = pick(self.keys)
        if not found and self.may_fetch(now):  # a new key: the owner may have rotated
            self.refresh(now)
            found = pick(self.keys)
        return found
