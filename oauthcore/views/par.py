"""The pushed authorization request endpoint (RFC 9126 2): authenticate, validate, keep; 201."""

from http import HTTPStatus

from django.http import JsonResponse

from oauthcore.server import client_auth, par
from oauthcore.server.grants import binding
from oauthcore.views.base import EndpointView


class PushedAuthorizationRequestView(EndpointView):
    """POST an authorization request's parameters; answer its ``request_uri`` (RFC 9126 2.2).

    Client authentication is the token endpoint's (every method of ``client_auth``; a public
    client sends its ``client_id``), and so is the limit on failed attempts; errors are JSON.
    """

    repeatable = frozenset({"resource"})  # RFC 8707 2: one or more resource parameters

    def post(self, request):
        form = self.form(request)
        client = client_auth.authenticate(request, form)
        proof = binding.read_proof(request, "par")  # RFC 9449 10.1: binds the code to its key
        body = par.push(client, form, request=request, proof=proof)
        return binding.with_nonce(JsonResponse(body, status=HTTPStatus.CREATED))
