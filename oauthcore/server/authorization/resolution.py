"""Which parameters an authorization request really has: pushed, in a request object, or sent.

``resolve`` turns what the browser sent into the request's parameters. A ``request_uri``
(RFC 9126 4) must be one of this server's pushed requests, never a URL to fetch (RFC 9101 5.2):
the parameters the client pushed, and only those, replace the ones sent (RFC 9101 6.3: the outer
ones but ``client_id`` and ``request_uri`` are ignored). Once the client is known,
``request_objects.expand`` reads a ``request`` (RFC 9101, a request object by value): its
parameters replace the ones sent too. A request object pushed with PAR is read at push time,
so what was stored is already expanded. Errors raised here are shown on the error page: the
redirect URI is not known yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from oauthcore import errors
from oauthcore.models import Client
from oauthcore.server.authorization import params as parameters
from oauthcore.server.authorization import pushed as pushed_requests
from oauthcore.server.authorization import request_objects
from oauthcore.server.authorization.params import Params


@dataclass(frozen=True)
class Resolved:
    """An authorization request's parameters and the ``request_uri`` they came from, if pushed."""

    params: Params
    request_uri: str | None = None

    @property
    def pushed(self) -> bool:
        return self.request_uri is not None


def resolve(params: Params) -> Resolved:
    """Return the parameters of the request ``params`` were sent for (RFC 9126 4)."""
    request_uri = parameters.one(params, "request_uri")
    if request_uri is None:
        return Resolved(params)
    if request_objects.PARAMETER in params:
        raise errors.InvalidRequest("Send request or request_uri, not both (RFC 9101 5).")
    client_id = parameters.one(params, "client_id")
    if client_id is None:
        raise errors.InvalidRequest("client_id is required with request_uri (RFC 9126 4).")
    stored = pushed_requests.open_request(request_uri, client_id)
    pushed = {name: list(values) for name, values in stored.parameters.items()}
    return Resolved({**pushed, "client_id": [client_id]}, request_uri)


def complete(request_uri: str | None, client: Client) -> None:
    """Consume the pushed request ``client``'s authorization answers, once (RFC 9126 4), else
    raise ``InvalidRequestUri``; a request not pushed (``request_uri`` None) consumes nothing."""
    if request_uri is not None:
        pushed_requests.consume(request_uri, client)
