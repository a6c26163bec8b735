"""DPoP proofs (RFC 9449): check one, name its key (RFC 7638), make and check server nonces.

Shared by the token endpoint and the resource server, which must not import each other.
``check()`` runs every check of RFC 9449 4.3 and returns the proof's key thumbprint; what a
proof is for (binding a token, matching a token's ``cnf``) is the caller's question.

The ``jti`` of each accepted proof (with its key's thumbprint) is spent in the one-time
identifier store (``oauthcore.single_use``: a cache every process shares, else the database), so
a proof is accepted once by all the processes. A store that cannot answer refuses the proof:
never accepted twice. Nonces are stateless (RFC 9449 8, 9): an HMAC of a time window under a
key derived from ``SECRET_KEY``, so every process accepts any process's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache, partial
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from oauthcore import errors, profiles, single_use
from oauthcore.conf import oauth_settings
from oauthcore.jose import keys, remote_keys

HEADER = "HTTP_DPOP"  # the DPoP request header, as Django names it
NONCE_HEADER = "DPoP-Nonce"
PROOF_TYPE = "dpop+jwt"
COMPACT_JWS = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)")
MAX_JTI_LENGTH = 256
JTI_NAMESPACE = "dpop"
DEFAULT_PORTS = {"http": 80, "https": 443}
KEY_CACHE_SIZE = 1024


@dataclass(frozen=True)
class Proof:
    """A checked DPoP proof: the thumbprint of its key (``jkt``) and its claims."""

    jkt: str
    claims: dict[str, Any]


def algorithms() -> list[str]:
    """Return the proof algorithms accepted: the configured ones that are asymmetric (5.1)."""
    configured = oauth_settings.DPOP_SIGNING_ALGORITHMS
    # Only the asymmetric algorithms of remote_keys (RFC 7518 3): HS* and "none" never, whatever
    # DPOP_SIGNING_ALGORITHMS says (RFC 9449 4.3).
    return profiles.active().narrow(alg for alg in configured if alg in remote_keys.KEY_TYPES)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


@lru_cache(maxsize=KEY_CACHE_SIZE)  # a token is presented with many proofs
def access_token_hash(token: str) -> str:
    """Return the ``ath`` of an access token: base64url(SHA-256(ASCII)) (RFC 9449 4.2)."""
    return b64(hashlib.sha256(token.encode("ascii")).digest())


def header_value(meta: dict[str, Any]) -> str | None:
    """Return the one ``DPoP`` header of a request's META, None without one (RFC 9449 4.3 1)."""
    value = meta.get(HEADER)
    if value is None:
        return None
    if "," in value:  # a JWS has no comma: the server joined two headers
        raise errors.InvalidDPoPProof("Send exactly one DPoP header.")
    return value.strip()


# --- the header: typ, alg, jwk -------------------------------------------------------------


@dataclass(frozen=True)
class _ProofKey:
    algorithm: str
    public_key: Any
    jkt: str
    verify: Callable[[bytes, bytes], bool]  # (signing input, signature) -> valid


def _verifier(algorithm: str, public_key: Any) -> Callable[[bytes, bytes], bool]:
    """Return the signature check of ``public_key`` in ``algorithm`` (PyJWT's, RFC 7518 3)."""
    checker = jwt.get_algorithm_by_name(algorithm)
    return partial(_verify, checker, public_key)


def _verify(checker: Any, public_key: Any, data: bytes, signature: bytes) -> bool:
    return checker.verify(data, public_key, signature)


_keys: dict[tuple[str, tuple[str, ...], str], _ProofKey] = {}


