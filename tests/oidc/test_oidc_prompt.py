"""OpenID Connect authorization parameters (OIDC Core 3.1.2.1): max_age, login_hint, prompt."""

import time
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from oauthcore.oidc import logins
from tests import browser, oidc_flow, protocol

pytestmark = pytest.mark.django_db


def location_query(response) -> dict[str, list[str]]:
    return parse_qs(urlsplit(response["Location"]).query)


def signed_in_long_ago(http, user, *, seconds: int):
    """Sign ``user`` in with ``http``, as if that session had signed in ``seconds`` ago."""
    http.force_login(user)
    oidc_flow.set_session_auth_time(http, time.time() - seconds)


def log_in_through_the_page(http, login_url: str, *, username="alice", password="pw"):
    """Fill the example site's login form as a person would; return the response (not followed)."""
    page = http.get(login_url)
    form = browser.form_with_button(page.content.decode(), "Sign in")
    data = dict(form.data("Sign in"))
    data.update(username=username, password=password)
    return http.post(form.action, data)


def test_a_recent_login_satisfies_max_age(client, client_app, user):
    signed_in_long_ago(client, user, seconds=30)
    response = oidc_flow.authorize(client, client_app, user, login=False, max_age="600")
    assert "code" in location_query(response)


def test_an_old_login_is_sent_to_the_login_page_still_signed_in(client, client_app, user):
    signed_in_long_ago(client, user, seconds=3600)
    response = oidc_flow.authorize(client, client_app, user, login=False, max_age="600")
    assert response.status_code == HTTPStatus.FOUND
    assert urlsplit(response["Location"]).path == reverse("login")
    next_query = parse_qs(urlsplit(location_query(response)["next"][0]).query)
    assert next_query["max_age"] == ["600"]  # kept: the login about to happen satisfies it
    assert next_query[logins.MARKER_PARAM]
    assert "_auth_user_id" in client.session  # not signed out until the new login succeeds


def test_max_age_zero_forces_a_login_then_answers_with_a_fresh_auth_time(client, client_app, user):
    signed_in_long_ago(client, user, seconds=5)
    response = oidc_flow.authorize(client, client_app, user, login=False, max_age="0")
    login = log_in_through_the_page(client, response["Location"])
    assert login.status_code == HTTPStatus.FOUND
    response = client.get(login["Location"])  # back to /authorize, no loop
    body = oidc_flow.redeem_code(client, client_app, protocol.code_from(response))
    claims = oidc_flow.verify(client, body["id_token"], audience=client_app.client_id)
    assert claims["auth_time"] == int(oidc_flow.session_auth_time(client).timestamp())
    assert timezone.now().timestamp() - claims["auth_time"] < 60


def test_max_age_with_prompt_none_is_login_required(client, client_app, user):
    signed_in_long_ago(client, user, seconds=3600)
    response = oidc_flow.authorize(
        client, client_app, user, login=False, max_age="60", prompt="none"
    )
    assert location_query(response)["error"] == ["login_required"]
    assert "_auth_user_id" in client.session  # nothing changed for the user


@pytest.mark.parametrize("value", ["-1", "ten", "1.5", "99999999999"])
def test_a_malformed_max_age_is_invalid_request(client, client_app, user, value):
    response = oidc_flow.authorize(client, client_app, user, max_age=value)
    assert location_query(response)["error"] == ["invalid_request"]


def test_login_hint_is_passed_to_the_login_page(client, client_app, user):
    response = oidc_flow.authorize(client, client_app, user, login=False, login_hint="alice")
    query = location_query(response)
    assert query["login_hint"] == ["alice"]
    assert "login_hint=alice" in query["next"][0]
    page = client.get(response["Location"])
    assert 'value="alice"' in page.content.decode()  # the example site prefills the username


def test_login_hint_survives_prompt_login(client, client_app, user):
    response = oidc_flow.authorize(client, client_app, user, prompt="login", login_hint="bob")
    query = location_query(response)
    assert query["login_hint"] == ["bob"]
    assert "prompt=login" in query["next"][0]  # kept, with the marker a new login satisfies


def test_a_login_hint_is_html_escaped(client, client_app, user):
    response = oidc_flow.authorize(client, client_app, user, login=False, login_hint='"><b>x')
    page = client.get(response["Location"]).content.decode()
    assert "<b>x" not in page
    assert "&quot;&gt;&lt;b&gt;x" in page


def test_an_overlong_login_hint_is_invalid_request(client, client_app, user):
    response = oidc_flow.authorize(client, client_app, user, login_hint="a" * 256)
    assert location_query(response)["error"] == ["invalid_request"]


def test_prompt_none_with_openid_answers_silently(client, client_app, user):
    response = oidc_flow.authorize(client, client_app, user, prompt="none")
    body = oidc_flow.redeem_code(client, client_app, protocol.code_from(response))
    assert body["id_token"]


def test_prompt_consent_asks_again_for_openid(client, client_app, user):
    response = oidc_flow.authorize(client, client_app, user, prompt="consent")
    assert response.status_code == HTTPStatus.OK
    assert "Sign you in with your account" in response.content.decode()


def test_consent_lists_the_openid_scopes(client, client_app, user):
    client.force_login(user)
    query = oidc_flow.protocol.authorize_params(client_app, scope="openid profile email")
    page = client.get(reverse("oauthcore:authorize"), query).content.decode()
    for text in ("Sign you in with your account", "See your name and username", "See your email"):
        assert text in page
