"""The introspection endpoint (RFC 7662): a confidential client asks whether a token is active."""

from django.http import JsonResponse

from oauthcore import errors
from oauthcore.server import client_auth, introspection
from oauthcore.views.base import EndpointView
from oauthcore.views.revoke import required_token


class IntrospectView(EndpointView):
    """POST ``token`` (and ``token_type_hint``) with a confidential client's authentication.

    A client sees its own tokens; one with ``can_introspect`` (a resource server) sees any.
    Everything else is ``{"active": false}`` (RFC 7662 2.2).
    """

    def post(self, request):
        params = self.form(request)
        client = client_auth.authenticate(request, params)
        if not client_auth.proves_identity(client):
            raise errors.InvalidClient("Introspection requires a confidential client.")
        token = required_token(params)
        hint = params.get("token_type_hint")
        return JsonResponse(introspection.introspect(client, token, hint=hint))
