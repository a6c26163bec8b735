"""Dynamic client registration (RFC 7591 3) and the client configuration endpoint (RFC 7592 2).

Both exist only while ``REGISTRATION`` is ``open`` or ``token``: otherwise they are 404.
"""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.db import DatabaseError
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from oauthcore import errors
from oauthcore.responses import json_error, no_store
from oauthcore.server import client_metadata, dynamic_registration
from oauthcore.views.base import unavailable

logger = logging.getLogger("oauthcore")
MAX_BODY_BYTES = 64 * 1024


def json_body(request) -> bytes:
    """Return the body of a JSON request (RFC 7591 3.1), refusing other and oversized bodies."""
    if request.content_type != "application/json":
        raise errors.InvalidClientMetadata("The body must be application/json.")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        raise errors.InvalidClientMetadata(f"The body is over {MAX_BODY_BYTES} bytes.")
    try:
        body = request.body
    except (BadRequest, SuspiciousOperation) as e:  # over DATA_UPLOAD_MAX_MEMORY_SIZE
        raise errors.InvalidClientMetadata("The body cannot be read.") from e
    if len(body) > MAX_BODY_BYTES:
        raise errors.InvalidClientMetadata(f"The body is over {MAX_BODY_BYTES} bytes.")
    return body


@method_decorator(login_not_required, name="dispatch")  # clients, not signed-in users
@method_decorator(csrf_exempt, name="dispatch")
class RegistrationEndpointView(View):
    """A JSON endpoint of registration: errors are JSON (RFC 7591 3.2.2), nothing is cached."""

    def dispatch(self, request, *args, **kwargs):
        if not dynamic_registration.is_enabled():
            raise Http404("Dynamic client registration is off.")
        try:
            return no_store(super().dispatch(request, *args, **kwargs))
        except errors.OAuthError as error:
            return json_error(error)
        except DatabaseError:
            return json_error(unavailable(request))
        except Exception:
            logger.exception("Unexpected error while serving %s", request.path)
            return json_error(errors.ServerError("The server failed; try again later."))


class RegisterView(RegistrationEndpointView):
    """POST an RFC 7591 client metadata object; 201 with the client's information (3.2.1)."""

    http_method_names = ["post", "options"]

    def post(self, request):
        dynamic_registration.spend_rate(request)
        token = dynamic_registration.initial_token(request)
        values = dynamic_registration.read_metadata(json_body(request))
        body = dynamic_registration.register(values, token=token)
        return JsonResponse(body, status=201)


class ClientConfigurationView(RegistrationEndpointView):
    """Read (GET), replace (PUT) or delete (DELETE) a client with its registration access token."""

    http_method_names = ["get", "put", "delete", "options"]

    def managed(self, request, client_id):
        raw = dynamic_registration.bearer_token(request)
        return dynamic_registration.managed_client(client_id, raw), raw

    def get(self, request, client_id):
        client, raw = self.managed(request, client_id)
        return JsonResponse(dynamic_registration.information(client, registration_token=raw))

    def put(self, request, client_id):
        client, raw = self.managed(request, client_id)
        document = client_metadata.loads(json_body(request))
        body = dynamic_registration.update(client, document, registration_token=raw)
        return JsonResponse(body)

    def delete(self, request, client_id):
        client, _raw = self.managed(request, client_id)
        dynamic_registration.delete(client)
        return HttpResponse(status=204)
