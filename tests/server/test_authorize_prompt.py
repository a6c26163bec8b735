"""Who is asked what: sign-in, prompt (OIDC Core 3.1.2.1), remembered consent, adapter policy."""

from http import HTTPStatus
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from oauthcore.adapter import Adapter
from oauthcore.models import AuthorizationCode, Consent
from oauthcore.oidc import logins
from tests import browser, factories, oidc_flow, protocol
from tests.protocol import authorization_request

pytestmark = pytest.mark.django_db

CALLBACK = "https://app.example.com/callback"
FORM = "application/x-www-form-urlencoded"


class DenyAdapter(Adapter):
    def is_user_allowed(self, *, client, user):
        return False


def callback_query(response):
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(CALLBACK + "?")
    return dict(parse_qsl(urlsplit(response["Location"]).query))


def login_next(response):
    """Assert a redirect to the login page and return its ``next``."""
    assert response.status_code == HTTPStatus.FOUND
    location = urlsplit(response["Location"])
    assert location.path == reverse("login")
    (next_url,) = parse_qs(location.query)["next"]
    return next_url


def sign_in(http, next_url, username="alice"):
    """Fill in the site's login form as a person would; return where it sends the browser."""
    page = http.get(reverse("login"), {"next": next_url}).content.decode()
    form = browser.form_with_button(page, "Sign in")
    data = {**dict(form.fields), "username": username, "password": "pw"}
    response = http.post(form.action, data)
    assert response.status_code == HTTPStatus.FOUND
    return response["Location"]


def test_anonymous_user_signs_in_and_comes_back_to_the_same_request(client, client_app, user):
    params = protocol.authorize_params(client_app)
    next_url = login_next(authorization_request(client, params))
    assert dict(parse_qsl(urlsplit(next_url).query)) == params
    back = sign_in(client, next_url)
    assert back == next_url
    response = client.get(back)
    assert response.status_code == HTTPStatus.OK
    assert "oauthcore/consent.html" in [t.name for t in response.templates]


def test_prompt_none_without_a_session_is_login_required(client, client_app):
    response = authorization_request(client, protocol.authorize_params(client_app, prompt="none"))
    query = callback_query(response)
    assert query["error"] == "login_required"
    assert query["state"] == "xyz-state"


def test_prompt_none_without_consent_is_consent_required(client, client_app, user):
    client.force_login(user)
    response = authorization_request(client, protocol.authorize_params(client_app, prompt="none"))
    assert callback_query(response)["error"] == "consent_required"
    assert not AuthorizationCode.objects.exists()


def test_prompt_none_with_consent_answers_at_once(client, client_app, user):
    factories.ConsentFactory(user=user, client=client_app, scopes=["read:profile", "read:email"])
    client.force_login(user)
    response = authorization_request(client, protocol.authorize_params(client_app, prompt="none"))
    assert callback_query(response)["code"]


@pytest.mark.parametrize("prompt", ["login", "login consent"])
def test_prompt_login_forces_a_fresh_sign_in_without_looping(client, client_app, user, prompt):
    client.force_login(user)
    params = protocol.authorize_params(client_app, prompt=prompt)
    next_url = login_next(authorization_request(client, params))
    assert SESSION_KEY in client.session  # still signed in until the new login succeeds
    next_query = dict(parse_qsl(urlsplit(next_url).query))
    assert next_query["prompt"] == prompt  # kept; the marker shows when the login was asked
    assert next_query[logins.MARKER_PARAM]
    response = client.get(sign_in(client, next_url))
    assert response.status_code == HTTPStatus.OK  # the consent screen, not the login page again
    form = browser.form_with_button(response.content.decode(), "Allow")
    response = client.post(form.action, urlencode(form.data("Allow")), content_type=FORM)
    assert callback_query(response)["code"]
    assert AuthorizationCode.objects.get().auth_time == oidc_flow.session_auth_time(client)


