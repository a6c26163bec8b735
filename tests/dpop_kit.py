"""DPoP proofs for tests (RFC 9449 4.2), made with PyJWT and ``cryptography`` keys.

``DPoPKey().proof("POST", TOKEN_URL)`` is a valid proof; keyword arguments make it wrong in one
way (``iat``, ``typ``, a ``jwk`` to publish, a ``signer`` other than the key published...).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

import jwt

from oauthcore.jose import dpop, keys

TOKEN_URL = "http://testserver/oauth/token/"
UNSET: Any = object()


class DPoPKey:
    """A client's DPoP key pair: its public JWK, thumbprint, and proofs signed with it."""

    def __init__(self, algorithm: str = "ES256") -> None:
        self.algorithm = algorithm
        self.private_key = keys.generate_private_key(algorithm)
        self.jwk = keys.public_jwk(self.private_key.public_key())
        self.jkt = keys.thumbprint(self.jwk)

    def proof(
        self,
        htm: str = "POST",
        htu: str = TOKEN_URL,
        *,
        access_token: str | None = None,
        nonce: str | None = None,
        iat: float | None = None,
        jti: str | None = None,
        typ: Any = "dpop+jwt",
        alg: str | None = None,
        jwk: Any = UNSET,
        signer: Any = None,
        claims: dict[str, Any] | None = None,
    ) -> str:
        """Return a signed proof for ``htm`` ``htu``; each keyword changes one thing."""
        payload = {
            "jti": jti or secrets.token_urlsafe(16),
            "htm": htm,
            "htu": htu,
            "iat": int(time.time()) if iat is None else iat,
        }
        if access_token is not None:
            payload["ath"] = dpop.access_token_hash(access_token)
        if nonce is not None:
            payload["nonce"] = nonce
        payload.update(claims or {})
        header = {"jwk": self.jwk if jwk is UNSET else jwk, "typ": typ or ""}  # "": no typ
        return jwt.encode(
            payload,
            signer if signer is not None else self.private_key,
            algorithm=alg or self.algorithm,
            headers=header,
        )

    def header(self, *args, **kwargs) -> dict[str, str]:
        """Return ``{"HTTP_DPOP": proof}`` for the Django test client."""
        return {"HTTP_DPOP": self.proof(*args, **kwargs)}


def private_jwk(key: DPoPKey) -> dict[str, Any]:
    """Return the key's JWK with its private members: what a proof must never carry."""
    algorithm = jwt.get_algorithm_by_name(key.algorithm)
    return algorithm.to_jwk(key.private_key, as_dict=True)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade(header: dict[str, Any], payload: dict[str, Any], *, hmac_secret: bytes | None = None):
    """Return a JWS PyJWT would not make: ``alg`` none (empty signature) or HS256 with
    ``hmac_secret`` (say, the public key's PEM: the key-confusion attack)."""
    segments = [_b64(json.dumps(part).encode()) for part in (header, payload)]
    signing_input = ".".join(segments).encode()
    signature = b""
    if hmac_secret is not None:
        signature = hmac.new(hmac_secret, signing_input, hashlib.sha256).digest()
    return ".".join([*segments, _b64(signature)])


def claims(htm: str = "POST", htu: str = TOKEN_URL, **extra) -> dict[str, Any]:
    """Return the claims of a fresh proof."""
    fresh = {"jti": secrets.token_urlsafe(16), "htm": htm, "htu": htu, "iat": int(time.time())}
    return {**fresh, **extra}
