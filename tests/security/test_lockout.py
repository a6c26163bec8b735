"""No stranger can lock others out: not at an address they share, not a client they can name, not
the browser's /authorize page (issue 13). Each test fails on purpose, then shows the normal flows
of everybody else, and of the one who failed, still work on the default settings."""

from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from tests import browser, factories, protocol
from tests.protocol import basic_auth, post_token
from tests.security import kit

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
ADDRESS = "192.0.2.10"


def post_form(http, url, data, **extra):
    return http.post(url, urlencode(data), content_type=FORM, **extra)


def sign_in_and_allow(http, app, *, username="alice"):
    """Drive the browser flow: /authorize, the login form, consent (Allow); return the code."""
    response = kit.authorize(http, protocol.authorize_params(app, scope="read:profile"))
    assert response.status_code == HTTPStatus.FOUND, response.content[:300]
    login_url = response["Location"]
    form = browser.form_with_button(http.get(login_url).content.decode(), "Sign in")
    data = dict(form.data("Sign in")) | {"username": username, "password": "pw"}
    response = http.get(post_form(http, login_url, data)["Location"])
    assert response.status_code == HTTPStatus.OK, response.content[:300]  # the consent page
    consent = browser.form_with_button(response.content.decode(), "Allow")
    response = post_form(
        http, consent.action or reverse("oauthcore:authorize"), consent.data("Allow")
    )
    return kit.redirect_query(response, app.redirect_uris[0])["code"]


def code_flow(http, app, *, secret=factories.DEMO_SECRET):
    """Sign in, allow, redeem the code, refresh; assert every step succeeds."""
    code = sign_in_and_allow(http, app)
    data = {"grant_type": "authorization_code", "code": code, "code_verifier": factories.VERIFIER}
    data["redirect_uri"] = app.redirect_uris[0]
    response = post_token(http, data, **basic_auth(app.client_id, secret))
    assert response.status_code == HTTPStatus.OK, response.content
    refresh = {"grant_type": "refresh_token", "refresh_token": response.json()["refresh_token"]}
    response = post_token(http, refresh, **basic_auth(app.client_id, secret))
    assert response.status_code == HTTPStatus.OK, response.content


def assert_client_credentials_ok(http, app):
    response = protocol.client_credentials(http, app)
    assert response.status_code == HTTPStatus.OK, response.content


def test_35_bare_gets_of_authorize_lock_nothing(user, client_app):
    http = HttpClient(REMOTE_ADDR=ADDRESS)
    for _ in range(35):
        kit.assert_error_page(http.get(reverse("oauthcore:authorize")), "invalid_client")
    code_flow(http, client_app)


def test_a_service_retrying_a_stale_secret_blocks_nobody_else_at_its_address(user, client_app):
    service, other = factories.ClientFactory(), factories.ClientFactory()
    http = HttpClient(REMOTE_ADDR=ADDRESS)
    for _ in range(200):
        response = post_token(
            http, {"grant_type": "client_credentials"}, **basic_auth(service.client_id, "stale")
        )
        assert response.status_code in (HTTPStatus.UNAUTHORIZED, HTTPStatus.TOO_MANY_REQUESTS)
    assert_client_credentials_ok(http, other)  # another client at the same address
    code_flow(http, client_app)  # a browser login and consent at the same address
    assert_client_credentials_ok(http, service)  # and the service itself, once its secret is fixed


def test_an_outside_client_failing_hundreds_of_times_still_completes_normal_flows(
    user, client_app, public_client
):
    """A conformance suite at 127.0.0.1: bad secrets, codes, refresh tokens, authorize requests."""
    http = HttpClient(REMOTE_ADDR="127.0.0.1")
    bad = basic_auth(client_app.client_id, "wrong")
    public = {"client_id": public_client.client_id}
    for n in range(60):
        post_token(http, {"grant_type": "client_credentials"}, **bad)
        post_token(http, {"grant_type": "authorization_code", "code": f"c{n}", **public})
        post_token(http, {"grant_type": "refresh_token", "refresh_token": f"r{n}", **public})
        kit.authorize(http, {"client_id": f"nobody-{n}", "response_type": "code"})
        kit.authorize(http, protocol.authorize_params(client_app, redirect_uri=f"https://evil/{n}"))
    code_flow(http, client_app)
    assert_client_credentials_ok(http, client_app)


def test_the_authorize_budget_limits_volume_per_address(client_app, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "RATE_LIMIT_AUTHORIZE_REQUESTS": 5}
    url = reverse("oauthcore:authorize") + "?" + urlencode(protocol.authorize_params(client_app))
    for _ in range(5):
        assert HttpClient().get(url, REMOTE_ADDR=ADDRESS).status_code == HTTPStatus.FOUND
    refused = HttpClient().get(url, REMOTE_ADDR=ADDRESS)
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "Location" not in refused
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["Cache-Control"] == "no-store"
    assert refused["X-Frame-Options"] == "DENY"
    assert "temporarily_unavailable" in refused.content.decode()
    assert HttpClient().get(url, REMOTE_ADDR="192.0.2.11").status_code == HTTPStatus.FOUND


def test_a_flood_at_a_shared_address_does_not_stop_a_signed_in_user(user, client_app, settings):
    """The budget of signed-in requests is the user's own: consent still works behind the NAT."""
    settings.OAUTHCORE = {**settings.OAUTHCORE, "RATE_LIMIT_AUTHORIZE_REQUESTS": 5}
    http = HttpClient(REMOTE_ADDR=ADDRESS)
    response = kit.authorize(http, protocol.authorize_params(client_app, scope="read:profile"))
    login_url = response["Location"]  # the user reaches the login page first, then a flood
    for _ in range(10):
        HttpClient().get(reverse("oauthcore:authorize"), REMOTE_ADDR=ADDRESS)
    form = browser.form_with_button(http.get(login_url).content.decode(), "Sign in")
    data = dict(form.data("Sign in")) | {"username": "alice", "password": "pw"}
    response = http.get(post_form(http, login_url, data)["Location"])
    assert response.status_code == HTTPStatus.OK  # consent, though the address is over budget
    consent = browser.form_with_button(response.content.decode(), "Allow")
    response = post_form(http, reverse("oauthcore:authorize"), consent.data("Allow"))
    assert "code" in kit.redirect_query(response, client_app.redirect_uris[0])


def test_error_pages_at_authorize_are_not_counted_as_failures(client_app, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "RATE_LIMIT_FAILURES": 1}
    http = HttpClient(REMOTE_ADDR=ADDRESS)
    for _ in range(20):
        kit.assert_error_page(kit.authorize(http, {"client_id": "nobody"}), "invalid_client")
    assert kit.authorize(http, protocol.authorize_params(client_app)).status_code == 302
