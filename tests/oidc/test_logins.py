"""Authentication freshness per session (OIDC Core 2 ``auth_time``; 3.1.2.1 ``max_age``, ``prompt``).

Each session's sign-in time is recorded on ``user_logged_in``; ``user.last_login``, shared by all
of a user's sessions, no longer decides. A re-authentication never signs the user out: the
login page is shown (Django's LoginView shows its form to a signed-in user too) and the request
goes on once this session has signed in again.
"""

import time
from http import HTTPStatus
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from oauthcore.oidc import logins
from tests import browser, factories, oidc_flow, protocol

pytestmark = pytest.mark.django_db

THREE_DAYS = 3 * 24 * 3600


def login_next(response) -> str:
    """Assert a redirect to the login page and return its ``next``."""
    assert response.status_code == HTTPStatus.FOUND, response.content[:300]
    location = urlsplit(response["Location"])
    assert location.path == reverse("login")
    return parse_qs(location.query)["next"][0]


def sign_in_on_page(http, next_url: str, username: str = "alice") -> str:
    """Fill in the site's login form as a person would; return where it sends the browser."""
    page = http.get(reverse("login"), {"next": next_url})
    form = browser.form_with_button(page.content.decode(), "Sign in")
    data = {**dict(form.fields), "username": username, "password": "pw"}
    response = http.post(form.action, data)
    assert response.status_code == HTTPStatus.FOUND
    return response["Location"]


def id_token_claims(http, client_app, response) -> dict:
    """Redeem the code of ``response`` and return the verified claims of its ID token."""
    body = oidc_flow.redeem_code(http, client_app, protocol.code_from(response))
    return oidc_flow.verify(http, body["id_token"], audience=client_app.client_id)


def assert_signed_in(http) -> None:
    """The session still works for another page that needs a signed-in user."""
    assert http.get(reverse("oauthcore:connected-apps")).status_code == HTTPStatus.OK


def signed_in_days_ago(http, user) -> float:
    http.force_login(user)
    moment = time.time() - THREE_DAYS
    oidc_flow.set_session_auth_time(http, moment)
    return moment


def test_a_login_elsewhere_does_not_refresh_an_old_session(client_app, user):
    old, new = HttpClient(), HttpClient()
    old_time = signed_in_days_ago(old, user)
    new.force_login(user)  # the same user, another browser, just now
    login_next(oidc_flow.authorize(old, client_app, user, login=False, max_age="60"))
    assert_signed_in(old)
    claims = id_token_claims(
        old, client_app, oidc_flow.authorize(old, client_app, user, login=False)
    )
    assert claims["auth_time"] == int(old_time)  # its own sign-in, not the other session's
    claims = id_token_claims(
        new, client_app, oidc_flow.authorize(new, client_app, user, login=False)
    )
    assert claims["auth_time"] == int(oidc_flow.session_auth_time(new).timestamp())


def test_prompt_login_by_get_signs_nobody_out_and_a_new_login_completes(client, client_app, user):
    old_time = signed_in_days_ago(client, user)
    response = oidc_flow.authorize(client, client_app, user, login=False, prompt="login")
    next_url = login_next(response)
    assert_signed_in(client)  # a link from any site cannot sign the user out
    back = sign_in_on_page(client, next_url)
    assert back == next_url
    claims = id_token_claims(client, client_app, client.get(back))
    assert claims["auth_time"] == int(oidc_flow.session_auth_time(client).timestamp())
    assert claims["auth_time"] > old_time
    assert time.time() - claims["auth_time"] < 60


def test_an_abandoned_prompt_login_leaves_the_user_signed_in(client, client_app, user):
    old_time = signed_in_days_ago(client, user)
    next_url = login_next(
        oidc_flow.authorize(client, client_app, user, login=False, prompt="login")
    )
    # The user closes the login page. Later:
    assert_signed_in(client)
    login_next(client.get(next_url))  # the marked request alone is no login: the page again
    claims = id_token_claims(
        client, client_app, oidc_flow.authorize(client, client_app, user, login=False)
    )
    assert claims["auth_time"] == int(old_time)


def test_a_stale_max_age_goes_to_the_login_page_then_completes(client, client_app, user):
    old_time = signed_in_days_ago(client, user)
    next_url = login_next(oidc_flow.authorize(client, client_app, user, login=False, max_age="60"))
    assert_signed_in(client)
    claims = id_token_claims(client, client_app, client.get(sign_in_on_page(client, next_url)))
    assert claims["auth_time"] == int(oidc_flow.session_auth_time(client).timestamp())
    assert claims["auth_time"] > old_time


def test_prompt_none_with_a_stale_max_age_is_login_required(client, client_app, user):
    signed_in_days_ago(client, user)
    response = oidc_flow.authorize(
        client, client_app, user, login=False, max_age="60", prompt="none"
    )
    assert response.status_code == HTTPStatus.FOUND
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == client_app.redirect_uris[0]
    query = parse_qs(location.query)
    assert query["error"] == ["login_required"]
    assert query["state"] == ["xyz-state"]
    assert_signed_in(client)


def test_a_session_without_a_recorded_time_is_stale_and_falls_back_to_last_login(
    client, client_app, user
):
    """A session signed in before oauthcore recorded the time."""
    client.force_login(user)
    session = client.session
    del session[logins.SESSION_KEY]
    session.save()
    login_next(oidc_flow.authorize(client, client_app, user, login=False, max_age="3600"))
    claims = id_token_claims(
        client, client_app, oidc_flow.authorize(client, client_app, user, login=False)
    )
    user.refresh_from_db()
    assert claims["auth_time"] == int(user.last_login.timestamp())


def test_the_marker_cannot_be_forged_or_moved_to_another_request(client, client_app, user):
    signed_in_days_ago(client, user)
    next_url = login_next(
        oidc_flow.authorize(client, client_app, user, login=False, prompt="login")
    )
    path, _, query = next_url.partition("?")
    params = parse_qs(query)
    sign_in_on_page(client, next_url)
    forged = {**params, logins.MARKER_PARAM: [params[logins.MARKER_PARAM][0] + "x"]}
    moved = {**params, "state": ["another-request"]}
    for changed in (forged, moved):
        login_next(client.get(f"{path}?{urlencode(changed, doseq=True)}"))
    assert protocol.code_from(client.get(next_url))  # the control: the request as marked


def test_signing_in_as_someone_else_on_the_login_page_switches_the_user(client, client_app, user):
    bob = factories.UserFactory(username="bob")
    scope = oidc_flow.OIDC_SCOPE.split()
    factories.ConsentFactory(user=bob, client=client_app, scopes=scope)
    next_url = login_next(oidc_flow.authorize(client, client_app, user, prompt="login"))
    claims = id_token_claims(
        client, client_app, client.get(sign_in_on_page(client, next_url, "bob"))
    )
    assert claims["sub"] == str(bob.pk)
    assert claims["auth_time"] == int(oidc_flow.session_auth_time(client).timestamp())
