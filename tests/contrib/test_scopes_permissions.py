"""HasScope in one line: all-of, per method, per action; misconfiguration is a system check."""

from http import HTTPStatus

import pytest
from django.core import checks
from django.urls import path
from rest_framework import viewsets
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from oauthcore.contrib.rest_framework.authentication import JWTAuthentication
from oauthcore.contrib.rest_framework.checks import check_views_declare_scopes
from oauthcore.contrib.rest_framework.permissions import HasScope
from oauthcore.testing import authorization_header

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _bearer_challenge_alone(settings):
    """Word the Bearer challenge alone: DPoP off (the DPoP challenge beside it is tested in
    tests/resource_server/test_dpop.py)."""
    settings.OAUTHCORE = {**settings.OAUTHCORE, "DPOP_SIGNING_ALGORITHMS": []}


factory = APIRequestFactory()
REALM = 'Bearer realm="http://testserver"'
LACKS = "The access token lacks a scope this resource requires."


class Base(APIView):
    authentication_classes = [JWTAuthentication]

    def get(self, request):
        return Response({"ok": True})

    post = patch = put = delete = get


class AllOf(Base):
    permission_classes = [HasScope.of("read:profile", "read:email")]


class PerMethod(Base):
    permission_classes = [
        HasScope.per_method({"GET": ["read:profile"], "patch": ["write:profile"]})
    ]


class Attribute(Base):
    permission_classes = [HasScope]
    required_scopes = {"GET": "read:profile", "POST": ["publish"]}


class ContactsViewSet(viewsets.ViewSet):
    authentication_classes = [JWTAuthentication]
    permission_classes = [
        HasScope.per_action({"list": ["read:contacts"], "create": ["write:contacts"]})
    ]

    def list(self, request):
        return Response([])

    def create(self, request):
        return Response({}, status=201)

    def destroy(self, request, pk=None):
        return Response(status=204)


def call(view, method="get", scopes=(), user=None, **initkwargs):
    header = authorization_header(user=user, scopes=scopes) if scopes is not None else {}
    request = getattr(factory, method)("/", **header)
    response = view.as_view(**initkwargs)(request)
    response.render()
    return response


def assert_insufficient(response, scope):
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response["WWW-Authenticate"] == (
        f'{REALM}, error="insufficient_scope", error_description="{LACKS}", scope="{scope}"'
    )
    assert response.data == {"error": "insufficient_scope", "error_description": LACKS}


def test_all_of(user):
    assert call(AllOf, scopes=["read:profile", "read:email"], user=user).status_code == 200
    assert_insufficient(call(AllOf, scopes=["read:profile"], user=user), "read:profile read:email")


def test_no_token_is_401_not_403():
    response = call(AllOf, scopes=None)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == REALM


@pytest.mark.parametrize(
    "method,scopes,status",
    [
        ("get", ["read:profile"], 200),
        ("head", ["read:profile"], 200),
        ("patch", ["write:profile"], 200),
        ("patch", ["read:profile"], 403),
        ("get", ["write:profile"], 403),
    ],
)
def test_per_method(user, method, scopes, status):
    assert call(PerMethod, method, scopes=scopes, user=user).status_code == status


@pytest.mark.parametrize("method", ["post", "put", "delete", "options"])
def test_method_not_in_the_mapping_is_refused(user, method):
    everything = ["read:profile", "write:profile", "publish"]
    response = call(PerMethod, method, scopes=everything, user=user)
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.data["error"] == "insufficient_scope"
    # Fixed text: the method name is the caller's (RFC 6749 5.2 character set, no echo).
    assert response.data["error_description"] == "No scope grants this method on this resource."
    assert response["WWW-Authenticate"].startswith(f'{REALM}, error="insufficient_scope"')


def test_required_scopes_attribute(user):
    assert call(Attribute, "get", scopes=["read:profile"], user=user).status_code == 200
    assert_insufficient(call(Attribute, "post", scopes=["read:profile"], user=user), "publish")
    assert call(Attribute, "post", scopes=["publish"]).status_code == 200  # a machine client
    assert call(Attribute, "delete", scopes=["publish"]).status_code == 403


@pytest.mark.parametrize(
    "method,actions,scopes,status",
    [
        ("get", {"get": "list"}, ["read:contacts"], 200),
        ("get", {"get": "list"}, ["write:contacts"], 403),
        ("post", {"post": "create"}, ["write:contacts"], 201),
        ("delete", {"delete": "destroy"}, ["read:contacts", "write:contacts"], 403),
    ],
)
def test_per_action(user, method, actions, scopes, status):
    request = getattr(factory, method)("/", **authorization_header(user=user, scopes=scopes))
    kwargs = {"pk": "1"} if method == "delete" else {}
    response = ContactsViewSet.as_view(actions)(request, **kwargs)
    assert response.status_code == status


# --- oauthcore.E101: the URLconf of this module is walked by the check ---------------------


class Unscoped(Base):
    permission_classes = [IsAuthenticated]


class DefaultPermissions(Base):
    pass


class BareHasScope(Base):
    permission_classes = [HasScope]


class Public(Base):
    permission_classes = [AllowAny]


class NotBearer(APIView):
    authentication_classes = []
    permission_classes = []


@api_view(["GET"])
@authentication_classes([JWTAuthentication])
def function_default(request):
    return Response({})


@api_view(["GET"])
@authentication_classes([JWTAuthentication])
@permission_classes([AllowAny])
def function_public(request):
    return Response({})


@api_view(["GET"])
@authentication_classes([JWTAuthentication])
@permission_classes([HasScope.of("read:email")])
def function_scoped(request):
    return Response({})


router = SimpleRouter()
router.register("contacts", ContactsViewSet, basename="contacts")

urlpatterns = [
    path("all-of/", AllOf.as_view()),
    path("per-method/", PerMethod.as_view()),
    path("attribute/", Attribute.as_view()),
    path("public/", Public.as_view()),
    path("not-bearer/", NotBearer.as_view()),
    path("scoped-by-initkwargs/", Base.as_view(permission_classes=[HasScope.of("x")])),
    path("unscoped/", Unscoped.as_view()),
    path("defaults/", DefaultPermissions.as_view()),
    path("bare/", BareHasScope.as_view()),
    path("function-default/", function_default),
    path("function-public/", function_public),
    path("function-scoped/", function_scoped),
    *router.urls,
]


def test_check_finds_views_that_declare_no_scopes(settings):
    settings.ROOT_URLCONF = __name__
    found = check_views_declare_scopes()
    assert {error.id for error in found} == {"oauthcore.E101"}
    assert sorted(error.obj.__name__ for error in found) == [
        "BareHasScope",
        "DefaultPermissions",
        "Unscoped",
        "function_default",
    ]
    assert any("at 'function-default/'" in error.msg for error in found)
    assert any("at 'unscoped/' uses JWTAuthentication" in error.msg for error in found)
    assert all(error.hint for error in found)


def test_check_is_registered_and_the_example_project_passes(settings):
    assert check_views_declare_scopes() == []  # the example project's own URLconf
    settings.ROOT_URLCONF = __name__
    errors = checks.run_checks(tags=[checks.Tags.urls])
    assert "oauthcore.E101" in {error.id for error in errors}
