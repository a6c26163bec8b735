"""The pushed authorization request endpoint's work (RFC 9126 2): check, then keep the request.

The client is authenticated as at the token endpoint (``client_auth.authenticate``); its
parameters are then validated as the authorization endpoint would (the client, the exactly
registered redirect URI, the table of ``authorization.checks`` for the PAR endpoint), and
every error is answered as JSON (RFC 9126 2.3), never redirected.
"""

from __future__ import annotations

from typing import Any

from oauthcore import errors
from oauthcore.jose import dpop
from oauthcore.models import Client
from oauthcore.server import authorization
from oauthcore.server.authorization import pushed as pushed_requests
from oauthcore.server.authorization import request_objects
from oauthcore.server.authorization.params import Params
from oauthcore.server.grants import binding

# Parameters of client authentication (RFC 6749 2.3.1, RFC 7523 2.2), not of the request.
CREDENTIALS = frozenset({"client_secret", "client_assertion", "client_assertion_type"})


def request_params(client: Client, form: dict[str, Any]) -> Params:
    """Return the authorization request's parameters of an authenticated PAR ``form``.

    A ``client_id`` sent must name the authenticated client (RFC 9126 2.1); it is added if not.
    """
    params = {
        name: list(value) if isinstance(value, list) else [value]
        for name, value in form.items()
        if name not in CREDENTIALS
    }
    if params.get("client_id", [client.client_id]) != [client.client_id]:
        raise errors.InvalidRequest("client_id does not match the authenticated client.")
    params["client_id"] = [client.client_id]
    return params


def push(
    client: Client, form: dict[str, Any], *, request=None, proof: dpop.Proof | None = None
) -> dict[str, Any]:
    """Validate and keep the request ``client`` pushed; return the 201 body (RFC 9126 2.2).

    With a DPoP ``proof`` (RFC 9449 10.1), the code will be bound to its key.
    """
    params = request_objects.expand(request_params(client, form), client)
    binding.bind_pushed_request(params, proof)
    target = authorization.find_target(params, request=request)
    if target.client.pk != client.pk:
        raise errors.InvalidRequest("client_id does not match the authenticated client.")
    authorization.validate(params, target, endpoint=authorization.PAR)
    request_uri, expires_in = pushed_requests.store(client, params)
    return {"request_uri": request_uri, "expires_in": expires_in}
