"""The consent screen and its decision (RFC 6749 4.1.2): Allow issues a code, Cancel refuses."""

import time
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.core import signing
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from oauthcore import crypto
from oauthcore.models import AuthorizationCode, Consent
from oauthcore.server import authorization
from tests import browser, factories, oidc_flow, protocol
from tests.protocol import authorization_request

pytestmark = pytest.mark.django_db

CALLBACK = "https://app.example.com/callback"


def callback_query(response):
    assert response.status_code == HTTPStatus.FOUND
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    return dict(parse_qsl(location.query))


def consent_form(http, client_app, **overrides):
    """Open the consent screen for a request of ``client_app``; return (response, form)."""
    response = authorization_request(http, protocol.authorize_params(client_app, **overrides))
    assert response.status_code == HTTPStatus.OK
    return response, browser.form_with_button(response.content.decode(), "Allow")


def submit(http, form, button="Allow", data=None):
    """POST the form as a browser does, with the pairs ``data`` or those of clicking ``button``."""
    body = urlencode(data if data is not None else form.data(button))
    return http.post(form.action, body, content_type="application/x-www-form-urlencoded")


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_consent_screen_names_the_client_and_each_scope(signed_in, client_app):
    response, form = consent_form(signed_in, client_app)
    page = response.content.decode()
    assert "oauthcore/consent.html" in [t.name for t in response.templates]
    assert client_app.name in page
    assert "Read your profile info" in page
    assert "Read your email address" in page
    assert (
        '<button type="submit" name="decision" value="allow" class="primary">Allow</button>' in page
    )
    assert '<button type="submit" name="decision" value="cancel">Cancel</button>' in page
    assert form.method.lower() == "post"
    assert form.action == reverse("oauthcore:authorize")
    assert ("scope", "read:profile") in form.fields
    assert ("scope", "read:email") in form.fields
    assert any(name == "csrfmiddlewaretoken" for name, _ in form.fields)
    assert "app.example.com" in page  # where the user will be sent


def test_client_name_is_escaped(signed_in):
    app = factories.ClientFactory(name='<script>alert("x")</script>')
    response, _ = consent_form(signed_in, app)
    page = response.content.decode()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_consent_screen_cannot_be_framed_cached_or_leak_referrers(signed_in, client_app):
    response, _ = consent_form(signed_in, client_app)
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert response["Referrer-Policy"] == "same-origin"  # no-referrer breaks the CSRF origin check
    assert response["Cache-Control"] == "no-store"


def test_consent_screen_is_a_product_page(signed_in, client_app):
    response, _ = consent_form(signed_in, client_app)
    page = response.content.decode()
    assert 'name="viewport"' in page
    assert "oauthcore/oauthcore.css" in page
    # The example project overrides the packaged template by extending it.
    assert "only allow applications you trust" in page
    assert "Either way you will be sent back to" in page


def test_allow_redirects_with_a_one_time_code(signed_in, client_app, user):
    _, form = consent_form(signed_in, client_app, nonce="n-0S6_WzA2Mj")
    response = submit(signed_in, form)
    query = callback_query(response)
    assert set(query) == {"code", "state", "iss"}
    assert query["state"] == "xyz-state"
    assert query["iss"] == "http://testserver"
    assert response["Cache-Control"] == "no-store"
    code = AuthorizationCode.objects.get()
    assert crypto.matches(query["code"], code.token_hash)
    assert len(query["code"]) >= 43  # 256 bits
    assert code.client == client_app
    assert code.user == user
    assert code.redirect_uri == CALLBACK
    assert code.scope == "read:profile read:email"
    assert code.code_challenge == protocol.authorize_params(client_app)["code_challenge"]
    assert code.nonce == "n-0S6_WzA2Mj"
    assert code.auth_time == oidc_flow.session_auth_time(signed_in)  # this session's sign-in
    lifetime = code.expires_at - timezone.now()
    assert timedelta(seconds=50) < lifetime <= timedelta(seconds=60)
    assert code.used_at is None
    assert Consent.objects.get(user=user, client=client_app).scopes == [
        "read:profile",
        "read:email",
    ]


def test_allow_without_state_sends_no_state(signed_in, client_app):
    _, form = consent_form(signed_in, client_app, state=None)
    query = callback_query(submit(signed_in, form))
    assert set(query) == {"code", "iss"}


def test_cancel_sends_access_denied_with_state(signed_in, client_app, user):
    _, form = consent_form(signed_in, client_app)
    query = callback_query(submit(signed_in, form, "Cancel"))
    assert query["error"] == "access_denied"
    assert query["state"] == "xyz-state"
    assert query["iss"] == "http://testserver"
    assert "code" not in query
    assert not AuthorizationCode.objects.exists()
    assert not Consent.objects.exists()


