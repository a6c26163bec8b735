"""Signing keys: make them, load them, find one by kid, publish the JWKS (RFC 7517, RFC 7518).

Keys come from (first match wins): ``HS256_SECRET``; ``SIGNING_KEYS`` (PEM in settings, files or
the environment); the ``SigningKey`` table. Each process keeps the parsed keys for
``KEY_CACHE_TTL``, and rereads them early when the generation moved (a key saved or deleted
anywhere: ``rotatekeys``, the admin; within ``SYNC_INTERVAL``) or when a token names a kid it
does not know, so a rotation or a removed key reaches every process without a restart.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from jwt import algorithms

from oauthcore import generation
from oauthcore.conf import oauth_settings

ASYMMETRIC_ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")
FORCED_RELOAD_INTERVAL = 1.0  # seconds between rereads caused by unknown kids


@dataclass(frozen=True)
class Key:
    """A parsed key: what signs (private), what verifies (public), and its public JWK."""

    kid: str
    algorithm: str
    private_key: Any
    public_key: Any
    jwk: dict[str, str] | None = None  # None for HS256: a shared secret is never published


@dataclass
class KeyRing:
    signing: Key | None
    by_kid: dict[str, Key] = field(default_factory=dict)
    loaded_at: float = 0.0
    generation: int | None = None  # of the database when read; None: read it again next time


def generate_private_key(algorithm: str):
    """Return a new private key for ``algorithm`` (RSA 2048, P-256 or Ed25519)."""
    if algorithm in ("RS256", "PS256"):
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"Unsupported signing algorithm: {algorithm}")


def private_pem(private_key) -> str:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def algorithm_for(private_key, preferred: str | None = None) -> str:
    """Return the JWA algorithm a parsed private key can sign with."""
    if isinstance(private_key, rsa.RSAPrivateKey):
        return preferred if preferred in ("RS256", "PS256") else "RS256"
    if (
        isinstance(private_key, ec.EllipticCurvePrivateKey)
        and private_key.curve.name == "secp256r1"
    ):
        return "ES256"
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    raise ValueError("Signing keys must be RSA, EC P-256 or Ed25519.")


def public_jwk(public_key) -> dict[str, str]:
    """Return the public JWK members of a key (RFC 7517 4, RFC 7518 6)."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return algorithms.RSAAlgorithm.to_jwk(public_key, as_dict=True)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return algorithms.ECAlgorithm.to_jwk(public_key, as_dict=True)
    return algorithms.OKPAlgorithm.to_jwk(public_key, as_dict=True)


def thumbprint(jwk: dict[str, str]) -> str:
    """Return the RFC 7638 JWK thumbprint (SHA-256, base64url), used as the kid."""
    required = {
        "RSA": ("e", "kty", "n"),
        "EC": ("crv", "kty", "x", "y"),
        "OKP": ("crv", "kty", "x"),
    }
    members = {name: jwk[name] for name in required[jwk["kty"]]}
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()


def from_private_key(private_key, *, algorithm: str | None = None, kid: str | None = None) -> Key:
    """Return a Key for a parsed private key, with its published JWK."""
    algorithm = algorithm_for(private_key, algorithm)
    public_key = private_key.public_key()
    jwk = public_jwk(public_key)
    kid = kid or thumbprint(jwk)
    jwk.update(kid=kid, alg=algorithm, use="sig")
    return Key(
        kid=kid, algorithm=algorithm, private_key=private_key, public_key=public_key, jwk=jwk
    )


def from_pem(pem: str | bytes, *, algorithm: str | None = None, kid: str | None = None) -> Key:
    if isinstance(pem, str):
        pem = pem.encode()
    return from_private_key(
        serialization.load_pem_private_key(pem, password=None), algorithm=algorithm, kid=kid
    )


def hs256_key(secret: str) -> Key:
    """Return the HS256 key of a shared secret; its kid reveals nothing about the secret."""
    raw = secret.encode()
    kid = "hs256-" + hmac.new(raw, b"oauthcore kid", hashlib.sha256).hexdigest()[:16]
    return Key(kid=kid, algorithm="HS256", private_key=raw, public_key=raw)


def _from_setting(spec: dict[str, str]) -> Key:
    pem = spec.get("private_key") or Path(spec["private_key_file"]).read_bytes()
    return from_pem(pem, algorithm=spec.get("algorithm"), kid=spec.get("kid"))


def _from_row(row) -> Key:
    return from_pem(row.private_key, algorithm=row.algorithm, kid=row.kid)


def create_key(algorithm: str | None = None, *, state: str = "active"):
    """Store a new signing key; make it the active one when ``state`` is active."""
    from oauthcore.models import SigningKey

    algorithm = algorithm or oauth_settings.SIGNING_ALGORITHM
    key = from_private_key(generate_private_key(algorithm), algorithm=algorithm)
    now = timezone.now()
    return SigningKey.objects.create(
        kid=key.kid,
        algorithm=algorithm,
        private_key=private_pem(key.private_key),
        state=state,
        activated_at=now if state == "active" else None,
    )


