"""Response headers: nothing that carries a token is cached; browser pages cannot be framed."""

from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from tests import factories, protocol
from tests.protocol import basic_auth, post_token
from tests.security import kit

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"


@pytest.fixture(autouse=True)
def _without_clickjacking_middleware(settings):
    """The app sets its own anti-framing headers; the project's middleware must not hide a gap."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "XFrameOptions" not in m]


def assert_no_store(response):
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"


def assert_protected_page(response):
    """A browser page of the server: not cached, not framed, no Referer to other sites."""
    assert response["Cache-Control"] == "no-store"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Security-Policy"] == "frame-ancestors 'none'"
    # same-origin, not no-referrer: with no-referrer browsers send Origin: null, which CSRF refuses
    assert response["Referrer-Policy"] == "same-origin"


def post_form(http, name, data, **extra):
    return http.post(reverse(name), urlencode(data), content_type=FORM, **extra)


def issued(http, client_app, user):
    return protocol.redeem(http, client_app, user).json()


def test_token_responses(client, client_app, user):
    assert_no_store(protocol.redeem(client, client_app, user))
    assert_no_store(post_token(client, {"grant_type": "client_credentials"}, **basic_auth("x")))
    assert_no_store(post_token(client, {"grant_type": "nope"}, **basic_auth(client_app.client_id)))
    assert_no_store(client.get(reverse("oauthcore:token")))


def test_refresh_responses(client, client_app, user):
    refresh = issued(client, client_app, user)["refresh_token"]
    data = {"grant_type": "refresh_token", "refresh_token": refresh}
    response = post_token(client, data, **basic_auth(client_app.client_id))
    assert response.status_code == HTTPStatus.OK
    assert_no_store(response)
    assert_no_store(post_token(client, data, **basic_auth(client_app.client_id)))  # reused


@pytest.mark.parametrize("name", ["oauthcore:introspect", "oauthcore:revoke"])
def test_introspection_and_revocation(client, client_app, user, name):
    token = issued(client, client_app, user)["access_token"]
    auth = basic_auth(client_app.client_id)
    ok = post_form(client, name, {"token": token}, **auth)
    assert ok.status_code == HTTPStatus.OK
    assert_no_store(ok)
    assert_no_store(post_form(client, name, {}, **auth))
    assert_no_store(post_form(client, name, {"token": token}, **basic_auth("nobody")))


def test_authorize_redirects(client, client_app, user):
    params = protocol.authorize_params(client_app)
    to_login = kit.authorize(client, params)
    assert to_login.status_code == HTTPStatus.FOUND
    assert_no_store(to_login)
    client.force_login(user)
    factories.ConsentFactory(user=user, client=client_app, scopes=["read:profile", "read:email"])
    with_code = kit.authorize(client, params)
    assert "code" in kit.redirect_query(with_code, client_app.redirect_uris[0])
    assert_no_store(with_code)
    assert with_code["Referrer-Policy"] == "no-referrer"
    with_error = kit.authorize(client, {**params, "response_type": "token"})
    assert kit.redirect_query(with_error, client_app.redirect_uris[0])["error"]
    assert_no_store(with_error)


def test_consent_page(client, client_app, user):
    client.force_login(user)
    page = kit.authorize(client, protocol.authorize_params(client_app))
    assert page.status_code == HTTPStatus.OK
    assert "oauthcore/consent.html" in [t.name for t in page.templates]
    assert_protected_page(page)


def test_error_page(client):
    page = kit.authorize(client, {"client_id": "nobody", "response_type": "code"})
    kit.assert_error_page(page, "invalid_client")
    assert_protected_page(page)


def test_connected_apps_page(client, client_app, user):
    client.force_login(user)
    factories.ConsentFactory(user=user, client=client_app)
    assert_protected_page(client.get(reverse("oauthcore:connected-apps")))
    revoked = client.post(reverse("oauthcore:connected-apps"), {"client": client_app.client_id})
    assert revoked.status_code == HTTPStatus.FOUND
    assert_protected_page(revoked)


def test_rate_limited_answers(client, client_app, settings):
    limits = {"RATE_LIMIT_FAILURES": 0, "RATE_LIMIT_AUTHORIZE_REQUESTS": 1}
    settings.OAUTHCORE = {**settings.OAUTHCORE, **limits}
    post_token(client, {"grant_type": "client_credentials"}, **basic_auth("x", "wrong"))
    refused = post_token(client, {"grant_type": "client_credentials"}, **basic_auth("x", "wrong"))
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert_no_store(refused)
    kit.authorize(client, {"client_id": "nobody"})
    page = kit.authorize(client, {"client_id": "nobody"})
    assert page.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert_protected_page(page)
