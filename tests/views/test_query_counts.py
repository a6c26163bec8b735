"""SQL queries per request on every endpoint: the numbers are design, not luck.

Each test first serves what a running server has already served (keys read, the deny-list
loaded, the client remembered), then counts the queries of one request. Transactions are real
(``transaction=True``): a savepoint of the test's own transaction would be counted otherwise.
Where a number is above what the protocol needs, the comment says why (bench/README.md).
"""

from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from oauthcore.jose import keyring
from tests import browser, factories, protocol
from tests.exchange_kit import API, exchange, service
from tests.protocol import basic_auth, post_token, redeem

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("keys_cached")]
FORM = "application/x-www-form-urlencoded"
SCOPE = "read:profile read:contacts"


@pytest.fixture
def tokens(client, client_app, user):
    """A warm server: its signing key made, one code exchanged and one API call served; return
    the token response."""
    keyring.signing_key()
    response = redeem(client, client_app, user, scope=SCOPE)
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    api = client.get("/api/contacts/", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert api.status_code == HTTPStatus.OK
    return body


def post(http, name, data, client_app):
    extra = basic_auth(client_app.client_id)
    return http.post(reverse(f"oauthcore:{name}"), urlencode(data), content_type=FORM, **extra)


def test_client_credentials_needs_no_query(client, client_app, tokens, django_assert_num_queries):
    data = {"grant_type": "client_credentials", "scope": "read:profile"}
    # the client is remembered (CLIENT_CACHE_TTL); the token is signed, never stored
    with django_assert_num_queries(0):
        response = post_token(client, data, **basic_auth(client_app.client_id))
    assert response.status_code == HTTPStatus.OK


def test_code_exchange_is_three_queries(
    client, client_app, user, tokens, django_assert_num_queries
):
    raw = factories.make_code(client_app, user, scope=SCOPE)
    data = {"grant_type": "authorization_code", "code": raw}
    data.update(redirect_uri=factories.REDIRECT_URI, code_verifier=factories.VERIFIER)
    # code with its user; the conditional UPDATE that claims it; the refresh token
    with django_assert_num_queries(3):
        response = post_token(client, data, **basic_auth(client_app.client_id))
    assert response.status_code == HTTPStatus.OK


def test_refresh_is_three_queries(client, client_app, tokens, django_assert_num_queries):
    data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    # refresh token with its user; the conditional UPDATE (rotation); its successor
    with django_assert_num_queries(3):
        response = post_token(client, data, **basic_auth(client_app.client_id))
    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    ("endpoint", "kind", "queries"),
    [
        # move the generation and read its value; the deny-list row; the user, to send
        # token_revoked (the log and audit name it); the tokens exchanged from it (RFC 8693)
        ("revoke", "access_token", 5),
        # refresh token with client and user; UPDATE the family, and UPDATE again (a rotation
        # committing meanwhile may have added a member); its access tokens; the generation
        # (two); the tokens exchanged from them (RFC 8693); the deny-list rows
        ("revoke", "refresh_token", 8),
        # the user, for ``username``
        ("introspect", "access_token", 1),
        # refresh token with client and user
        ("introspect", "refresh_token", 1),
    ],
)
def test_revocation_and_introspection(
    client, client_app, tokens, django_assert_num_queries, endpoint, kind, queries
):
    data = {"token": tokens[kind], "token_type_hint": kind}
    with django_assert_num_queries(queries):
        response = post(client, endpoint, data, client_app)
    assert response.status_code == HTTPStatus.OK


