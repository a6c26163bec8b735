"""The token endpoint (RFC 6749 3.2): parse the form, authenticate the client, check a DPoP
proof (RFC 9449 5), run the grant."""

from django.http import JsonResponse

from oauthcore import errors, signals
from oauthcore.models import Client
from oauthcore.server import client_auth, grants
from oauthcore.server.grants import binding
from oauthcore.views.base import EndpointView

MAX_SIGNALLED_LENGTH = 100  # of a claimed client_id or grant_type in ``token_denied``


def _claimed_client_id(request, params) -> str | None:
    try:
        client_id = client_auth.present(request, params).client_id  # the secret is dropped here
    except errors.OAuthError:
        return None
    return client_id[:MAX_SIGNALLED_LENGTH] if client_id else None


def send_denied(request, params, client, error: errors.OAuthError) -> None:
    """Send ``token_denied``: which client, grant type and error; never a credential."""
    client_id = client.client_id if client else _claimed_client_id(request, params)
    grant_type = params.get("grant_type")
    signals.token_denied.send(
        Client,
        client=client,
        client_id=client_id,
        grant_type=grant_type[:MAX_SIGNALLED_LENGTH] if grant_type else None,
        error=error.error,
    )


class TokenView(EndpointView):
    # RFC 8707 2: one or more resource parameters; RFC 8693 2.1: one or more audience parameters
    repeatable = frozenset({"resource", "audience"})

    def post(self, request):
        params, client = {}, None
        try:
            params = self.form(request)
            client = client_auth.authenticate(request, params)
            proof = binding.read_proof(request)
            return binding.with_nonce(JsonResponse(grants.run(client, params, proof=proof)))
        except errors.OAuthError as error:
            send_denied(request, params, client, error)
            raise
