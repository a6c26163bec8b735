"""The one place where an ``OAuthError`` becomes a response: JSON, a redirect, or an error page."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from oauthcore import errors
from oauthcore.conf import oauth_settings


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


class ClientRedirect(HttpResponseRedirect):
    """A redirect to a registered redirect URI, whose scheme may be a native app's own."""

    def __init__(self, url: str, **kwargs) -> None:
        self.allowed_schemes = [urlsplit(url).scheme]
        super().__init__(url, **kwargs)


def redirect_to_client(redirect_uri: str, params: dict[str, str]) -> ClientRedirect:
    """Redirect to ``redirect_uri`` with ``params`` and ``iss`` added to its query (RFC 9207)."""
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(name, value) for name, value in params.items() if value is not None]
    query.append(("iss", oauth_settings.ISSUER))
    response = ClientRedirect(urlunsplit(parts._replace(query=urlencode(query))))
    response["Referrer-Policy"] = "no-referrer"
    return no_store(response)


def redirect_error(
    error: errors.OAuthError, *, redirect_uri: str, state: str | None
) -> ClientRedirect:
    """Send an authorization error back to a verified redirect URI (RFC 6749 4.1.2.1)."""
    return redirect_to_client(redirect_uri, {**error.as_dict(), "state": state})


def error_page(request, error: errors.OAuthError, template_name: str = "oauthcore/error.html"):
    """Show an error to the user; used when the client or redirect URI cannot be trusted."""
    response = TemplateResponse(request, template_name, {"error": error}, status=400)
    return no_store(response)


@method_decorator(csrf_exempt, name="dispatch")
class EndpointView(View):
    """A back-channel endpoint (token, revocation, introspection): POST in, JSON out."""

    http_method_names = ["post", "options"]

    def dispatch(self, request, *args, **kwargs):
        try:
            if request.method != "OPTIONS" and request.method.lower() not in self.http_method_names:
                raise errors.InvalidRequest("Use POST.")
            return no_store(super().dispatch(request, *args, **kwargs))
        except errors.OAuthError as error:
            response = json_error(error)
            if request.method not in ("POST", "OPTIONS"):
                response.status_code = 405
                response["Allow"] = "POST"
            return response

    def form(self, request) -> dict[str, str]:
        """Return the form parameters, refusing other bodies and repeated parameters (RFC 6749 3.2)."""
        content_type = request.content_type or ""
        if content_type != "application/x-www-form-urlencoded":
            raise errors.InvalidRequest("The body must be application/x-www-form-urlencoded.")
        if request.GET:
            raise errors.InvalidRequest("Parameters must be sent in the request body.")
        params = {}
        for name, values in request.POST.lists():
            if len(values) > 1:
                raise errors.InvalidRequest(f"The {name} parameter is repeated.")
            params[name] = values[0]
        return params
