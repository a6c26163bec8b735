"""JWTAuthentication: the pipeline, request.auth / request.user, and no database on the hot path."""

import time
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from oauthcore.contrib.rest_framework.authentication import JWTAuthentication
from oauthcore.contrib.rest_framework.permissions import HasScope
from oauthcore.jose import keyring
from oauthcore.models import SigningKey
from oauthcore.resource_server.access_tokens import AccessToken
from oauthcore.resource_server.users import TokenUser
from oauthcore.server import issuance, revocation
from oauthcore.testing import authorization_header, make_access_token
from tests import factories
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _bearer_challenge_alone(settings):
    """Word the Bearer challenge alone: DPoP off (the DPoP challenge beside it is tested in
    tests/resource_server/test_dpop.py)."""
    settings.OAUTHCORE = {**settings.OAUTHCORE, "DPOP_SIGNING_ALGORITHMS": []}


factory = APIRequestFactory()


class ClaimsView(APIView):
    """Reads the token only: never touches request.user."""

    authentication_classes = [JWTAuthentication]
    permission_classes = [HasScope.of("read:email")]

    def get(self, request):
        token = request.auth
        return Response({"client_id": token.client_id, "scopes": sorted(token.scopes)})


class WhoAmIView(ClaimsView):
    def get(self, request):
        user = request.user
        return Response({"type": user.__class__.__name__, "username": user.get_username()})


class NoUsersAuthentication(JWTAuthentication):
    load_users = False


class NoUsersView(WhoAmIView):
    authentication_classes = [NoUsersAuthentication]


class OtherAudienceView(ClaimsView):
    audience = "https://reports.example.com"


@pytest.fixture
def cached_keys(settings):
    """Keys cached as in production (the test settings reread them on every use)."""
    settings.OAUTHCORE = {**settings.OAUTHCORE, "KEY_CACHE_TTL": timedelta(minutes=5)}


def get(view, **extra):
    response = view.as_view()(factory.get("/", **extra))
    response.render()
    return response


def test_request_auth_is_the_access_token(user):
    client = ClientFactory(client_id="myapp")
    response = get(
        ClaimsView, **authorization_header(user=user, client=client, scopes=["read:email"])
    )
    assert response.status_code == HTTPStatus.OK
    assert response.data == {"client_id": "myapp", "scopes": ["read:email"]}


def test_user_is_loaded_lazily_from_sub(user, cached_keys, django_assert_num_queries):
    header = authorization_header(user=user, scopes=["read:email"])
    get(ClaimsView, **header)  # warms the deny-list marker and the keys
    with django_assert_num_queries(1):
        response = get(WhoAmIView, **header)
    assert response.data == {"type": "User", "username": "alice"}


def test_no_query_when_the_view_does_not_touch_the_user(
    user, cached_keys, django_assert_num_queries
):
    header = authorization_header(user=user, scopes=["read:email"])
    assert get(ClaimsView, **header).status_code == HTTPStatus.OK  # warm-up
    with django_assert_num_queries(0):
        for _ in range(3):
            assert get(ClaimsView, **header).status_code == HTTPStatus.OK


def test_client_credentials_token_gets_a_token_user(cached_keys, django_assert_num_queries):
    client = ClientFactory(client_id="machine")
    header = authorization_header(client=client, scopes=["read:email"])
    get(ClaimsView, **header)
    with django_assert_num_queries(0):
        response = get(WhoAmIView, **header)
    assert response.data == {"type": "TokenUser", "username": "machine"}


def test_token_user_when_the_api_has_no_user_table(user, cached_keys, django_assert_num_queries):
    header = authorization_header(user=user, scopes=["read:email"])
    get(ClaimsView, **header)
    with django_assert_num_queries(0):
        response = get(NoUsersView, **header)
    assert response.data == {"type": "TokenUser", "username": str(user.pk)}


def test_token_user_is_authenticated_without_permissions(user):
    token = AccessToken({"sub": "42", "client_id": "c", "scope": "a b"})
    token_user = TokenUser(token)
    assert token_user.is_authenticated and not token_user.is_anonymous
    assert not token_user.has_perm("auth.view_user") and not token_user.is_staff
    assert not token_user.is_client