def test_unticking_a_scope_narrows_the_grant(signed_in, client_app, user):
    _, form = consent_form(signed_in, client_app)
    data = [pair for pair in form.data("Allow") if pair != ("scope", "read:email")]
    assert "code" in callback_query(submit(signed_in, form, data=data))
    assert AuthorizationCode.objects.get().scope == "read:profile"
    assert Consent.objects.get().scopes == ["read:profile"]


def test_unticking_every_scope_is_cancel(signed_in, client_app):
    _, form = consent_form(signed_in, client_app)
    data = [pair for pair in form.data("Allow") if pair[0] != "scope"]
    query = callback_query(submit(signed_in, form, data=data))
    assert query["error"] == "access_denied"
    assert not AuthorizationCode.objects.exists()


def test_posted_scopes_must_be_among_the_requested_ones(signed_in, client_app):
    _, form = consent_form(signed_in, client_app, scope="read:profile")
    data = [*form.data("Allow"), ("scope", "publish")]
    response = submit(signed_in, form, data=data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not AuthorizationCode.objects.exists()


def _without(data, name):
    return [pair for pair in data if pair[0] != name]


@pytest.mark.parametrize(
    "request_value",
    ["", "garbage", "x" * 10000, "é\x00:1:2", "a:b:c", None],
)
def test_tampered_request_gets_an_error_page(signed_in, client_app, request_value):
    _, form = consent_form(signed_in, client_app)
    data = _without(form.data("Allow"), "request")
    if request_value is not None:
        data.append(("request", request_value))
    response = submit(signed_in, form, data=data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "oauthcore/error.html" in [t.name for t in response.templates]
    assert not AuthorizationCode.objects.exists()


def test_altered_request_gets_an_error_page(signed_in, client_app):
    _, form = consent_form(signed_in, client_app)
    sealed = dict(form.fields)["request"]
    params = signing.loads(sealed, salt=authorization.CONSENT_SALT)
    params["p"]["scope"] = ["read:profile publish"]
    forged = signing.dumps(params, salt="another salt", compress=True)
    data = [*_without(form.data("Allow"), "request"), ("request", forged)]
    assert submit(signed_in, form, data=data).status_code == HTTPStatus.BAD_REQUEST


class OldSigner(signing.TimestampSigner):
    def timestamp(self):
        return signing.b62_encode(int(time.time()) - authorization.CONSENT_MAX_AGE - 5)


def test_expired_consent_form_gets_an_error_page(signed_in, client_app):
    _, form = consent_form(signed_in, client_app)
    payload = signing.loads(dict(form.fields)["request"], salt=authorization.CONSENT_SALT)
    expired = OldSigner(salt=authorization.CONSENT_SALT).sign_object(payload, compress=True)
    data = [*_without(form.data("Allow"), "request"), ("request", expired)]
    response = submit(signed_in, form, data=data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not AuthorizationCode.objects.exists()


def test_consent_form_is_bound_to_the_user(signed_in, client_app):
    _, form = consent_form(signed_in, client_app)
    mallory = HttpClient()
    mallory.force_login(factories.UserFactory(username="mallory"))
    assert submit(mallory, form).status_code == HTTPStatus.BAD_REQUEST
    assert submit(HttpClient(), form).status_code == HTTPStatus.BAD_REQUEST
    assert not AuthorizationCode.objects.exists()


@pytest.mark.parametrize("decision", [None, "", "maybe", "ALLOW"])
def test_unknown_decision_gets_an_error_page(signed_in, client_app, decision):
    _, form = consent_form(signed_in, client_app)
    data = _without(form.data(), "decision")
    if decision is not None:
        data.append(("decision", decision))
    assert submit(signed_in, form, data=data).status_code == HTTPStatus.BAD_REQUEST
    assert not AuthorizationCode.objects.exists()


def test_decision_needs_the_csrf_token(client_app, user):
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(user)
    _, form = consent_form(http, client_app)
    response = submit(http, form, data=_without(form.data("Allow"), "csrfmiddlewaretoken"))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not AuthorizationCode.objects.exists()
    assert "code" in callback_query(submit(http, form))


def test_deactivated_client_after_the_screen_gets_an_error_page(signed_in, client_app):
    _, form = consent_form(signed_in, client_app)
    client_app.is_active = False
    client_app.save()
    assert submit(signed_in, form).status_code == HTTPStatus.BAD_REQUEST
    assert not AuthorizationCode.objects.exists()


def test_each_code_is_new(signed_in, client_app):
    _, form = consent_form(signed_in, client_app)
    first = callback_query(submit(signed_in, form))["code"]
    second = callback_query(
        authorization_request(signed_in, protocol.authorize_params(client_app))
    )["code"]
    assert first != second
    assert AuthorizationCode.objects.count() == 2
