"""The parameters an authorization request really carries (RFC 9126 4, RFC 9101 5).

Once its client is known and before its redirect URI is read, a ``request_uri`` (a pushed
authorization request: this server's own ``urn:ietf:params:oauth:request_uri:`` values only,
never a URL to fetch) and then a ``request`` (a request object) stand for the parameters; those
sent beside them are ignored, ``client_id`` aside. Errors here are shown on the error page: the
redirect URI is not verified yet.
"""

from __future__ import annotations

from oauthcore import errors
from oauthcore.models import Client
from oauthcore.server.authorization import params as parameters
from oauthcore.server.authorization import request_objects
from oauthcore.server.authorization.params import Params

PUSHED_PREFIX = "urn:ietf:params:oauth:request_uri:"  # RFC 9126 2.2


def pushed_parameters(params: Params, client: Client) -> Params:
    """Return the parameters a ``request_uri`` stands for: one of this server's pushed requests.

    A ``request_uri`` to fetch (RFC 9101 5.2) is refused: the server never fetches one.
    """
    uri = parameters.one(params, "request_uri") or ""
    if not uri.startswith(PUSHED_PREFIX):
        raise errors.InvalidRequestUri(
            "Only the request_uri of a pushed authorization request (RFC 9126) is accepted."
        )
    # Pushed authorization requests (RFC 9126 4) plug in here: return the parameters pushed
    # for ``uri`` by ``client``, or raise InvalidRequestUri.
    raise errors.RequestUriNotSupported("Pushed authorization requests are not supported.")


def resolve(params: Params, client: Client) -> Params:
    """Return the parameters of the authorization request ``params`` stands for."""
    if "request_uri" in params:
        if request_objects.PARAMETER in params:
            raise errors.InvalidRequest("Send request or request_uri, not both (RFC 9101 5).")
        params = pushed_parameters(params, client)
    if request_objects.PARAMETER in params:
        params = request_objects.expand(params, client)
    return params
