"""The registry of grant types the token endpoint serves, keyed by the RFC ``grant_type`` string.

A grant is a handler ``handler(client, params, *, now) -> dict`` that returns the body of a
successful token response (RFC 6749 5.1) or raises an ``OAuthError``. A handler that also takes
``proof`` (or ``**kwargs``) is given the request's checked DPoP proof (RFC 9449), or None; a
request with a proof for a grant that takes none is refused. A module registers its
grant when imported; the token endpoint and the metadata (``grant_types_supported``) read the
registry, so adding a grant needs no change anywhere else.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import datetime
from typing import Any

from oauthcore import errors, profiles
from oauthcore.jose import dpop
from oauthcore.models import Client
from oauthcore.server.grants import shared

Params = shared.Params
Handler = Callable[..., dict[str, Any]]

_handlers: dict[str, Handler] = {}
_takes_proof: dict[str, bool] = {}


def _accepts_proof(handler: Handler) -> bool:
    try:
        parameters = inspect.signature(handler).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "proof" or p.kind is p.VAR_KEYWORD for p in parameters)


def register(grant_type: str, handler: Handler) -> Handler:
    """Serve ``grant_type`` with ``handler`` (a later registration replaces it); return it."""
    _handlers[str(grant_type)] = handler
    _takes_proof[str(grant_type)] = _accepts_proof(handler)
    return handler


def unregister(grant_type: str) -> None:
    """Stop serving ``grant_type``; nothing happens if it is not registered."""
    _handlers.pop(str(grant_type), None)
    _takes_proof.pop(str(grant_type), None)


def supported() -> list[str]:
    """Return the registered grant types, in the order they were registered (RFC 8414 2)."""
    return list(_handlers)


def run(
    client: Client,
    params: Params,
    *,
    now: datetime | None = None,
    proof: dpop.Proof | None = None,
) -> dict[str, Any]:
    """Run the grant the request names for an authenticated client (RFC 6749 4.1.3, 4.4, 6).

    ``proof``: the request's checked DPoP proof (RFC 9449 5); a client registered with
    ``dpop_bound_access_tokens`` must send one (RFC 9449 5.2).
    """
    grant_type = shared.required(params, "grant_type")
    handler = _handlers.get(grant_type)
    if handler is None:
        raise errors.UnsupportedGrantType("This grant_type is not supported.")
    if not client.allows_grant(grant_type):
        raise errors.UnauthorizedClient("The client may not use this grant_type.")
    bound = getattr(client, "dpop_bound_access_tokens", False)
    if proof is None and (bound or profiles.active().sender_constrained):
        raise errors.InvalidDPoPProof("This client must send a DPoP proof (RFC 9449).")
    if not _takes_proof[grant_type]:
        if proof is not None:
            raise errors.InvalidDPoPProof("This grant_type does not issue DPoP-bound tokens.")
        return handler(client, params, now=now)
    return handler(client, params, now=now, proof=proof)
