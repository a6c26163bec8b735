"""The introspection endpoint (RFC 7662): active tokens described, everything else {"active": false}."""

import base64
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from oauthcore.models import RefreshToken
from oauthcore.resource_server import access_tokens
from oauthcore.server import issuance
from tests import factories
from tests.protocol import basic_auth, client_credentials, introspect, refresh, revoke, tokens_for

pytestmark = pytest.mark.django_db

INACTIVE = {"active": False}
SCOPE = "read:profile read:email"
ACCESS_FIELDS = {"active", "scope", "client_id", "sub", "username", "token_type"} | {
    "exp",
    "iat",
    "nbf",
    "aud",
    "iss",
    "jti",
}


def answer(http, app, token, **data):
    response = introspect(http, app, {"token": token, **data})
    assert response.status_code == HTTPStatus.OK, response.content
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"] == "application/json"
    return response.json()


@pytest.fixture
def issued(client, client_app, user):
    return tokens_for(client, client_app, user, SCOPE)


@pytest.mark.parametrize("hint", [None, "access_token", "refresh_token", "other"])
def test_an_own_access_token_is_described(client, client_app, user, issued, hint):
    extra = {"token_type_hint": hint} if hint else {}
    body = answer(client, client_app, issued["access_token"], **extra)
    claims = access_tokens.decode(issued["access_token"]).claims
    assert set(body) == ACCESS_FIELDS
    assert body["active"] is True
    assert body["token_type"] == "Bearer"
    assert body["username"] == "alice"
    assert body["scope"] == "read:profile read:email"
    assert body["client_id"] == client_app.client_id
    assert body["sub"] == str(user.pk)
    assert body["iss"] == "http://testserver"
    for name in ("exp", "iat", "nbf", "aud", "jti"):
        assert body[name] == claims[name]


@pytest.mark.parametrize("hint", [None, "refresh_token", "access_token"])
def test_an_own_refresh_token_is_described(client, client_app, user, issued, hint):
    extra = {"token_type_hint": hint} if hint else {}
    body = answer(client, client_app, issued["refresh_token"], **extra)
    row = RefreshToken.objects.by_value(issued["refresh_token"]).get()
    assert body == {
        "active": True,
        "scope": "read:profile read:email",
        "client_id": client_app.client_id,
        "sub": str(user.pk),
        "username": "alice",
        "token_type": "refresh_token",
        "exp": int(row.expires_at.timestamp()),
        "iat": int(row.created_at.timestamp()),
        "iss": "http://testserver",
    }


def test_a_client_credentials_token_has_no_username(client, client_app):
    token = client_credentials(client, client_app, scope="publish").json()["access_token"]
    body = answer(client, client_app, token)
    assert body["active"] is True
    assert body["sub"] == client_app.client_id
    assert body["scope"] == "publish"
    assert "username" not in body


def test_a_token_for_a_clients_own_audience_is_active(client, user):
    app = factories.ClientFactory(audience="https://api.example.com")
    body = answer(client, app, tokens_for(client, app, user, SCOPE)["access_token"])
    assert body["active"] is True
    assert body["aud"] == "https://api.example.com"


@pytest.mark.parametrize("kind", ["access_token", "refresh_token"])
def test_another_clients_token_is_inactive(client, issued, kind):
    assert answer(client, factories.ClientFactory(), issued[kind]) == INACTIVE


@pytest.mark.parametrize("kind", ["access_token", "refresh_token"])
def test_a_resource_server_may_introspect_any_token(client, client_app, issued, kind):
    resource_server = factories.ClientFactory(can_introspect=True, grant_types=[])
    body = answer(client, resource_server, issued[kind])
    assert body["active"] is True
    assert body["client_id"] == client_app.client_id


def revoke_ok(http, app, token):
    assert revoke(http, app, token).status_code == HTTPStatus.OK


