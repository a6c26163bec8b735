"""The table of client authentication methods, keyed by ``Client.token_endpoint_auth_method``.

Each entry (RFC 7591 2) says how a request presents the method and how it is verified; a request
is read before its client is known (``present``), then checked against the method its client
registered (``oauthcore.server.client_auth.verify``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from oauthcore import errors, profiles
from oauthcore.conf import oauth_settings
from oauthcore.models import Client
from oauthcore.server.client_auth import assertions

Method = Client.TokenEndpointAuthMethod
Params = dict[str, str]


def failure(*, basic: bool) -> errors.InvalidClient:
    """Return the one invalid_client error; with a Basic challenge when Basic was used (RFC 6749 5.2)."""
    headers = {"WWW-Authenticate": f'Basic realm="{oauth_settings.realm}"'} if basic else {}
    return errors.InvalidClient("Client authentication failed.", headers=headers)


def basic_credentials(header: str) -> tuple[str, str]:
    """Return (client_id, secret) from an HTTP Basic Authorization header (RFC 6749 2.3.1)."""
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise failure(basic=True)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        client_id, colon, secret = decoded.partition(":")
        if not colon:
            raise ValueError("no colon")
        # RFC 6749 2.3.1: both parts are application/x-www-form-urlencoded before encoding.
        return unquote_plus(client_id, errors="strict"), unquote_plus(secret, errors="strict")
    except (binascii.Error, ValueError) as e:  # UnicodeDecodeError is a ValueError
        raise failure(basic=True) from e


@dataclass(frozen=True)
class Presented:
    """What a request presents to authenticate its client, read before the client is known."""

    method: str  # the method whose presentation the request uses
    client_id: str | None
    credential: str | None  # a secret; an assertion for the RFC 7523 methods

    @property
    def basic(self) -> bool:
        return self.method == Method.CLIENT_SECRET_BASIC


@dataclass(frozen=True)
class Entry:
    """A client authentication method: how a request presents it, how it is verified.

    ``uses(request, params)`` tells whether a request presents credentials this way (None: the
    fallback, a bare client_id); ``read(request, params)`` returns (client_id, credential);
    ``presentation`` names that way (the method's name, but both RFC 7523 methods present a
    ``client_assertion``); ``accepts`` names the presentations a client of this method may use;
    ``verify(client, credential)`` tells whether the credential proves the client.
    """

    name: str
    uses: Callable[[Any, Params], bool] | None
    read: Callable[[Any, Params], tuple[str | None, str | None]]
    accepts: frozenset[str]
    verify: Callable[[Client, str | None], bool]
    authenticates: bool = True  # False for none: it names the client, it does not prove it
    presentation: str = ""  # empty: the method's name

    def __post_init__(self) -> None:
        if not self.presentation:
            object.__setattr__(self, "presentation", self.name)


def _uses_basic(request, params: Params) -> bool:
    return request.META.get("HTTP_AUTHORIZATION") is not None


def _read_basic(request, params: Params) -> tuple[str, str]:
    client_id, secret = basic_credentials(request.META["HTTP_AUTHORIZATION"])
    if params.get("client_id", client_id) != client_id:
        raise errors.InvalidRequest("client_id does not match the authenticated client.")
    return client_id, secret


def _uses_post(request, params: Params) -> bool:
    return "client_secret" in params


def _read_post(request, params: Params) -> tuple[str | None, str | None]:
    return params.get("client_id"), params.get("client_secret")


def _read_client_id(request, params: Params) -> tuple[str | None, None]:
    return params.get("client_id"), None


def _secret_fits(client: Client, secret: str | None) -> bool:
    return bool(secret) and client.check_secret(secret)


def _no_credential(client: Client, credential: str | None) -> bool:
    return credential is None


# RFC 6749 2.3.1: a client with a secret may present it in the Basic header or in the form,
# whichever of the two it registered (the registered one names its usual presentation). The
# RFC 7523 methods both read client_assertion; the client's registered method says how it is
# verified (its keys, or its secret).
SECRET = frozenset({Method.CLIENT_SECRET_BASIC, Method.CLIENT_SECRET_POST})
ASSERTION = frozenset({assertions.PRESENTATION})
METHODS: dict[str, Entry] = {
    entry.name: entry
    for entry in [
        Entry(
            name=Method.CLIENT_SECRET_BASIC,
            uses=_uses_basic,
            read=_read_basic,
            accepts=SECRET,
            verify=_secret_fits,
        ),
        Entry(
            name=Method.CLIENT_SECRET_POST,
            uses=_uses_post,
            read=_read_post,
            accepts=SECRET,
            verify=_secret_fits,
        ),
        Entry(
            name=Method.CLIENT_SECRET_JWT,
            uses=assertions.uses,
            read=assertions.read,
            accepts=ASSERTION,
            verify=assertions.verify_client_secret_jwt,
            presentation=assertions.PRESENTATION,
        ),
        Entry(
            name=Method.PRIVATE_KEY_JWT,
            uses=assertions.uses,
            read=assertions.read,
            accepts=ASSERTION,
            verify=assertions.verify_private_key_jwt,
            presentation=assertions.PRESENTATION,
        ),
        Entry(
            name=Method.NONE,
            uses=None,
            read=_read_client_id,
            accepts=frozenset({Method.NONE}),
            verify=_no_credential,
            authenticates=False,
        ),
    ]
}


def supported(*, authenticating: bool = False) -> list[str]:
    """Return the methods of the table the security profile allows (RFC 8414 2); only those that
    prove the client if asked."""
    profile = profiles.active()
    return [
        name
        for name, entry in METHODS.items()
        if (entry.authenticates or not authenticating) and profile.allows_auth_method(name)
    ]


def present(request, params: Params) -> Presented:
    """Return what the request presents, by the one method it uses (RFC 6749 2.3)."""
    used = {
        entry.presentation: entry
        for entry in METHODS.values()
        if entry.uses and entry.uses(request, params)
    }
    if len(used) > 1:
        raise errors.InvalidRequest("Use only one client authentication method.")
    (entry,) = used.values() or [entry for entry in METHODS.values() if entry.uses is None]
    client_id, credential = entry.read(request, params)
    return Presented(entry.presentation, client_id, credential)