def test_prompt_consent_shows_the_screen_even_with_consent(client, client_app, user):
    factories.ConsentFactory(user=user, client=client_app, scopes=["read:profile", "read:email"])
    client.force_login(user)
    response = authorization_request(
        client, protocol.authorize_params(client_app, prompt="consent")
    )
    assert response.status_code == HTTPStatus.OK
    form = browser.form_with_button(response.content.decode(), "Allow")
    assert [v for n, v in form.fields if n == "scope"] == ["read:profile", "read:email"]


def test_remembered_consent_skips_the_screen(client, client_app, user):
    factories.ConsentFactory(user=user, client=client_app, scopes=["read:profile", "read:email"])
    client.force_login(user)
    params = protocol.authorize_params(client_app, scope="read:email")
    query = callback_query(authorization_request(client, params))
    assert query["code"] and query["state"] == "xyz-state"
    assert AuthorizationCode.objects.get().scope == "read:email"


def test_new_scopes_ask_only_for_what_is_new(client, client_app, user):
    factories.ConsentFactory(user=user, client=client_app, scopes=["read:profile"])
    client.force_login(user)
    params = protocol.authorize_params(client_app, scope="read:profile read:contacts")
    response = authorization_request(client, params)
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    form = browser.form_with_button(page, "Allow")
    assert [v for n, v in form.fields if n == "scope"] == ["read:contacts"]
    assert "You have already allowed it to:" in page
    assert "Read your profile info" in page
    response = client.post(form.action, urlencode(form.data("Allow")), content_type=FORM)
    assert callback_query(response)["code"]
    assert AuthorizationCode.objects.get().scope == "read:profile read:contacts"
    assert Consent.objects.get().scopes == ["read:profile", "read:contacts"]


def test_unticking_the_new_scope_when_others_are_granted_is_cancel(client, client_app, user):
    factories.ConsentFactory(user=user, client=client_app, scopes=["read:profile"])
    client.force_login(user)
    params = protocol.authorize_params(client_app, scope="read:profile read:contacts")
    form = browser.form_with_button(authorization_request(client, params).content.decode(), "Allow")
    data = [pair for pair in form.data("Allow") if pair[0] != "scope"]
    response = client.post(form.action, urlencode(data), content_type=FORM)
    assert callback_query(response)["error"] == "access_denied"
    assert Consent.objects.get().scopes == ["read:profile"]


def test_consent_is_per_client(client, client_app, user):
    factories.ConsentFactory(user=user, scopes=["read:profile", "read:email"])  # another client
    client.force_login(user)
    response = authorization_request(client, protocol.authorize_params(client_app))
    assert response.status_code == HTTPStatus.OK


def test_skip_consent_clients_never_ask(client, user):
    app = factories.ClientFactory(skip_consent=True)
    client.force_login(user)
    for prompt in (None, "consent", "none"):
        response = authorization_request(client, protocol.authorize_params(app, prompt=prompt))
        assert callback_query(response)["code"]
    assert AuthorizationCode.objects.count() == 3
    assert not Consent.objects.exists()


@pytest.mark.parametrize("prompt", [None, "none"])
def test_adapter_may_refuse_the_user(client, client_app, user, settings, prompt):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ADAPTER": f"{__name__}.DenyAdapter"}
    client.force_login(user)
    response = authorization_request(client, protocol.authorize_params(client_app, prompt=prompt))
    query = callback_query(response)
    assert query["error"] == "access_denied"
    assert query["state"] == "xyz-state"


def test_adapter_refusal_also_applies_to_the_decision(client, client_app, user, settings):
    client.force_login(user)
    form = browser.form_with_button(
        authorization_request(client, protocol.authorize_params(client_app)).content.decode(),
        "Allow",
    )
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ADAPTER": f"{__name__}.DenyAdapter"}
    response = client.post(form.action, urlencode(form.data("Allow")), content_type=FORM)
    assert callback_query(response)["error"] == "access_denied"
    assert not AuthorizationCode.objects.exists()