def _read_key(header: Any, accepted: Collection[str]) -> _ProofKey:
    """Check a proof's JOSE header and return its key (RFC 9449 4.2, 4.3 4-7)."""
    if not isinstance(header, dict) or "crit" in header:
        raise errors.InvalidDPoPProof("The DPoP proof header is malformed.")
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower() != PROOF_TYPE:
        raise errors.InvalidDPoPProof("The DPoP proof's typ must be dpop+jwt.")
    alg = header.get("alg")
    if alg not in accepted:
        raise errors.InvalidDPoPProof("The DPoP proof's alg is not supported.")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict):
        raise errors.InvalidDPoPProof("The DPoP proof has no jwk.")
    if remote_keys.PRIVATE_MEMBERS & set(jwk):
        raise errors.InvalidDPoPProof("The DPoP proof's jwk must be a public key.")
    fits = (jwk.get("kty"), jwk.get("crv")) in remote_keys.KEY_TYPES[alg]
    if not fits or not profiles.active().allows_key(jwk):
        raise errors.InvalidDPoPProof("The DPoP proof's jwk does not fit its alg.")
    try:
        public_key = jwt.PyJWK(jwk, algorithm=alg).key
        jkt = keys.thumbprint(jwk)
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as e:
        raise errors.InvalidDPoPProof("The DPoP proof's jwk is not a valid key.") from e
    if isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size < remote_keys.MIN_RSA_BITS:
        raise errors.InvalidDPoPProof("The DPoP proof's RSA key is shorter than 2048 bits.")
    return _ProofKey(alg, public_key, jkt, verify=_verifier(alg, public_key))


def _key_of(segment: str, accepted: tuple[str, ...]) -> _ProofKey:
    """Return the key of a proof header segment; a client's segment repeats, so it is cached."""
    cached = (segment, accepted, profiles.active().name)  # what was accepted depends on both
    found = _keys.get(cached)
    if found is not None:
        return found
    try:
        header = json.loads(_unb64(segment))
    except (ValueError, RecursionError) as e:
        raise errors.InvalidDPoPProof("The DPoP proof is malformed.") from e
    found = _read_key(header, accepted)
    if len(_keys) >= KEY_CACHE_SIZE:
        _keys.clear()
    _keys[cached] = found
    return found


# --- the claims: htm, htu, iat, ath, nonce, jti --------------------------------------------


@lru_cache(maxsize=1024)  # a client's htu and the endpoints' URLs repeat
def normalized_url(url: str) -> str | None:
    """Return ``url`` without query and fragment, scheme and host lowercased, default port
    dropped (RFC 9449 4.3 9, RFC 3986 6.2.2-6.2.3); None if it is not an http(s) URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in DEFAULT_PORTS or not host or parts.username is not None:
        return None
    host = f"[{host}]" if ":" in host else host
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path or '/'}"


def _is_time(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_request(claims: dict[str, Any], method: str, urls: Collection[str]) -> None:
    """Check ``htm`` and ``htu`` against the request (RFC 9449 4.3 8-9)."""
    if claims.get("htm") != method:
        raise errors.InvalidDPoPProof("The DPoP proof's htm is not the request's method.")
    htu = claims.get("htu")
    expected = {normalized_url(url) for url in urls}
    if not isinstance(htu, str) or normalized_url(htu) not in expected - {None}:
        raise errors.InvalidDPoPProof("The DPoP proof's htu is not the request's URL.")


def _check_time(claims: dict[str, Any], now: float) -> None:
    """Check that ``iat`` is recent: at most DPOP_PROOF_MAX_AGE old (RFC 9449 4.3 11, 11.1)."""
    iat = claims.get("iat")
    skew = oauth_settings.CLOCK_SKEW.total_seconds()
    if not _is_time(iat):
        raise errors.InvalidDPoPProof("The DPoP proof has no valid iat.")
    if iat > now + skew or iat < now - skew - oauth_settings.DPOP_PROOF_MAX_AGE.total_seconds():
        raise errors.InvalidDPoPProof("The DPoP proof's iat is too old or in the future.")


def _check_ath(claims: dict[str, Any], access_token: str | None) -> None:
    """Check ``ath`` against the access token presented with the proof (RFC 9449 4.3 12, 7)."""
    if access_token is None:
        return
    ath = claims.get("ath")
    if not isinstance(ath, str) or not hmac.compare_digest(ath, access_token_hash(access_token)):
        raise errors.InvalidDPoPProof("The DPoP proof's ath is not the access token's hash.")


def _check_jti(jti: Any, jkt: str, now: float) -> None:
    """Spend a proof's ``jti`` for its key (RFC 9449 11.1); refuse if spent, or if none can tell."""
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_LENGTH:
        raise errors.InvalidDPoPProof("The DPoP proof has no valid jti.")
    # Until no process accepts the proof's iat any more, its own clock ahead or behind by skew.
    lasts = oauth_settings.DPOP_PROOF_MAX_AGE + 2 * oauth_settings.CLOCK_SKEW
    at = datetime.fromtimestamp(now, UTC)
    try:
        fresh = single_use.spend(JTI_NAMESPACE, f"{jkt}.{jti}", expires_at=at + lasts, now=at)
    except single_use.Unavailable as e:
        raise errors.InvalidDPoPProof("The DPoP proof cannot be checked now; retry.") from e
    if not fresh:
        raise errors.InvalidDPoPProof("The DPoP proof was already used.")


