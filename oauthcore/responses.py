"""The JSON responses an OAuth error or a token becomes: no caching, the error's own headers."""

from __future__ import annotations

from django.http import JsonResponse

from oauthcore import errors


def no_store(response):
    """Forbid caching of a response that carries tokens or secrets (RFC 6749 5.1)."""
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def json_error(error: errors.OAuthError) -> JsonResponse:
    """Render an error of the token, revocation or introspection endpoint (RFC 6749 5.2)."""
    response = JsonResponse(error.as_dict(), status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    return no_store(response)
