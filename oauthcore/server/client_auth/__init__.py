"""Client authentication at the token, revocation and introspection endpoints (RFC 6749 2.3).

A request is read by the one method it uses (``methods.present``), its client found
(``clients.find``), then what it presented is checked against the method the client registered
(``Client.token_endpoint_auth_method``): ``client_secret_basic``, ``client_secret_post``,
``client_secret_jwt`` and ``private_key_jwt`` (RFC 7523: a signed ``client_assertion``,
``assertions.py``) or ``none`` (public clients, client_id only). To add a method, add an entry
to ``methods.METHODS`` and a choice to ``Client.TokenEndpointAuthMethod``.

Every failure looks the same, so a caller cannot tell an unknown client from a bad secret or a
wrong method.
"""

from __future__ import annotations

from oauthcore import crypto, errors, generation, profiles
from oauthcore.models import Client
from oauthcore.server.client_auth.assertions import claimed_client_id, signing_algorithms
from oauthcore.server.client_auth.clients import add_renewer, connect, find, forget
from oauthcore.server.client_auth.methods import (
    METHODS,
    Params,
    Presented,
    basic_credentials,
    failure,
    present,
    supported,
)

__all__ = [
    "METHODS",
    "Presented",
    "add_renewer",
    "authenticate",
    "basic_credentials",
    "claimed_client_id",
    "connect",
    "failure",
    "find",
    "forget",
    "present",
    "proves_identity",
    "signing_algorithms",
    "supported",
    "verify",
]

# The hash of no real secret (under the preferred algorithm when this module was loaded): checked
# against for an unknown client so it costs the same work.
UNKNOWN_CLIENT_HASH = crypto.hash_token("oauthcore: no such client")


def verify(client: Client | None, presented: Presented) -> Client:
    """Return ``client`` if what was presented fits its registered method, else ``InvalidClient``.

    A client registered with a secret method may present its secret either way (RFC 6749
    2.3.1); a ``none`` client must present no secret, and a client with a secret never
    authenticates with ``none``.
    """
    if client is None:
        crypto.matches(presented.credential or "", UNKNOWN_CLIENT_HASH)  # the work a check costs
        raise failure(basic=presented.basic)
    entry = METHODS.get(client.token_endpoint_auth_method)
    if entry is None or presented.method not in entry.accepts:
        raise failure(basic=presented.basic)
    if not profiles.active().allows_auth_method(entry.name):  # e.g. FAPI 2.0: private_key_jwt
        raise failure(basic=presented.basic)
    stored = client.secret_hash, client.previous_secret_hash
    if not entry.verify(client, presented.credential):
        raise failure(basic=presented.basic)
    if (client.secret_hash, client.previous_secret_hash) != stored:
        generation.bump()  # stored under a newer algorithm now: every process reads it afresh
    return client


def proves_identity(client: Client) -> bool:
    """Tell whether ``client``'s method proves who it is (all but ``none``; RFC 7662 2.1)."""
    entry = METHODS.get(client.token_endpoint_auth_method)
    return entry is not None and entry.authenticates


def authenticate(request, params: Params) -> Client:
    """Authenticate the client of a back-channel request (RFC 6749 2.3, 3.2.1), else raise."""
    presented = present(request, params)
    try:
        client = find(presented.client_id, renew=True)
    except errors.InvalidClient:  # e.g. its metadata document could not be fetched again
        client = None
    return verify(client, presented)
