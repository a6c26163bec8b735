"""The userinfo endpoint (OIDC Core 5.3): claims per scope, RFC 6750 errors, CORS."""

from datetime import timedelta
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from oauthcore.adapter import Adapter
from tests import factories, oidc_flow, protocol

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _bearer_challenge_alone(settings):
    """Word the Bearer challenge alone: DPoP off (the DPoP challenge beside it is tested in
    tests/resource_server/test_dpop.py)."""
    settings.OAUTHCORE = {**settings.OAUTHCORE, "DPOP_SIGNING_ALGORITHMS": []}


URL = "/oauth/userinfo/"
ORIGIN = "https://app.example.com"  # the origin of the client's redirect URI


@pytest.fixture
def person(db):
    return factories.UserFactory(
        username="bob", first_name="Bob", last_name="Builder", email="bob@example.com"
    )


def access_token(http, client_app, user, scope) -> str:
    return protocol.redeem(http, client_app, user, scope=scope).json()["access_token"]


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_the_url_is_named_and_advertised(client):
    assert reverse("oauthcore:userinfo") == URL
    doc = client.get("/.well-known/openid-configuration").json()
    assert doc["userinfo_endpoint"] == "http://testserver" + URL


@pytest.mark.parametrize(
    "scope,expected",
    [
        ("openid", {}),
        (
            "openid profile",
            {
                "name": "Bob Builder",
                "given_name": "Bob",
                "family_name": "Builder",
                "preferred_username": "bob",
            },
        ),
        ("openid email", {"email": "bob@example.com", "email_verified": False}),
        ("openid read:email", {}),  # an API scope releases no OpenID claim
    ],
)
def test_claims_follow_the_granted_scopes(client, client_app, person, scope, expected):
    token = access_token(client, client_app, person, scope)
    response = client.get(URL, **bearer(token))
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"sub": str(person.pk), **expected}
    assert response["Cache-Control"] == "no-store"


def test_post_works_too(client, client_app, person):
    token = access_token(client, client_app, person, "openid email")
    response = client.post(URL, **bearer(token))
    assert response.status_code == HTTPStatus.OK
    assert response.json()["email"] == "bob@example.com"


def test_empty_claims_are_omitted(client, client_app, user):
    user.email = ""
    user.save()
    token = access_token(client, client_app, user, "openid profile email")
    # No first or last name, no email: only what has a value (OIDC Core 5.3.2).
    assert client.get(URL, **bearer(token)).json() == {
        "sub": str(user.pk),
        "preferred_username": "alice",
    }


def test_a_project_adapter_decides_the_claims(client, settings, client_app, person):
    settings.OAUTHCORE = {
        **settings.OAUTHCORE,
        "ADAPTER": "tests.oidc.test_userinfo.NicknameAdapter",
    }
    token = access_token(client, client_app, person, "openid profile")
    assert client.get(URL, **bearer(token)).json() == {"sub": str(person.pk), "nickname": "bob"}


class NicknameAdapter(Adapter):
    def get_userinfo_claims(self, *, user, scopes):
        return {"nickname": user.username, "sub": "cannot override"} if "profile" in scopes else {}


def test_no_token_is_a_bare_challenge(client):
    response = client.get(URL)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == 'Bearer realm="http://testserver"'


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c"])
def test_a_bad_token_is_invalid_token(client, token):
    response = client.get(URL, **bearer(token))
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert response.json()["error"] == "invalid_token"


def test_a_token_without_openid_is_insufficient_scope(client, client_app, person):
    token = access_token(client, client_app, person, "read:profile")
    response = client.get(URL, **bearer(token))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert 'scope="openid"' in response["WWW-Authenticate"]


def test_a_revoked_token_is_refused(client, client_app, person, secret):
    token = access_token(client, client_app, person, "openid")
    client.post(
        reverse("oauthcore:revoke"),
        urlencode({"token": token}),
        content_type="application/x-www-form-urlencoded",
        **protocol.basic_auth(client_app.client_id, secret),
    )
    response = client.get(URL, **bearer(token))
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_an_expired_token_is_refused(client, client_app, person):
    client_app.access_token_lifetime = timedelta(seconds=-60)
    client_app.save()
    token = access_token(client, client_app, person, "openid")
    assert client.get(URL, **bearer(token)).status_code == HTTPStatus.UNAUTHORIZED


def test_an_id_token_is_not_a_bearer_token(client, client_app, person):
    body = oidc_flow.sign_in(client, client_app, person, scope="openid")
    response = client.get(URL, **bearer(body["id_token"]))
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_a_client_credentials_token_names_no_user(client, client_app, secret):
    data = {"grant_type": "client_credentials", "scope": "openid"}
    response = protocol.post_token(client, data, **protocol.basic_auth(client_app.client_id))
    token = response.json()["access_token"]
    assert client.get(URL, **bearer(token)).status_code == HTTPStatus.UNAUTHORIZED


def test_a_deleted_user_is_refused(client, client_app, person):
    token = access_token(client, client_app, person, "openid")
    person.delete()
    assert client.get(URL, **bearer(token)).status_code == HTTPStatus.UNAUTHORIZED


def test_a_token_in_the_query_is_refused(client, client_app, person):
    token = access_token(client, client_app, person, "openid")
    response = client.get(URL, {"access_token": token})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert 'error="invalid_request"' in response["WWW-Authenticate"]


# CORS


def test_cors_echoes_an_origin_of_the_tokens_client(client, client_app, person):
    token = access_token(client, client_app, person, "openid")
    response = client.get(URL, HTTP_ORIGIN=ORIGIN, **bearer(token))
    assert response.status_code == HTTPStatus.OK
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in response["Vary"]


@pytest.mark.parametrize("origin", ["https://evil.example", "http://app.example.com", "null"])
def test_cors_refuses_other_origins(client, client_app, person, origin):
    token = access_token(client, client_app, person, "openid")
    response = client.get(URL, HTTP_ORIGIN=origin, **bearer(token))
    assert response.status_code == HTTPStatus.OK  # the browser, not the server, withholds it
    assert "Access-Control-Allow-Origin" not in response


def test_cors_origin_of_another_client_is_refused(client, client_app, person):
    other = factories.ClientFactory(redirect_uris=["https://other.example.org/cb"])
    token = access_token(client, client_app, person, "openid")
    response = client.get(URL, HTTP_ORIGIN="https://other.example.org", **bearer(token))
    assert "Access-Control-Allow-Origin" not in response
    assert other.redirect_uris  # registered, but for another client


def test_cors_applies_to_scope_errors(client, client_app, person):
    token = access_token(client, client_app, person, "read:profile")
    response = client.get(URL, HTTP_ORIGIN=ORIGIN, **bearer(token))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "WWW-Authenticate" in response["Access-Control-Expose-Headers"]


def test_preflight_allows_the_authorization_header(client):
    response = client.options(
        URL,
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )
    assert response.status_code == HTTPStatus.NO_CONTENT
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "Authorization" in response["Access-Control-Allow-Headers"]
    assert "GET" in response["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response  # bearer tokens, never cookies


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_not_allowed(client, method):
    assert getattr(client, method)(URL).status_code == HTTPStatus.METHOD_NOT_ALLOWED
