"""The revocation endpoint (RFC 7009): a client revokes its own access and refresh tokens."""

import base64
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from oauthcore.models import RefreshToken, RevokedAccessToken
from oauthcore.resource_server import access_tokens, denylist
from oauthcore.server import issuance
from tests import factories
from tests.protocol import basic_auth, post_token, refresh, revoke, tokens_for

pytestmark = pytest.mark.django_db


def api(http, access_token):
    return http.get("/api/profile/", HTTP_AUTHORIZATION=f"Bearer {access_token}")


def assert_revoked_ok(response):
    """RFC 7009 2.2: 200 with an empty body, whatever happened."""
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.content == b""
    assert response["Cache-Control"] == "no-store"


def assert_api_refuses(http, access_token):
    response = api(http, access_token)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


@pytest.mark.parametrize("hint", [None, "access_token", "refresh_token", "id_token"])
def test_revoking_an_access_token_stops_it_at_the_api_at_once(client, client_app, user, hint):
    issued = tokens_for(client, client_app, user)
    assert api(client, issued["access_token"]).status_code == HTTPStatus.OK
    data = {"token": issued["access_token"]}
    if hint:
        data["token_type_hint"] = hint
    assert_revoked_ok(revoke(client, client_app, data))
    assert_api_refuses(client, issued["access_token"])
    jti = access_tokens.decode(issued["access_token"]).jti
    row = RevokedAccessToken.objects.get(jti=jti)
    assert abs(row.expires_at - (timezone.now() + timedelta(minutes=15))) < timedelta(seconds=5)
    # Revoking an access token leaves its refresh token alone (RFC 7009 2.1: MAY, we do not).
    assert refresh(client, client_app, issued["refresh_token"]).status_code == HTTPStatus.OK


@pytest.mark.parametrize("hint", [None, "refresh_token", "access_token", "bogus"])
@pytest.mark.parametrize("public", [False, True])
def test_revoking_a_refresh_token_kills_its_family(client, user, hint, public):
    app = factories.ClientFactory(public=public)
    first = tokens_for(client, app, user)
    second = refresh(client, app, first["refresh_token"]).json()
    data = {"token": second["refresh_token"]}
    if hint:
        data["token_type_hint"] = hint
    assert_revoked_ok(revoke(client, app, data))
    assert not RefreshToken.objects.filter(revoked_at__isnull=True).exists()
    response = refresh(client, app, second["refresh_token"])
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_grant"
    assert_api_refuses(client, first["access_token"])
    assert_api_refuses(client, second["access_token"])


def test_revoking_a_rotated_refresh_token_revokes_its_family_too(client, client_app, user):
    first = tokens_for(client, client_app, user)
    second = refresh(client, client_app, first["refresh_token"]).json()
    assert_revoked_ok(revoke(client, client_app, {"token": first["refresh_token"]}))
    assert refresh(client, client_app, second["refresh_token"]).status_code == 400
    assert_api_refuses(client, second["access_token"])


def test_revoking_twice_is_fine(client, client_app, user):
    issued = tokens_for(client, client_app, user)
    for _ in range(2):
        assert_revoked_ok(revoke(client, client_app, {"token": issued["refresh_token"]}))
        assert_revoked_ok(revoke(client, client_app, {"token": issued["access_token"]}))
    assert_api_refuses(client, issued["access_token"])


def test_a_client_credentials_token_can_be_revoked(client, client_app):
    data = {"grant_type": "client_credentials", "scope": "publish"}
    issued = post_token(client, data, **basic_auth(client_app.client_id)).json()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issued['access_token']}"}
    assert client.post("/api/publish/", {"content": "x"}, **auth).status_code == 201
    assert_revoked_ok(revoke(client, client_app, {"token": issued["access_token"]}))
    assert client.post("/api/publish/", {"content": "x"}, **auth).status_code == 401


def test_a_token_of_a_client_with_its_own_audience(client, user):
    app = factories.ClientFactory(audience="https://api.example.com")
    issued = tokens_for(client, app, user)
    assert_revoked_ok(revoke(client, app, {"token": issued["access_token"]}))
    assert denylist.is_denied(
        access_tokens.decode(issued["access_token"], audience=app.audience).jti
    )


def test_another_clients_tokens_answer_200_and_change_nothing(client, client_app, user):
    issued = tokens_for(client, client_app, user)
    intruder = factories.ClientFactory()
    for name in ("access_token", "refresh_token"):
        assert_revoked_ok(revoke(client, intruder, {"token": issued[name]}))
    assert not RevokedAccessToken.objects.exists()
    assert not RefreshToken.objects.filter(revoked_at__isnull=False).exists()
    assert api(client, issued["access_token"]).status_code == HTTPStatus.OK
    assert refresh(client, client_app, issued["refresh_token"]).status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    "token",
    ["unknown", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.x", "x" * 10000, "é\u2028", "..", "%00"],
)
def test_unknown_or_malformed_tokens_answer_200(client, client_app, token):
    assert_revoked_ok(revoke(client, client_app, {"token": token}))
    assert not RevokedAccessToken.objects.exists()


