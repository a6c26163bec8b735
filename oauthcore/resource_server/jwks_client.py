"""The issuer's public keys for a resource server in another project: a cached remote JWKS.

The set is fetched through ``oauthcore.fetch`` over https (plain http only from a loopback host),
never following a redirect, within a time and size limit, and cached and refetched as
``jose/remote_keys.py`` says. Only asymmetric keys with their own ``alg`` and ``kid`` are trusted
(RFC 8725 3.1): never HS256, never "none".
"""

from __future__ import annotations

import json
from typing import Any

from django.core.signals import setting_changed

from oauthcore import fetch as outbound
from oauthcore.conf import oauth_settings
from oauthcore.jose import remote_keys
from oauthcore.jose.keys import Key

MAX_JWKS_BYTES = 512 * 1024
ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")
KEY_TYPES = {alg: remote_keys.KEY_TYPES[alg] for alg in ALGORITHMS}


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
    if not isinstance(jwk, dict) or not isinstance(kid := jwk.get("kid"), str):
        return None
    alg = jwk.get("alg")
    if alg is None or remote_keys.algorithms_of(jwk, KEY_TYPES) != {alg}:
        return None
    public_key = remote_keys.public_key(jwk, alg)
    if public_key is None:
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


class JWKSClient(remote_keys.RemoteKeySet[dict[str, Key]]):
    """The issuer's JWK Set, by kid."""

    def __init__(self, url: str) -> None:
        super().__init__(url, load=self._fetch, empty={})

    @staticmethod
    def _fetch(url: str) -> dict[str, Key]:
        return parse(fetch(url, oauth_settings.JWKS_FETCH_TIMEOUT.total_seconds()))

    def find(self, kid: str) -> Key | None:
        """Return the key named ``kid``, refreshing a stale set or looking for a new kid."""
        return self.lookup(lambda keys: keys.get(kid))


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
