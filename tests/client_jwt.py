"""A client that signs its own JWTs: key pairs, client assertions (RFC 7523) and request objects
(RFC 9101), and the forms that present them."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from oauthcore.jose import keys
from oauthcore.models import Client
from oauthcore.server import registration

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ISSUER = "http://testserver"  # tests/settings.py


@dataclass(frozen=True)
class KeyPair:
    """A client's private key and the public JWK it registers."""

    private_key: Any
    alg: str
    kid: str

    @property
    def jwk(self) -> dict[str, str]:
        return {**keys.public_jwk(self.private_key.public_key()), "kid": self.kid, "alg": self.alg}

    @property
    def jwks(self) -> dict[str, list]:
        return {"keys": [self.jwk]}


def key_pair(alg: str = "ES256", kid: str | None = None) -> KeyPair:
    return KeyPair(keys.generate_private_key(alg), alg, kid or f"key-{uuid.uuid4().hex[:8]}")


def claims(client_id: str, **overrides) -> dict[str, Any]:
    """Return valid assertion claims for ``client_id``; None in ``overrides`` drops a claim."""
    now = int(time.time())
    values = {
        "iss": client_id,
        "sub": client_id,
        "aud": ISSUER,
        "iat": now,
        "exp": now + 60,
        "jti": uuid.uuid4().hex,
        **overrides,
    }
    return {name: value for name, value in values.items() if value is not None}


def sign(payload: dict[str, Any], pair: KeyPair, **headers) -> str:
    return jwt.encode(
        payload, pair.private_key, algorithm=pair.alg, headers={"kid": pair.kid, **headers}
    )


def assertion(client_id: str, pair: KeyPair, **overrides) -> str:
    """Return a private_key_jwt assertion for ``client_id`` signed by ``pair``."""
    return sign(claims(client_id, **overrides), pair)


def hmac_assertion(client_id: str, secret: str | bytes, **overrides) -> str:
    """Return a client_secret_jwt assertion (HS256 with ``secret``)."""
    return jwt.encode(claims(client_id, **overrides), secret, algorithm="HS256")


def form(token: str, **fields) -> dict[str, str]:
    """Return the form fields that present ``token`` as the client assertion (RFC 7521 4.2)."""
    return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": token, **fields}


def key_client(pair: KeyPair | None = None, *, jwks_uri: str = "", **fields) -> Client:
    """Register a private_key_jwt client of ``pair``'s key (or of ``jwks_uri``)."""
    metadata = {"jwks_uri": jwks_uri} if jwks_uri else {"jwks": pair.jwks}
    client, secret = registration.create_client(
        name="Keyed app",
        grant_types=fields.pop("grant_types", ["authorization_code", "client_credentials"]),
        redirect_uris=["https://app.example.com/callback"],
        scope="read:profile read:email publish",
        token_endpoint_auth_method="private_key_jwt",
        metadata=metadata,
        **fields,
    )
    assert secret is None
    return client


def secret_jwt_client(**fields) -> tuple[Client, str]:
    """Register a client_secret_jwt client; return it with its secret."""
    return registration.create_client(
        name="HMAC app",
        grant_types=["authorization_code", "client_credentials"],
        redirect_uris=["https://app.example.com/callback"],
        scope="read:profile read:email publish",
        token_endpoint_auth_method="client_secret_jwt",
        **fields,
    )


def request_object(client: Client, pair: KeyPair, **params) -> str:
    """Return a request object (RFC 9101) of ``client`` holding ``params``."""
    now = int(time.time())
    payload = {
        "iss": client.client_id,
        "aud": ISSUER,
        "client_id": client.client_id,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        **params,
    }
    return sign({name: value for name, value in payload.items() if value is not None}, pair)
