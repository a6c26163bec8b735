"""Published documents: the JWKS (RFC 7517), RFC 8414 metadata and OpenID discovery."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from oauthcore.jose import keyring
from oauthcore.server import metadata

JWKS_MAX_AGE = 60
METADATA_MAX_AGE = 300
PUBLIC_CORS = {"Access-Control-Allow-Origin": "*"}


def _json(data: dict, max_age: int) -> JsonResponse:
    response = JsonResponse(data)
    response["Cache-Control"] = f"public, max-age={max_age}"
    for name, value in PUBLIC_CORS.items():
        response[name] = value
    return response


@login_not_required
@require_GET
def jwks(request):
    """Serve the public signing keys (RFC 7517 5)."""
    response = _json(keyring.jwks(), JWKS_MAX_AGE)
    response["Content-Type"] = "application/jwk-set+json"
    return response


@login_not_required
@require_GET
def authorization_server_metadata(request):
    """Serve RFC 8414 metadata."""
    return _json(metadata.document(), METADATA_MAX_AGE)


@login_not_required
@require_GET
def openid_configuration(request):
    """Serve OpenID Connect Discovery 1.0 metadata."""
    return _json(metadata.document(), METADATA_MAX_AGE)
