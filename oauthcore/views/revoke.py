"""The revocation endpoint (RFC 7009): a client revokes one of its own tokens."""

from django.http import HttpResponse

from oauthcore import errors
from oauthcore.server import client_auth, revocation
from oauthcore.views.base import EndpointView


def required_token(params: dict[str, str]) -> str:
    """Return the ``token`` parameter, which RFC 7009 2.1 and RFC 7662 2.1 require."""
    token = params.get("token")
    if not token:
        raise errors.InvalidRequest("The token parameter is required.")
    return token


class RevokeView(EndpointView):
    """POST ``token`` (and ``token_type_hint``) with the client's authentication.

    The answer is 200 with an empty body whether or not the token was known, valid or the
    client's (RFC 7009 2.2): a client learns nothing about other clients' tokens.
    """

    def post(self, request):
        params = self.form(request)
        client = client_auth.authenticate(request, params)
        token = required_token(params)
        revocation.revoke_token(client, token, hint=params.get("token_type_hint"))
        return HttpResponse(status=200)
