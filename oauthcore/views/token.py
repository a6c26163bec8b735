"""The token endpoint (RFC 6749 3.2): parse the form, authenticate the client, run the grant."""

from django.http import JsonResponse

from oauthcore import clients, grants
from oauthcore.views.base import EndpointView


class TokenView(EndpointView):
    def post(self, request):
        params = self.form(request)
        client = clients.authenticate(request, params)
        return JsonResponse(grants.run(client, params))