def deep_header_token(client_id):
    """A JWT whose header nests 3,000 arrays, claiming to be ``client_id``'s."""

    def segment(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    payload = f'{{"client_id": "{client_id}"}}'.encode()
    return ".".join([segment(b"[" * 3000), segment(payload), "AAAA"])


@pytest.mark.parametrize(
    "token", ["unknown", "a.b.c", "x" * 10000, "\u00e9t\u00e9", "..", "eyJ9.e30.AA", "deep"]
)
def test_unknown_or_malformed_tokens_are_inactive(client, client_app, token):
    if token == "deep":
        token = deep_header_token(client_app.client_id)
    assert answer(client, client_app, token) == INACTIVE


def test_an_expired_access_token_is_inactive(client, client_app, user):
    past = timezone.now() - timedelta(hours=1)
    expired = issuance.issue(client=client_app, user=user, scope=["read:profile"], now=past)
    assert answer(client, client_app, expired.value) == INACTIVE


@pytest.mark.parametrize("kind", ["access_token", "refresh_token"])
def test_a_revoked_token_is_inactive(client, client_app, issued, kind):
    revoke_ok(client, client_app, issued[kind])
    assert answer(client, client_app, issued["access_token"]) == INACTIVE
    if kind == "refresh_token":
        assert answer(client, client_app, issued["refresh_token"]) == INACTIVE


def test_a_rotated_refresh_token_is_inactive_its_successor_active(client, client_app, issued):
    successor = refresh(client, client_app, issued["refresh_token"]).json()
    assert answer(client, client_app, issued["refresh_token"]) == INACTIVE
    assert answer(client, client_app, successor["refresh_token"])["active"] is True
    # The access token issued before the rotation lives until it expires.
    assert answer(client, client_app, issued["access_token"])["active"] is True


def test_an_expired_refresh_token_is_inactive(client, client_app, issued):
    RefreshToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert answer(client, client_app, issued["refresh_token"]) == INACTIVE


def test_an_idle_refresh_token_is_inactive(client, settings, client_app, issued):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "REFRESH_TOKEN_IDLE_TIMEOUT": timedelta(hours=1)}
    body = answer(client, client_app, issued["refresh_token"])
    assert body["exp"] == body["iat"] + 3600
    RefreshToken.objects.update(created_at=timezone.now() - timedelta(hours=2))
    assert answer(client, client_app, issued["refresh_token"]) == INACTIVE


def test_tokens_of_an_inactive_client_are_inactive(client, client_app, issued):
    resource_server = factories.ClientFactory(can_introspect=True)
    client_app.is_active = False
    client_app.save()
    for kind in ("access_token", "refresh_token"):
        assert answer(client, resource_server, issued[kind]) == INACTIVE


def test_tokens_of_an_inactive_user_are_inactive(client, client_app, user, issued):
    user.is_active = False
    user.save()
    for kind in ("access_token", "refresh_token"):
        assert answer(client, client_app, issued[kind]) == INACTIVE


def test_public_clients_are_refused(client, user):
    app = factories.ClientFactory(public=True)
    issued = tokens_for(client, app, user, SCOPE)
    data = {"token": issued["access_token"], "client_id": app.client_id}
    response = introspect(client, None, data)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_client"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("secret", ["wrong", ""])
def test_client_authentication_is_required(client, client_app, issued, secret):
    response = introspect(client, client_app, {"token": issued["access_token"]}, secret=secret)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_client"
    anonymous = introspect(client, None, {"token": issued["access_token"]})
    assert anonymous.status_code == HTTPStatus.UNAUTHORIZED
    assert "active" not in anonymous.json()


def test_client_secret_post_works(client, client_app, issued):
    data = {"token": issued["access_token"], "client_id": client_app.client_id}
    data["client_secret"] = factories.DEMO_SECRET
    assert introspect(client, None, data).json()["active"] is True


@pytest.mark.parametrize("data", [{"token_type_hint": "access_token"}, {"token": ""}])
def test_the_token_parameter_is_required(client, client_app, data):
    response = introspect(client, client_app, data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_request"


def test_only_post(client, client_app):
    response = client.get(reverse("oauthcore:introspect"), {"token": "x"})
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


BAD_REQUESTS = {
    "no token": ({"token_type_hint": "refresh_token"}, {}, HTTPStatus.BAD_REQUEST),
    "garbage, odd hint": ({"token": "\x00'\"<>", "token_type_hint": "x" * 300}, {}, 200),
    "huge token": ({"token": "a." * 50000}, {}, HTTPStatus.OK),
    "huge body": ({"token": "a" * 3_000_000}, {}, HTTPStatus.BAD_REQUEST),
    "bad secret": ({"token": "ISSUED"}, {"secret": "wrong"}, HTTPStatus.UNAUTHORIZED),
    "no client": ({"token": "ISSUED"}, {"app": None}, HTTPStatus.UNAUTHORIZED),
    "basic and post": ({"token": "ISSUED", "client_secret": "x"}, {}, HTTPStatus.BAD_REQUEST),
}


@pytest.mark.parametrize("data, how, status", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_bad_requests_never_fail_leak_or_change_anything(
    client, client_app, issued, data, how, status
):
    data = {name: issued["refresh_token"] if v == "ISSUED" else v for name, v in data.items()}
    app = how.get("app", client_app)
    response = introspect(client, app, data, secret=how.get("secret", factories.DEMO_SECRET))
    assert response.status_code == status
    if status == HTTPStatus.OK:
        assert response.json() == INACTIVE
    elif response["Content-Type"] == "application/json":
        assert "active" not in response.json()
    assert not RefreshToken.objects.filter(revoked_at__isnull=False).exists()
    assert refresh(client, client_app, issued["refresh_token"]).status_code == HTTPStatus.OK


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_other_methods_never_describe_a_token(client, client_app, issued, method):
    url = reverse("oauthcore:introspect") + "?" + urlencode({"token": issued["access_token"]})
    response = getattr(client, method)(url, **basic_auth(client_app.client_id))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert "active" not in response.json()
