"""The OpenID Connect userinfo endpoint (OIDC Core 5.3): claims about the token's user.

The bearer token is checked exactly as the resource server does (signature, claims, deny-list;
RFC 6750 errors) and must hold ``openid``. Browsers may call it from the origins of the token's
client's redirect URIs (CORS); a preflight is answered for any origin because it carries no
token, and the real response is readable only from the client's own origins.
"""

from urllib.parse import urlsplit

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from oauthcore import adapter, errors
from oauthcore.resource_server.decorators import REFUSALS, authenticate, bearer_error
from oauthcore.server import client_auth
from oauthcore.views.base import no_store

PREFLIGHT_MAX_AGE = 600


def origin_of(uri: str) -> str | None:
    """Return the web origin (scheme://host[:port]) of an http(s) URI, else None."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def client_allows_origin(client_id: str, origin: str) -> bool:
    """Tell whether ``origin`` is the origin of one of the client's redirect URIs."""
    client = client_auth.find(client_id)
    return client is not None and origin.lower() in {origin_of(u) for u in client.redirect_uris}


@method_decorator(login_not_required, name="dispatch")  # a bearer token, not a session
@method_decorator(csrf_exempt, name="dispatch")
class UserInfoView(View):
    """GET or POST with ``Authorization: Bearer``; OPTIONS answers a CORS preflight."""

    http_method_names = ["get", "post", "options"]

    def get(self, request):
        token = None
        try:
            token = authenticate(request)
            if token is None:
                return bearer_error(None)
            if "openid" not in token.scopes:
                raise errors.InsufficientScope("The access token lacks openid.", scope="openid")
            response = no_store(JsonResponse(self.claims(token)))
        except REFUSALS as error:  # RFC 6750 3.1, RFC 9449 7.1
            response = bearer_error(error)
        return self.allow_origin(request, response, token)

    post = get

    def options(self, request, *args, **kwargs):
        response = HttpResponse(status=204)
        response["Allow"] = "GET, POST, OPTIONS"
        if origin := request.headers.get("Origin"):
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Allow-Methods"] = "GET, POST"
            response["Access-Control-Allow-Headers"] = "Authorization, Content-Type, DPoP"
            response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
            response["Vary"] = "Origin"
        return response

    def claims(self, token) -> dict:
        """Return ``sub`` and the claims the token's scopes release (OIDC Core 5.3.2, 5.4)."""
        hooks = adapter.get_adapter()
        context = {"client": client_auth.find(token.client_id), "client_id": token.client_id}
        user = None
        if not token.is_client_token:
            user = hooks.get_user_by_subject(subject=token.subject, **context)
        if user is None:
            raise errors.InvalidToken("The access token names no user.")
        claims = hooks.get_userinfo_claims(user=user, scopes=sorted(token.scopes), **context)
        return {**claims, "sub": token.subject}

    def allow_origin(self, request, response, token):
        """Let the token's client read the answer from its own origins (CORS)."""
        response["Vary"] = "Origin"
        origin = request.headers.get("Origin")
        if origin and token is not None and client_allows_origin(token.client_id, origin):
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Expose-Headers"] = "WWW-Authenticate"
        return response