def test_authorize_consent_page_and_approval(
    client, client_app, user, tokens, django_assert_num_queries
):
    client.force_login(user)
    params = protocol.authorize_params(client_app, scope="read:profile read:email")
    url = reverse("oauthcore:authorize") + "?" + urlencode(params)
    with django_assert_num_queries(3):  # session; user; consent (the client is remembered)
        response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    form = browser.form_with_button(response.content.decode(), "Allow")
    body = urlencode(form.data("Allow"))
    # session; user; consent read; consent again, locked (record_consent); its get_or_create's
    # SAVEPOINT, INSERT, RELEASE (its guard against a concurrent first consent); the code
    with django_assert_num_queries(8):
        response = client.post(form.action, body, content_type=FORM)
    assert response.status_code == HTTPStatus.FOUND
    assert "code=" in response["Location"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/contacts/",
        "/oauth/jwks.json",
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ],
)
def test_api_call_and_documents_need_no_query(client, tokens, url, django_assert_num_queries):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    client.get(url, **auth)  # warm-up: the signing keys are read once per KEY_CACHE_TTL
    with django_assert_num_queries(0):
        response = client.get(url, **auth)
    assert response.status_code == HTTPStatus.OK


def test_userinfo_reads_only_the_user(client, client_app, user, django_assert_num_queries):
    keyring.signing_key()  # a running server has its key
    body = redeem(client, client_app, user, scope="openid profile").json()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {body['access_token']}"}
    origin = {"HTTP_ORIGIN": "https://app.example.com"}  # CORS: the client is remembered
    client.get(reverse("oauthcore:userinfo"), **auth)  # warm-up: the signing keys
    with django_assert_num_queries(1):  # the user
        response = client.get(reverse("oauthcore:userinfo"), **auth, **origin)
    assert response.status_code == HTTPStatus.OK
    assert response["Access-Control-Allow-Origin"] == "https://app.example.com"


def test_connected_apps_page(client, client_app, user, tokens, django_assert_num_queries):
    factories.ConsentFactory(user=user, client=client_app)
    client.force_login(user)
    # session; user; a page of consents with their clients (one more row, never a count); when
    # each of their clients last got a refresh token
    with django_assert_num_queries(4):
        response = client.get(reverse("oauthcore:connected-apps"))
    assert response.status_code == HTTPStatus.OK


def test_logout_confirmation_page(client, user, tokens, django_assert_num_queries):
    client.force_login(user)
    with django_assert_num_queries(2):  # session; user
        response = client.get(reverse("oauthcore:end-session"))
    assert response.status_code == HTTPStatus.OK


def test_health_is_one_trivial_query(client, django_assert_num_queries):
    with django_assert_num_queries(1):  # SELECT 1
        response = client.get(reverse("oauthcore:health"))
    assert response.status_code == HTTPStatus.OK


def test_token_exchange_is_three_queries(client, settings, tokens, django_assert_num_queries):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "RESOURCES": [API]}
    app = service()
    assert exchange(client, app, tokens["access_token"]).status_code == HTTPStatus.OK  # warm
    # the subject's user; the refresh-token family of the subject token; the TokenExchange row
    with django_assert_num_queries(3):
        response = exchange(client, app, tokens["access_token"], scope="read:profile")
    assert response.status_code == HTTPStatus.OK


def test_device_authorization_is_two_queries(client, tokens, django_assert_num_queries):
    from tests import device_kit

    app = device_kit.device_client()
    device_kit.started(client, app, scope="read:profile")  # the client is remembered
    # is the new user code live already; the INSERT of the authorization
    with django_assert_num_queries(2):
        response = device_kit.start(client, app, scope="read:profile")
    assert response.status_code == HTTPStatus.OK


def test_device_polling(client, user, tokens, django_assert_num_queries):
    from tests import device_kit

    app = device_kit.device_client()
    warm = device_kit.started(client, app, scope="read:profile")  # a first flow served
    device_kit.approve(factories_http(), user, warm["user_code"])
    assert device_kit.poll(client, app, warm["device_code"]).status_code == HTTPStatus.OK
    body = device_kit.started(client, app, scope="read:profile")
    # pending: the authorization; the UPDATE of its last poll
    with django_assert_num_queries(2):
        response = device_kit.poll(client, app, body["device_code"])
    assert response.json()["error"] == "authorization_pending"
    device_kit.approve(factories_http(), user, body["user_code"])
    # approved: the authorization with its user; the conditional UPDATE; the refresh token
    with django_assert_num_queries(3):
        response = device_kit.poll(client, app, body["device_code"])
    assert response.status_code == HTTPStatus.OK


def factories_http():
    from django.test import Client as HttpClient

    return HttpClient()
