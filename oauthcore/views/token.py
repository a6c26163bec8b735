"""The token endpoint (RFC 6749 3.2)."""

from oauthcore import errors
from oauthcore.views.base import EndpointView


class TokenView(EndpointView):
    def post(self, request):
        raise errors.UnsupportedGrantType("Not implemented yet.")
