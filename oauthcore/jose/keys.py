"""Keys and JWKs: make a key, parse one (PEM, settings, a shared secret), its public JWK and
thumbprint (RFC 7517, RFC 7518, RFC 7638). Pure functions: no database, no settings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt import algorithms

ASYMMETRIC_ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")


@dataclass(frozen=True)
class Key:
    """A parsed key: what signs (private), what verifies (public), and its public JWK."""

    kid: str
    algorithm: str
    private_key: Any
    public_key: Any
    jwk: dict[str, str] | None = None  # None for HS256: a shared secret is never published


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


def from_setting(spec: dict[str, str]) -> Key:
    """Return the key one ``SIGNING_KEYS`` entry describes (PEM inline or in a file)."""
    pem = spec.get("private_key") or Path(spec["private_key_file"]).read_bytes()
    return from_pem(pem, algorithm=spec.get("algorithm"), kid=spec.get("kid"))