def test_a_deeply_nested_header_answers_200(client, client_app):
    def segment(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    payload = f'{{"client_id": "{client_app.client_id}"}}'.encode()
    token = ".".join([segment(b"[" * 3000), segment(payload), "AAAA"])
    assert_revoked_ok(revoke(client, client_app, {"token": token}))


def test_an_expired_access_token_needs_nothing(client, client_app, user):
    past = timezone.now() - timedelta(hours=1)
    expired = issuance.issue(client=client_app, user=user, scope=["read:profile"], now=past)
    assert_revoked_ok(revoke(client, client_app, {"token": expired.value}))
    assert not RevokedAccessToken.objects.exists()


@pytest.mark.parametrize("data", [{}, {"token": ""}, {"token_type_hint": "access_token"}])
def test_the_token_parameter_is_required(client, client_app, data):
    response = revoke(client, client_app, data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_request"
    assert response["Cache-Control"] == "no-store"


def test_client_authentication_is_required(client, client_app, user):
    issued = tokens_for(client, client_app, user)
    data = {"token": issued["refresh_token"]}
    bad_secret = revoke(client, client_app, data, secret="wrong")
    assert bad_secret.status_code == HTTPStatus.UNAUTHORIZED
    assert bad_secret.json()["error"] == "invalid_client"
    assert bad_secret["WWW-Authenticate"].startswith("Basic ")
    nobody = revoke(client, None, data)
    assert nobody.status_code == HTTPStatus.UNAUTHORIZED
    assert nobody.json()["error"] == "invalid_client"
    with_id_only = revoke(client, None, {**data, "client_id": client_app.client_id})
    assert with_id_only.status_code == HTTPStatus.UNAUTHORIZED
    assert not RefreshToken.objects.filter(revoked_at__isnull=False).exists()


def test_inactive_client_cannot_revoke(client, client_app, user):
    issued = tokens_for(client, client_app, user)
    client_app.is_active = False
    client_app.save()
    response = revoke(client, client_app, {"token": issued["refresh_token"]})
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_only_post_with_a_form(client, client_app):
    response = client.get(reverse("oauthcore:revoke"), {"token": "x"})
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    response = client.post(
        reverse("oauthcore:revoke"),
        {"token": "x"},
        content_type="application/json",
        **basic_auth(client_app.client_id),
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_request"


def test_repeated_token_parameter_is_refused(client, client_app):
    body = urlencode([("token", "a"), ("token", "b")])
    response = client.post(
        reverse("oauthcore:revoke"),
        body,
        content_type="application/x-www-form-urlencoded",
        **basic_auth(client_app.client_id),
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_request"


def test_metadata_names_both_endpoints(client):
    document = client.get("/.well-known/oauth-authorization-server").json()
    assert document["revocation_endpoint"] == "http://testserver/oauth/revoke/"
    assert document["introspection_endpoint"] == "http://testserver/oauth/introspect/"
    assert document["introspection_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
        "client_secret_jwt",
        "private_key_jwt",
    ]


def state():
    """What a revocation request could change."""
    return (
        RevokedAccessToken.objects.count(),
        RefreshToken.objects.filter(revoked_at__isnull=False).count(),
    )


BAD_REQUESTS = {
    "no token": ({"token_type_hint": "access_token"}, {}, HTTPStatus.BAD_REQUEST),
    "garbage, odd hint": ({"token": "\x00'\"<>", "token_type_hint": "x" * 300}, {}, 200),
    "huge token": ({"token": "a." * 50000}, {}, HTTPStatus.OK),
    "huge body": ({"token": "a" * 3_000_000}, {}, HTTPStatus.BAD_REQUEST),
    "bad secret": ({"token": "ISSUED"}, {"secret": "wrong"}, HTTPStatus.UNAUTHORIZED),
    "no client": ({"token": "ISSUED"}, {"app": None}, HTTPStatus.UNAUTHORIZED),
    "basic and post": ({"token": "ISSUED", "client_secret": "x"}, {}, HTTPStatus.BAD_REQUEST),
}


@pytest.mark.parametrize("data, how, status", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_bad_requests_never_fail_and_never_change_anything(
    client, client_app, user, data, how, status
):
    issued = tokens_for(client, client_app, user)
    before = state()
    data = {name: issued["access_token"] if v == "ISSUED" else v for name, v in data.items()}
    response = revoke(
        client, how.get("app", client_app), data, how.get("secret", factories.DEMO_SECRET)
    )
    assert response.status_code == status
    assert state() == before
    assert api(client, issued["access_token"]).status_code == HTTPStatus.OK


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_other_methods_never_revoke(client, client_app, user, method):
    issued = tokens_for(client, client_app, user)
    url = reverse("oauthcore:revoke")
    response = getattr(client, method)(
        url + "?" + urlencode({"token": issued["refresh_token"]}),
        **basic_auth(client_app.client_id),
    )
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert state() == (0, 0)
    assert refresh(client, client_app, issued["refresh_token"]).status_code == HTTPStatus.OK
