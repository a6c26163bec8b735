"""@require_scopes on plain Django views: the same validation and RFC 6750 answers."""

from http import HTTPStatus

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import JsonResponse
from django.test import Client
from django.urls import path

from oauthcore.resource_server.decorators import require_scopes
from oauthcore.server import issuance, revocation
from oauthcore.testing import authorization_header, make_access_token
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _bearer_challenge_alone(settings):
    """Word the Bearer challenge alone: DPoP off (the DPoP challenge beside it is tested in
    tests/resource_server/test_dpop.py)."""
    settings.OAUTHCORE = {**settings.OAUTHCORE, "DPOP_SIGNING_ALGORITHMS": []}


REALM = 'Bearer realm="http://testserver"'


@require_scopes("read:email")
def email(request):
    return JsonResponse({"email": request.user.email, "scopes": sorted(request.oauth_token.scopes)})


@require_scopes("publish", "read:profile")
def publish(request):
    return JsonResponse({"client_id": request.auth.client_id, "user": str(request.user)})


@require_scopes("read:email", load_users=False)
def claims_only(request):
    return JsonResponse({"sub": request.auth.subject, "user": type(request.user).__name__})


urlpatterns = [
    path("email/", email),
    path("publish/", publish),
    path("claims/", claims_only),
]


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = __name__


def test_a_good_token(client, user):
    response = client.get("/email/", **authorization_header(user=user, scopes=["read:email"]))
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"email": "alice@example.com", "scopes": ["read:email"]}


def test_no_token(client):
    response = client.get("/email/")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == REALM
    assert response["Cache-Control"] == "no-store"


def test_insufficient_scope_names_every_needed_scope(client, user):
    response = client.post("/publish/", **authorization_header(user=user, scopes=["publish"]))
    assert response.status_code == HTTPStatus.FORBIDDEN
    description = "The access token lacks a scope this resource requires."
    assert response["WWW-Authenticate"] == (
        f'{REALM}, error="insufficient_scope", error_description="{description}", '
        'scope="publish read:profile"'
    )
    assert response.json() == {"error": "insufficient_scope", "error_description": description}


def test_post_needs_no_csrf_token(user):
    browser_like = Client(enforce_csrf_checks=True)
    header = authorization_header(user=user, scopes=["publish", "read:profile"])
    response = browser_like.post("/publish/", **header)
    assert response.status_code == HTTPStatus.OK
    assert response.json()["user"] == "alice"


@pytest.mark.parametrize(
    "authorization,status,error",
    [
        ("Bearer", HTTPStatus.BAD_REQUEST, "invalid_request"),
        ("Bearer a b", HTTPStatus.BAD_REQUEST, "invalid_request"),
        ("Bearer not.a.jwt", HTTPStatus.UNAUTHORIZED, "invalid_token"),
    ],
)
def test_bad_headers(client, authorization, status, error):
    response = client.get("/email/", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert f'error="{error}"' in response["WWW-Authenticate"]


def test_expired_token(client, user):
    raw = make_access_token(user=user, scopes=["read:email"], exp=1)
    response = client.get("/email/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == (
        f'{REALM}, error="invalid_token", error_description="The access token has expired."'
    )


def test_revoked_token(client, user):
    issued = issuance.issue(client=ClientFactory(), user=user, scope=["read:email"])
    revocation.deny([(issued.jti, issued.expires_at)])
    response = client.get("/email/", HTTP_AUTHORIZATION=f"Bearer {issued.value}")
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_token_in_query_string(client, user):
    raw = make_access_token(user=user, scopes=["read:email"])
    response = client.get(f"/email/?access_token={raw}")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_request"


def test_deleted_user(client, user):
    header = authorization_header(user=user, scopes=["read:email"])
    user.delete()
    response = client.get("/email/", **header)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_token"


def test_client_token_and_no_user_table(client, user):
    machine = authorization_header(client=ClientFactory(client_id="m"), scopes=["read:email"])
    assert client.get("/claims/", **machine).json() == {"sub": "m", "user": "TokenUser"}
    person = authorization_header(user=user, scopes=["read:email"])
    assert client.get("/claims/", **person).json() == {"sub": str(user.pk), "user": "TokenUser"}


def test_a_scope_is_required():
    with pytest.raises(ImproperlyConfigured):
        require_scopes()


def test_login_required_middleware_lets_the_token_decide(settings, user):
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "django.contrib.auth.middleware.LoginRequiredMiddleware",
    ]
    client = Client()
    response = client.get("/email/")
    assert response.status_code == HTTPStatus.UNAUTHORIZED  # not a 302 to the login page
    assert response["WWW-Authenticate"] == REALM
    header = authorization_header(user=user, scopes=["read:email"])
    assert client.get("/email/", **header).status_code == HTTPStatus.OK