def longest_token_lifetime():
    """Return the longest lifetime any token signed now can have, plus the clock skew."""
    from oauthcore.models import Client

    longest = Client.objects.aggregate(m=Max("access_token_lifetime"))["m"]
    lifetime = max(filter(None, [longest, oauth_settings.ACCESS_TOKEN_LIFETIME]))
    return lifetime + oauth_settings.CLOCK_SKEW


def rotate(algorithm: str | None = None, *, now: datetime | None = None, by=None):
    """Make a new key (or the staged ``next`` one) sign from now on; retire the active one.

    The retired key stays in the JWKS until every token it signed has expired. Sends
    ``signing_key_rotated`` (``by``: the staff user who asked, if any).
    """
    from oauthcore import signals
    from oauthcore.models import SigningKey

    now = now or timezone.now()
    with transaction.atomic():
        active = SigningKey.objects.select_for_update().filter(state="active")
        retired = list(active.values_list("kid", flat=True))
        active.update(state="retired", retired_at=now, expires_at=now + longest_token_lifetime())
        staged = SigningKey.objects.filter(state="next")
        if algorithm:
            staged = staged.filter(algorithm=algorithm)
        row = staged.order_by("created_at").first()
        if row:
            row.state, row.activated_at = "active", now
            row.save(update_fields=["state", "activated_at"])
        else:
            row = create_key(algorithm)
    forget()
    signals.signing_key_rotated.send(
        SigningKey, kid=row.kid, algorithm=row.algorithm, retired=retired, by=by
    )
    return row


def _database_ring() -> KeyRing:
    from oauthcore.models import SigningKey

    rows = list(SigningKey.objects.published())
    if not any(row.state == "active" for row in rows):
        try:
            with transaction.atomic():
                create_key()
        except IntegrityError:  # another process made one first
            pass
        rows = list(SigningKey.objects.published())
    loaded = {row.kid: (row, _from_row(row)) for row in rows}
    active = next((key for row, key in loaded.values() if row.state == "active"), None)
    return KeyRing(signing=active, by_kid={kid: key for kid, (_row, key) in loaded.items()})


def load() -> KeyRing:
    """Read every trusted key from settings or the database."""
    if oauth_settings.HS256_SECRET:
        key = hs256_key(oauth_settings.HS256_SECRET)
        ring = KeyRing(signing=key, by_kid={key.kid: key})
    elif oauth_settings.SIGNING_KEYS:
        static = [_from_setting(spec) for spec in oauth_settings.SIGNING_KEYS]
        ring = KeyRing(signing=static[0], by_kid={key.kid: key for key in static})
    else:
        ring = _database_ring()
    ring.loaded_at = time.monotonic()
    return ring


_cache: dict[str, Any] = {"ring": None, "forced_at": 0.0}


def forget() -> None:
    """Drop this process's copy of the keys; the next use rereads them."""
    _cache["ring"] = None


def _from_database() -> bool:
    return not (oauth_settings.HS256_SECRET or oauth_settings.SIGNING_KEYS)


def ring() -> KeyRing:
    """Return the trusted keys, reread after ``KEY_CACHE_TTL`` or when the generation moved."""
    current = _cache["ring"]
    ttl = oauth_settings.KEY_CACHE_TTL.total_seconds()
    version = generation.current() if _from_database() else 0
    if (
        current is None
        or time.monotonic() - current.loaded_at >= ttl
        or version is None
        or current.generation != version
    ):
        current = _cache["ring"] = load()
        current.generation = version
    return current


def signing_key() -> Key:
    """Return the key that signs new tokens."""
    key = ring().signing
    if key is None:
        raise LookupError("No active signing key.")
    return key


def find(kid: str) -> Key | None:
    """Return the trusted key named ``kid``, rereading the keys (at most once a second) if unknown.

    With ``JWKS_URL`` set (a resource server in another project) the keys are the issuer's JWKS.
    """
    if oauth_settings.JWKS_URL:
        from oauthcore import jwks_client

        return jwks_client.find(kid)
    key = ring().by_kid.get(kid)
    if key is None and time.monotonic() - _cache["forced_at"] >= FORCED_RELOAD_INTERVAL:
        _cache["forced_at"] = time.monotonic()
        forget()
        key = ring().by_kid.get(kid)
    return key


def jwks() -> dict[str, list[dict[str, str]]]:
    """Return the public JWK Set (RFC 7517 5): the signing key first, never a shared secret."""
    current = ring()
    published = [key.jwk for key in current.by_kid.values() if key.jwk]
    if current.signing and current.signing.jwk:
        published.sort(key=lambda jwk: jwk["kid"] != current.signing.kid)
    return {"keys": published}
