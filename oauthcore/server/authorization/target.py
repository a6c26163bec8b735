"""Where an authorization request's answer may go: its client and redirect URI (RFC 6749 3.1.2).

Errors found here are shown on the error page, never redirected (RFC 6749 4.1.2.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from oauthcore import errors
from oauthcore.models import MAX_CLIENT_ID_LENGTH, Client
from oauthcore.server import client_auth, metadata_documents, redirect_uris
from oauthcore.server.authorization import params as parameters
from oauthcore.server.authorization import request_objects
from oauthcore.server.authorization.params import Params


@dataclass(frozen=True)
class Target:
    """Where errors may be sent once client and redirect URI are verified (RFC 6749 4.1.2.1)."""

    client: Client
    redirect_uri: str
    state: str | None
    redirect_uri_sent: bool = True
    # The parameters the request stands for (a request object's, RFC 9101 5): check these.
    params: Params = field(default_factory=dict)


def find_target(params: Params, *, request=None) -> Target:
    """Verify client_id and redirect_uri (RFC 6749 3.1.2.3); errors here must not redirect.

    A ``request`` object is read first (``resolution``; a ``request_uri`` was resolved
    before): the target's ``params`` are the parameters the request stands for.

    ``request``: the HTTP request, whose address pays for a client metadata document fetch.
    """
    client = _find_client(parameters.one(params, "client_id"), request)
    params = request_objects.expand(params, client)
    sent = parameters.one(params, "redirect_uri")
    redirect_uri = _find_redirect_uri(client, sent)
    try:
        state = parameters.state(params)
    except errors.InvalidRequest:
        state = None
    return Target(client, redirect_uri, state, redirect_uri_sent=sent is not None, params=params)


def _find_client(client_id: str | None, request) -> Client:
    """Return the active client named ``client_id`` (RFC 6749 2.2), or the client its metadata
    document describes (draft-ietf-oauth-client-id-metadata-document), fetched if need be."""
    valid = (
        client_id
        and len(client_id) <= MAX_CLIENT_ID_LENGTH
        and parameters.VSCHAR.fullmatch(client_id)
    )
    if valid and metadata_documents.applies(client_id):
        return metadata_documents.find(client_id, request=request)
    client = client_auth.find(client_id) if valid else None
    if client is None:
        raise errors.InvalidClient("Unknown or inactive client.")
    return metadata_documents.renew(client, request=request)


def _find_redirect_uri(client: Client, uri: str | None) -> str:
    """Return the redirect URI to use: a registered one, character for character (RFC 6749
    3.1.2.3, RFC 9700 2.1, 4.1.3); only a loopback IP URI's port may differ (RFC 8252 7.3)."""
    registered = list(client.redirect_uris)
    if uri is None:
        if len(registered) != 1:
            raise errors.InvalidRequest("redirect_uri is required for this client.")
        return registered[0]
    if client.origin == Client.Origin.METADATA_DOCUMENT:  # exact, no port leeway (draft 4.2)
        if uri in registered:
            return uri
    elif any(redirect_uris.matches(uri, known) for known in registered):
        return uri
    raise errors.InvalidRequest("This redirect_uri is not registered for the client.")