def test_deleted_user_is_invalid_token(user):
    header = authorization_header(user=user, scopes=["read:email"])
    user.delete()
    response = get(WhoAmIView, **header)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.data == {
        "error": "invalid_token",
        "error_description": "The user of the access token no longer exists.",
    }
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_inactive_user_is_invalid_token(user):
    user.is_active = False
    user.save()
    response = get(WhoAmIView, **authorization_header(user=user, scopes=["read:email"]))
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_audience_override_per_view(user):
    ours = authorization_header(user=user, scopes=["read:email"])
    theirs = authorization_header(
        user=user, scopes=["read:email"], aud="https://reports.example.com"
    )
    assert get(OtherAudienceView, **theirs).status_code == HTTPStatus.OK
    assert get(OtherAudienceView, **ours).status_code == HTTPStatus.UNAUTHORIZED
    assert get(ClaimsView, **theirs).status_code == HTTPStatus.UNAUTHORIZED


def test_audience_list_claim_is_accepted(user):
    header = authorization_header(
        user=user, scopes=["read:email"], aud=["http://testserver", "https://other.example"]
    )
    assert get(ClaimsView, **header).status_code == HTTPStatus.OK


def test_configured_audience_setting(user, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "AUDIENCE": "https://api.example.com"}
    header = authorization_header(user=user, scopes=["read:email"])  # issued for that audience
    assert get(ClaimsView, **header).status_code == HTTPStatus.OK
    settings.OAUTHCORE = {**settings.OAUTHCORE, "AUDIENCE": "https://elsewhere.example.com"}
    assert get(ClaimsView, **header).status_code == HTTPStatus.UNAUTHORIZED


def test_authenticate_returns_none_when_not_ours():
    request = APIView().initialize_request(factory.get("/", HTTP_AUTHORIZATION="Basic eDp5"))
    assert JWTAuthentication().authenticate(request) is None
    request = APIView().initialize_request(factory.get("/"))
    assert JWTAuthentication().authenticate(request) is None


def test_other_authenticators_still_run_after_ours(user):
    class Mixed(ClaimsView):
        authentication_classes = [JWTAuthentication, SessionAuthentication]

        def get(self, request):
            return Response({"anonymous": isinstance(request.user, AnonymousUser)})

    response = get(Mixed)
    # No credentials at all: 401 with the bare Bearer challenge, as RFC 6750 3 asks.
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == 'Bearer realm="http://testserver"'


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256", "EdDSA"])
def test_every_signing_algorithm(user, settings, alg):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "SIGNING_ALGORITHM": alg}
    raw = make_access_token(user=user, scopes=["read:email"])
    response = get(ClaimsView, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == HTTPStatus.OK


def test_hs256_when_one_deployment_issues_and_verifies(user, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "HS256_SECRET": "s" * 40}
    raw = make_access_token(user=user, scopes=["read:email"])
    assert get(ClaimsView, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == HTTPStatus.OK
    settings.OAUTHCORE = {**settings.OAUTHCORE, "HS256_SECRET": "t" * 40}
    assert get(ClaimsView, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_a_token_used_again_is_still_checked_for_revocation(client):
    """The per-process cache of verified tokens skips only the signature check."""
    issued = issuance.issue(
        client=factories.ClientFactory(), user=factories.UserFactory(), scope=["read:profile"]
    )
    header = {"HTTP_AUTHORIZATION": f"Bearer {issued.value}"}
    assert client.get("/api/profile/", **header).status_code == HTTPStatus.OK
    revocation.deny([(issued.jti, issued.expires_at)])
    response = client.get("/api/profile/", **header)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert "revoked" in response["WWW-Authenticate"]


def test_a_token_used_again_is_still_checked_for_expiry(client, settings):
    app = factories.ClientFactory(access_token_lifetime=timedelta(seconds=1))
    issued = issuance.issue(client=app, user=factories.UserFactory(), scope=["read:profile"])
    header = {"HTTP_AUTHORIZATION": f"Bearer {issued.value}"}
    assert client.get("/api/profile/", **header).status_code == HTTPStatus.OK  # within the skew
    settings.OAUTHCORE = {**settings.OAUTHCORE, "CLOCK_SKEW": timedelta(0)}
    time.sleep(max(0, issued.claims["exp"] - time.time()) + 0.05)
    response = client.get("/api/profile/", **header)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert "expired" in response["WWW-Authenticate"]


def test_a_token_used_again_fails_once_its_key_is_no_longer_trusted(client, settings):
    issued = issuance.issue(
        client=factories.ClientFactory(), user=factories.UserFactory(), scope=["read:profile"]
    )
    header = {"HTTP_AUTHORIZATION": f"Bearer {issued.value}"}
    assert client.get("/api/profile/", **header).status_code == HTTPStatus.OK
    SigningKey.objects.all().delete()  # the key is gone from the store
    keyring.forget()
    response = client.get("/api/profile/", **header)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert "unknown key" in response["WWW-Authenticate"]
