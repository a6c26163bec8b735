"""HasScope composes with DRF's &, |, ~ and keeps the RFC 6750 challenge on its refusals.

Real DRF views behind this module's URLconf, reached through Django's test client with a bearer
token or a session; the E101 check sees scopes inside composed permissions.
"""

from http import HTTPStatus

import pytest
from django.urls import path
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from oauthcore.contrib.rest_framework.authentication import JWTAuthentication
from oauthcore.contrib.rest_framework.checks import check_views_declare_scopes
from oauthcore.contrib.rest_framework.permissions import HasScope
from oauthcore.testing import authorization_header
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _bearer_challenge_alone(settings):
    """Word the Bearer challenge alone: DPoP off (the DPoP challenge beside it is tested in
    tests/resource_server/test_dpop.py)."""
    settings.OAUTHCORE = {**settings.OAUTHCORE, "DPOP_SIGNING_ALGORITHMS": []}


REALM = 'Bearer realm="http://testserver"'
LACKS = "The access token lacks a scope this resource requires."


class Base(APIView):
    authentication_classes = [JWTAuthentication, SessionAuthentication]

    def get(self, request):
        return Response({"ok": True})


class ScopeOrStaff(Base):
    permission_classes = [HasScope.of("write:profile") | IsAdminUser]


class StaffOrScope(Base):
    permission_classes = [IsAdminUser | HasScope.of("write:profile")]


class BothScopes(Base):
    permission_classes = [HasScope.of("read:profile") & HasScope.of("read:email")]


class NotPublisher(Base):
    permission_classes = [~HasScope.of("publish")]


class Nested(Base):
    permission_classes = [(HasScope.of("read:profile") & HasScope.of("read:email")) | IsAdminUser]


class PerMethodOrStaff(Base):
    permission_classes = [HasScope.per_method({"GET": ["read:profile"]}) | IsAdminUser]
    post = Base.get


urlpatterns = [
    path("scope-or-staff/", ScopeOrStaff.as_view()),
    path("staff-or-scope/", StaffOrScope.as_view()),
    path("both/", BothScopes.as_view()),
    path("not-publisher/", NotPublisher.as_view()),
    path("nested/", Nested.as_view()),
    path("per-method-or-staff/", PerMethodOrStaff.as_view()),
]


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = __name__


def bearer(*scopes, user=None):
    return authorization_header(user=user or UserFactory(), scopes=list(scopes))


def assert_insufficient(response, scope):
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response["WWW-Authenticate"] == (
        f'{REALM}, error="insufficient_scope", error_description="{LACKS}", scope="{scope}"'
    )
    assert response.json() == {"error": "insufficient_scope", "error_description": LACKS}


@pytest.mark.parametrize("url", ["/scope-or-staff/", "/staff-or-scope/"])
def test_or_admits_a_staff_user_by_session(client, url):
    client.force_login(UserFactory(is_staff=True))
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    assert "WWW-Authenticate" not in response


@pytest.mark.parametrize("url", ["/scope-or-staff/", "/staff-or-scope/"])
def test_or_admits_a_token_with_the_scope(client, url):
    assert client.get(url, **bearer("write:profile")).status_code == HTTPStatus.OK


@pytest.mark.parametrize("url", ["/scope-or-staff/", "/staff-or-scope/"])
def test_or_refuses_a_token_without_it_with_the_challenge(client, url):
    assert_insufficient(client.get(url, **bearer("read:profile")), "write:profile")


def test_or_refuses_a_non_staff_session_without_a_bearer_challenge(client):
    client.force_login(UserFactory())
    response = client.get("/scope-or-staff/")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "insufficient_scope" not in response.get("WWW-Authenticate", "")


@pytest.mark.parametrize("url", ["/scope-or-staff/", "/both/", "/nested/"])
def test_no_credentials_is_401_with_the_bare_challenge(client, url):
    response = client.get(url)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == REALM


def test_and_needs_both(client):
    assert client.get("/both/", **bearer("read:profile", "read:email")).status_code == 200
    assert_insufficient(client.get("/both/", **bearer("read:profile")), "read:email")
    assert_insufficient(client.get("/both/", **bearer("read:email")), "read:profile")


def test_nested_and_inside_or(client):
    assert client.get("/nested/", **bearer("read:profile", "read:email")).status_code == 200
    assert_insufficient(client.get("/nested/", **bearer("read:email")), "read:profile")
    client.force_login(UserFactory(is_staff=True))
    assert client.get("/nested/").status_code == HTTPStatus.OK


def test_not_admits_a_token_lacking_the_scope_without_a_stray_challenge(client):
    response = client.get("/not-publisher/", **bearer("read:profile"))
    assert response.status_code == HTTPStatus.OK
    assert "WWW-Authenticate" not in response


def test_not_refuses_a_token_holding_the_scope(client):
    response = client.get("/not-publisher/", **bearer("publish"))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "insufficient_scope" not in response.get("WWW-Authenticate", "")


def test_per_method_inside_or(client):
    url = "/per-method-or-staff/"
    assert client.get(url, **bearer("read:profile")).status_code == HTTPStatus.OK
    response = client.post(url, **bearer("read:profile"))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["error_description"] == "No scope grants this method on this resource."
    assert response["WWW-Authenticate"].startswith(f'{REALM}, error="insufficient_scope"')


def test_the_check_sees_scopes_inside_composed_permissions():
    assert check_views_declare_scopes() == []
