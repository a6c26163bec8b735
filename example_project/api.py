"""The example resource API of PRODUCT.md: each view names its scopes in one line."""

from django.contrib.auth import get_user_model
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from oauthcore.conf import oauth_settings
from oauthcore.contrib.rest_framework.permissions import HasScope

DEMO_CONTACTS = [
    {"name": "Ada Lovelace", "email": "ada@example.com"},
    {"name": "Alan Turing", "email": "alan@example.com"},
    {"name": "Grace Hopper", "email": "grace@example.com"},
]


class ProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = get_user_model()
        fields = ["first_name", "last_name"]


def resource_identifier() -> str:
    """Return this API's resource identifier (RFC 8707): ``{issuer}/api/``, always registered."""
    return f"{oauth_settings.ISSUER}/api/"


class ExampleAPIView(APIView):
    """A view of the example API: the resource ``{issuer}/api/`` (RFC 8707, RFC 9728).

    It accepts tokens for its resource and, for clients that send no ``resource``, for the
    default audience; its challenges name its metadata (mounted in example_project/urls.py).
    """

    @property
    def resource(self) -> str:
        return resource_identifier()

    @property
    def audience(self) -> str:
        return oauth_settings.audience


def _person(request):
    """Return the user the token acts for, refusing tokens that act for a client only."""
    if request.auth.is_client_token:
        raise PermissionDenied("This token acts for a client, not for a user.")
    return request.user


def _profile(request) -> dict:
    user = _person(request)
    return {
        "sub": request.auth.subject,
        "username": user.get_username(),
        "name": user.get_full_name(),
        "first_name": user.first_name,
        "last_name": user.last_name,
    }


class ProfileView(ExampleAPIView):
    """GET needs read:profile; PATCH (first_name, last_name) needs write:profile."""

    permission_classes = [
        HasScope.per_method({"GET": ["read:profile"], "PATCH": ["write:profile"]})
    ]

    def get(self, request):
        return Response(_profile(request))

    def patch(self, request):
        serializer = ProfileSerializer(_person(request), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(_profile(request))


class EmailView(ExampleAPIView):
    permission_classes = [HasScope.of("read:email")]

    def get(self, request):
        user = _person(request)
        return Response({"sub": request.auth.subject, "email": user.email})


class ContactsView(ExampleAPIView):
    permission_classes = [HasScope.of("read:contacts")]

    def get(self, request):
        return Response({"sub": request.auth.subject, "contacts": DEMO_CONTACTS})


class PublishView(ExampleAPIView):
    """POST needs publish; a machine client (client credentials) may call it."""

    permission_classes = [HasScope.per_method({"POST": ["publish"]})]

    def post(self, request):
        content = str(request.data.get("content", ""))[:1000]
        return Response(
            {"published": True, "content": content, "client_id": request.auth.client_id},
            status=status.HTTP_201_CREATED,
        )
