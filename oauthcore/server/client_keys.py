"""A client's public keys (RFC 7591 2: ``jwks`` or ``jwks_uri``) and the JWTs they sign.

Used by ``private_key_jwt`` (RFC 7523 2.2) and request objects (RFC 9101). Only public,
asymmetric keys are accepted (RFC 8725 3.1, 3.2): a JWK with private members or ``kty`` oct is
refused at registration and ignored here. A key with an ``alg`` verifies only that algorithm, one
without it the algorithms its type allows; both only among those the caller accepts.

A ``jwks_uri`` is a URL the client chose, so it is fetched through ``oauthcore.fetch`` with every
guard (https, public addresses only, no redirects, time and size limits), and cached and fetched
again as ``jose/remote_keys.py`` says.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import jwt
from django.core.signals import setting_changed

from oauthcore import fetch
from oauthcore.errors import InvalidClientMetadata
from oauthcore.jose import remote_keys
from oauthcore.models import Client

# The asymmetric algorithms a client may sign with, and the key types each needs.
KEY_TYPES = {alg: remote_keys.KEY_TYPES[alg] for alg in ("RS256", "PS256", "ES256", "EdDSA")}
MAX_REMEMBERED = 1000
ACCEPT = "application/jwk-set+json, application/json"


class Refused(Exception):
    """A JWT no key of the client verifies, or whose claims are refused; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ClientKey:
    """One public key of a client and the algorithms it may verify."""

    kid: str | None
    algorithms: frozenset[str]
    public_key: Any


# Registration (RFC 7591 2): what a client may register


def check_jwk(jwk: Any) -> None:
    """Refuse a JWK that is not a public key of a type we verify."""
    if not isinstance(jwk, dict):
        raise InvalidClientMetadata("Each key of jwks must be a JWK object.")
    if remote_keys.PRIVATE_MEMBERS & set(jwk) or jwk.get("kty") == "oct":
        raise InvalidClientMetadata("jwks must hold public keys only, no private key material.")
    if parse_key(jwk) is None:
        raise InvalidClientMetadata(
            "Each key of jwks must be an RSA (2048 bits at least), EC P-256, Ed25519 or Ed448 "
            "public signing key."
        )


def check_jwks(value: dict[str, Any]) -> dict[str, Any]:
    """Return a JWK Set (RFC 7517 5) if every key in it is one we accept."""
    for jwk in value.get("keys") or []:
        check_jwk(jwk)
    return value


def check_jwks_uri(url: str) -> str:
    """Return ``url`` if ``oauthcore.fetch`` may fetch it (https; http only on loopback in dev)."""
    try:
        fetch.check_url(url)
    except fetch.FetchError as e:
        raise InvalidClientMetadata(f"jwks_uri cannot be fetched: {e.reason}") from e
    return url


# Reading keys


def parse_key(jwk: Any) -> ClientKey | None:
    """Return the public key of one JWK, or None when it is not one we trust."""
    algorithms = remote_keys.algorithms_of(jwk, KEY_TYPES)
    if not algorithms or not isinstance(jwk.get("kid", ""), str):
        return None
    public_key = remote_keys.public_key(jwk, min(algorithms))
    if public_key is None:
        return None
    return ClientKey(jwk.get("kid"), algorithms, public_key)


def parse(document: Any) -> list[ClientKey]:
    """Return the keys we trust in a JWK Set."""
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        return []
    return [key for jwk in entries if (key := parse_key(jwk)) is not None]


def _load(url: str) -> list[ClientKey]:
    """Fetch a client's ``jwks_uri`` and return the keys we trust in it."""
    response = fetch.get(url, accept=ACCEPT)
    try:
        return parse(json.loads(response.body))
    except (ValueError, RecursionError) as e:  # RecursionError: nested too deep
        raise fetch.FetchError("The JWKS document is not JSON.") from e


RemoteSet = remote_keys.RemoteKeySet[list[ClientKey]]


_remote: dict[str, RemoteSet] = {}


def _remote_set(url: str) -> RemoteSet:
    remote = _remote.get(url)
    if remote is None:
        if len(_remote) >= MAX_REMEMBERED:
            _remote.clear()
        remote = _remote[url] = RemoteSet(url, load=_load, empty=[])
    return remote


def _fitting(keys: list[ClientKey], kid: str | None, alg: str) -> list[ClientKey]:
    return [key for key in keys if alg in key.algorithms and (kid is None or key.kid == kid)]


def find(client: Client, *, kid: str | None, alg: str) -> list[Any]:
    """Return the public keys of ``client`` that may verify a JWT with this ``kid`` and ``alg``."""
    if client.jwks:
        return [key.public_key for key in _fitting(parse(client.jwks), kid, alg)]
    if not client.jwks_uri:
        return []
    remote = _remote_set(client.jwks_uri)
    return [key.public_key for key in remote.lookup(lambda keys: _fitting(keys, kid, alg))]


def has_keys(client: Client) -> bool:
    """Tell whether ``client`` registered keys (``jwks`` or ``jwks_uri``)."""
    return bool(client.jwks or client.jwks_uri)


# Verifying


def header_of(token: str, *, types: frozenset[str]) -> dict[str, Any]:
    """Return the protected header of a compact JWS whose ``typ`` (if any) is one of ``types``
    (lower case), else raise ``Refused``: a JWT made for another use is not taken for this one
    (RFC 8725 3.11)."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise Refused("It is not a signed JWT (JWS compact serialization).")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as e:
        raise Refused("Its header cannot be read.") from e
    typ = header.get("typ", "jwt")
    if not isinstance(typ, str) or typ.lower().removeprefix("application/") not in types:
        raise Refused(f"Its typ must be one of {', '.join(sorted(types))}.")
    return header


def decode_with(token: str, keys: list[Any], alg: str, **checks: Any) -> dict[str, Any]:
    """Return the claims of ``token`` if one of ``keys`` verifies it with ``alg``; ``checks`` are
    PyJWT's (``audience``, ``leeway``, ``options``). Raise ``Refused`` otherwise."""
    for key in keys:
        try:
            claims = jwt.decode(token, key, algorithms=[alg], **checks)
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError as e:  # the signature verified, a claim did not
            raise Refused(f"It is refused: {e}") from e
        if not isinstance(claims, dict):
            raise Refused("Its payload is not a JSON object.")
        return claims
    raise Refused("No registered key of the client verifies its signature.")


def decode(
    token: str, client: Client, *, algorithms: list[str], types: frozenset[str], **checks: Any
) -> dict[str, Any]:
    """Return the claims of a JWT of one of ``types`` signed by one of ``client``'s keys with one
    of ``algorithms`` (asymmetric only: ``none`` and HMAC never, RFC 8725 3.1); else ``Refused``."""
    header = header_of(token, types=types)
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in KEY_TYPES or alg not in algorithms:
        raise Refused(
            f"Its alg is not one of {', '.join(a for a in algorithms if a in KEY_TYPES)}."
        )
    if kid is not None and not isinstance(kid, str):
        raise Refused("Its kid is not a string.")
    keys = find(client, kid=kid, alg=alg)
    if not keys:
        raise Refused("The client has no registered key for it.")
    return decode_with(token, keys, alg, **checks)


def forget() -> None:
    """Drop every fetched set; the next use fetches again."""
    _remote.clear()


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting == "OAUTHCORE":
        forget()


setting_changed.connect(_reload)