# --- nonces (RFC 9449 8, 9) ----------------------------------------------------------------


@lru_cache(maxsize=4)
def _nonce_key(secret: str) -> bytes:
    info = b"oauthcore DPoP nonce"
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode())


def _nonce_for(window: int) -> str:
    key = _nonce_key(settings.SECRET_KEY)
    return b64(hmac.new(key, str(window).encode(), hashlib.sha256).digest()[:18])


def _window(now: float) -> int:
    return int(now // max(oauth_settings.DPOP_NONCE_LIFETIME.total_seconds(), 1))


def new_nonce(*, now: float | None = None) -> str:
    """Return the current nonce: valid for DPOP_NONCE_LIFETIME at least, twice that at most."""
    return _nonce_for(_window(time.time() if now is None else now))


def is_valid_nonce(value: Any, *, now: float | None = None) -> bool:
    """Tell whether ``value`` is a nonce this server (any of its processes) issued lately."""
    if not isinstance(value, str):
        return False
    window = _window(time.time() if now is None else now)
    return any(hmac.compare_digest(value, _nonce_for(w)) for w in (window, window - 1))


def _check_nonce(claims: dict[str, Any], now: float) -> None:
    if not is_valid_nonce(claims.get("nonce"), now=now):
        nonce = new_nonce(now=now)
        raise errors.UseDPoPNonce(
            "Sign the DPoP proof with the nonce given.", headers={NONCE_HEADER: nonce}
        )


# --- the whole check -----------------------------------------------------------------------


def _verified_claims(raw: str, accepted: tuple[str, ...]) -> tuple[_ProofKey, dict[str, Any]]:
    """Check a proof's form, header and signature (RFC 9449 4.3 2-7); return its key and claims."""
    if len(raw) > oauth_settings.MAX_TOKEN_LENGTH:
        raise errors.InvalidDPoPProof("The DPoP proof is too long.")
    match = COMPACT_JWS.fullmatch(raw)
    if match is None:
        raise errors.InvalidDPoPProof("The DPoP proof is not a signed JWT.")
    head, body, tail = match.groups()
    key = _key_of(head, accepted)
    try:  # the claims are UTF-8 JSON (RFC 7519 7.2): decoded as such, not sniffed
        signature, claims = _unb64(tail), json.loads(_unb64(body).decode())
        valid = key.verify(f"{head}.{body}".encode(), signature)
    except (ValueError, TypeError, RecursionError, jwt.PyJWTError) as e:
        raise errors.InvalidDPoPProof("The DPoP proof is malformed.") from e
    if not valid:
        raise errors.InvalidDPoPProof("The DPoP proof's signature is invalid.")
    if not isinstance(claims, dict):
        raise errors.InvalidDPoPProof("The DPoP proof is malformed.")
    return key, claims


def check(
    raw: str,
    *,
    method: str,
    urls: Collection[str],
    access_token: str | None = None,
    nonce_required: bool = False,
    now: float | None = None,
) -> Proof:
    """Check a DPoP proof for a request (RFC 9449 4.3) and return it, else ``InvalidDPoPProof``.

    ``urls``: the accepted request URLs (htu is compared without query and fragment);
    ``access_token``: the token presented with the proof, whose hash ``ath`` must be;
    ``nonce_required``: a fresh server nonce must be in the proof, else ``UseDPoPNonce``.
    """
    now = time.time() if now is None else now
    key, claims = _verified_claims(raw, tuple(algorithms()))
    _check_request(claims, method, urls)
    _check_time(claims, now)
    _check_ath(claims, access_token)
    if nonce_required:
        _check_nonce(claims, now)
    _check_jti(claims.get("jti"), key.jkt, now)
    return Proof(jkt=key.jkt, claims=claims)
