"""Under Django's LoginRequiredMiddleware every machine-facing endpoint still answers for itself.

The whole story through HTTP with the middleware installed after AuthenticationMiddleware:
metadata, JWKS, authorize (anonymous: oauthcore's own redirect to the login page), login,
consent, token, API, userinfo, refresh, introspection, revocation; prompt=none answers
login_required to the client; consent and connected apps stay behind a login.
"""

import secrets
from http import HTTPStatus
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from oauthcore.server import pkce
from tests import browser
from tests.integration.test_end_to_end import (
    REDIRECT_URI,
    basic,
    follow_to_client,
    log_in,
    post_form,
)

pytestmark = pytest.mark.django_db

AUTHENTICATION = "django.contrib.auth.middleware.AuthenticationMiddleware"
LOGIN_REQUIRED = "django.contrib.auth.middleware.LoginRequiredMiddleware"


@pytest.fixture
def strict(settings):
    """A test client of a site where every view needs a login unless it says otherwise."""
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(middleware.index(AUTHENTICATION) + 1, LOGIN_REQUIRED)
    settings.MIDDLEWARE = middleware
    return Client()


def authorize_query(client_app, verifier, **extra):
    return urlencode(
        {
            "response_type": "code",
            "client_id": client_app.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid read:profile",
            "state": "s-1",
            "code_challenge": pkce.s256(verifier),
            "code_challenge_method": "S256",
            **extra,
        }
    )


def sign_in_and_allow(strict, client_app, verifier) -> str:
    """Run authorize -> login -> consent; return the code the client receives."""
    query = authorize_query(client_app, verifier, login_hint="alice")
    response = strict.get(f"/oauth/authorize/?{query}")
    assert response.status_code == HTTPStatus.FOUND
    # oauthcore's own redirect (the middleware's would carry neither no-store nor login_hint).
    assert response["Cache-Control"] == "no-store"
    assert parse_qs(urlsplit(response["Location"]).query)["login_hint"] == ["alice"]
    response = log_in(strict, response)
    page = strict.get(response["Location"])
    assert page.status_code == HTTPStatus.OK
    consent = browser.form_with_button(page.content.decode(), "Allow")
    response = post_form(strict, consent.action or "/oauth/authorize/", consent.data("Allow"))
    params = parse_qs(urlsplit(follow_to_client(strict, response)).query)
    assert params["state"] == ["s-1"]
    return params["code"][0]


def test_published_documents_need_no_login(strict):
    metadata = strict.get("/.well-known/oauth-authorization-server")
    assert metadata.status_code == HTTPStatus.OK
    assert strict.get("/.well-known/openid-configuration").status_code == HTTPStatus.OK
    jwks_path = urlsplit(metadata.json()["jwks_uri"]).path
    assert strict.get(jwks_path).json()["keys"]
    assert strict.get("/oauth/health/").status_code == HTTPStatus.OK


def test_the_whole_flow(strict, user, client_app, secret):
    verifier = secrets.token_urlsafe(48)
    code = sign_in_and_allow(strict, client_app, verifier)
    auth = {"HTTP_AUTHORIZATION": basic(client_app.client_id, secret)}
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    machine = Client()  # the client's server: no session at all
    response = post_form(machine, "/oauth/token/", exchange, **auth)
    assert response.status_code == HTTPStatus.OK, response.content
    tokens = response.json()

    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    response = machine.get("/api/profile/", **bearer)  # DRF's APIView: login_not_required
    assert response.status_code == HTTPStatus.OK
    assert response.json()["sub"] == str(user.pk)
    response = machine.get("/oauth/userinfo/", **bearer)
    assert response.status_code == HTTPStatus.OK
    assert response.json()["sub"] == str(user.pk)
    assert machine.get("/api/profile/").status_code == HTTPStatus.UNAUTHORIZED  # not a 302

    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    response = post_form(machine, "/oauth/token/", refresh, **auth)
    assert response.status_code == HTTPStatus.OK, response.content
    access = response.json()["access_token"]
    response = post_form(machine, "/oauth/introspect/", {"token": access}, **auth)
    assert response.status_code == HTTPStatus.OK
    assert response.json()["active"] is True
    response = post_form(machine, "/oauth/revoke/", {"token": access}, **auth)
    assert response.status_code == HTTPStatus.OK
    response = post_form(machine, "/oauth/introspect/", {"token": access}, **auth)
    assert response.json() == {"active": False}
    response = machine.get("/api/profile/", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_token_endpoint_errors_are_json_not_a_login_page(strict):
    response = post_form(strict, "/oauth/token/", {"grant_type": "password"})
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_client"


def test_prompt_none_answers_login_required_to_the_client(strict, client_app):
    query = authorize_query(client_app, secrets.token_urlsafe(48), prompt="none")
    response = strict.get(f"/oauth/authorize/?{query}")
    assert response.status_code == HTTPStatus.FOUND
    location = response["Location"]
    assert location.startswith(REDIRECT_URI)
    params = parse_qs(urlsplit(location).query)
    assert params["error"] == ["login_required"]
    assert params["state"] == ["s-1"]


def test_connected_apps_stay_behind_the_login(strict):
    response = strict.get("/oauth/apps/")
    assert response.status_code == HTTPStatus.FOUND
    assert urlsplit(response["Location"]).path == "/accounts/login/"


def test_an_anonymous_consent_decision_is_refused(strict, client_app):
    response = post_form(strict, "/oauth/authorize/", {"request": "x", "decision": "allow"})
    assert response.status_code == HTTPStatus.BAD_REQUEST  # the error page, no code
    assert "Location" not in response


def test_logout_lands_anonymous_users_on_the_logged_out_page(strict):
    response = strict.get("/oauth/logout/")
    assert response.status_code == HTTPStatus.OK
