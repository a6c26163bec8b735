"""One DRF view per contender: the floor (no authentication), oauthcore's variants and DOT's.

Shared by the HTTP benchmark (``urls.py``) and the in-process one (``bench/resource_server.py``).
"""

from django.http import JsonResponse
from oauth2_provider.contrib.rest_framework import OAuth2Authentication, TokenHasScope
from rest_framework.response import Response
from rest_framework.views import APIView

from oauthcore.contrib.rest_framework.authentication import JWTAuthentication
from oauthcore.contrib.rest_framework.permissions import HasScope
from oauthcore.resource_server import access_tokens
from oauthcore.resource_server.decorators import require_scopes


class NoDenyListAuthentication(JWTAuthentication):
    """oauthcore without the deny-list lookup (as with ``CHECK_REVOKED_TOKENS = False``)."""

    def get_validated_token(self, raw, request):
        return access_tokens.decode(raw, audience=self.get_audience(request))


class FirstUseAuthentication(JWTAuthentication):
    """oauthcore on a token's first use: the verified-token cache forgets it before each request."""

    def get_validated_token(self, raw, request):
        access_tokens._verified.pop(raw, None)
        return super().get_validated_token(raw, request)


class FloorView(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request):
        return Response({"ok": True})


class OursView(FloorView):
    authentication_classes = [JWTAuthentication]
    permission_classes = [HasScope.of("read")]


class OursNoDenyListView(OursView):
    authentication_classes = [NoDenyListAuthentication]


class OursFirstUseView(OursView):
    authentication_classes = [FirstUseAuthentication]


class DotView(FloorView):
    authentication_classes = [OAuth2Authentication]
    permission_classes = [TokenHasScope]
    required_scopes = ["read"]


API_VIEWS = {
    "floor": FloorView,
    "ours": OursView,
    "ours-nodeny": OursNoDenyListView,
    "ours-first": OursFirstUseView,
    "dot": DotView,
}


# Plain Django views for the ASGI rows (uvicorn): DRF has no async views.
async def async_floor(request):
    return JsonResponse({"ok": True})


@require_scopes("read", load_users=False)
async def async_ours(request):
    """The async check: the token validated in the event loop (no thread hop, no query)."""
    return JsonResponse({"ok": True})


@require_scopes("read", load_users=False)
def sync_ours(request):
    """The same check in a sync view: under ASGI, Django runs it in a thread."""
    return JsonResponse({"ok": True})


ASGI_VIEWS = {"async-floor": async_floor, "async-ours": async_ours, "sync-ours": sync_ours}
