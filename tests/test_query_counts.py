"""SQL queries per request on every endpoint: the numbers are design, not luck.

Each test first serves what a running server has already served (keys read, the deny-list
loaded into the cache), then counts the queries of one request. Transactions are real
(``transaction=True``): a savepoint of the test's own transaction would be counted otherwise.
Where a number is above what the protocol needs, the comment says why (bench/README.md).
"""

from contextlib import contextmanager
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import browser, factories
from tests.factories import basic_auth, post_token, redeem

pytestmark = pytest.mark.django_db(transaction=True)
FORM = "application/x-www-form-urlencoded"
SCOPE = "read:profile read:contacts"


@pytest.fixture(autouse=True)
def _keys_cached(settings):
    """Keys kept for an hour, as in production (the test settings reread them on every use)."""
    settings.OAUTHCORE = {**settings.OAUTHCORE, "KEY_CACHE_TTL": timedelta(hours=1)}


@pytest.fixture
def django_assert_num_queries():
    """pytest-django's fixture, without transaction control: SQLite logs BEGIN and COMMIT,
    PostgreSQL does not, and neither is a statement of the endpoint's logic."""

    @contextmanager
    def expect(number: int):
        with CaptureQueriesContext(connection) as context:
            yield context
        sqls = [q["sql"] for q in context.captured_queries]
        counted = [sql for sql in sqls if sql.split()[0].upper() not in ("BEGIN", "COMMIT")]
        assert len(counted) == number, "\n".join(counted)

    return expect


@pytest.fixture
def tokens(client, client_app, user):
    """A warm server: one code exchanged and one API call served; return the token response."""
    response = redeem(client, client_app, user, scope=SCOPE)
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    api = client.get("/api/contacts/", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert api.status_code == HTTPStatus.OK
    return body


def post(http, name, data, client_app):
    extra = basic_auth(client_app.client_id)
    return http.post(reverse(f"oauthcore:{name}"), urlencode(data), content_type=FORM, **extra)


def test_client_credentials_is_one_query(client, client_app, tokens, django_assert_num_queries):
    data = {"grant_type": "client_credentials", "scope": "read:profile"}
    with django_assert_num_queries(1):  # the client; the token is signed, never stored
        response = post_token(client, data, **basic_auth(client_app.client_id))
    assert response.status_code == HTTPStatus.OK


def test_code_exchange_is_four_queries(client, client_app, user, tokens, django_assert_num_queries):
    raw = factories.make_code(client_app, user, scope=SCOPE)
    data = {"grant_type": "authorization_code", "code": raw}
    data.update(redirect_uri=factories.REDIRECT_URI, code_verifier=factories.VERIFIER)
    # client; code with its user; the conditional UPDATE that claims it; the refresh token
    with django_assert_num_queries(4):
        response = post_token(client, data, **basic_auth(client_app.client_id))
    assert response.status_code == HTTPStatus.OK


def test_refresh_is_four_queries(client, client_app, tokens, django_assert_num_queries):
    data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    # client; refresh token with its user; the conditional UPDATE (rotation); its successor
    with django_assert_num_queries(4):
        response = post_token(client, data, **basic_auth(client_app.client_id))
    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    ("endpoint", "kind", "queries"),
    [
        # client; the token's client again (introspection.find_access_token looks the owner up
        # by client_id, though it is the authenticated client: 1 too many); the deny-list row;
        # the user, only to send token_revoked (1 the protocol does not need)
        ("revoke", "access_token", 4),
        # client; refresh token with client and user; UPDATE the family, and UPDATE again (a
        # rotation committing meanwhile may have added a member); its access tokens; deny-list
        ("revoke", "refresh_token", 6),
        # client; the token's client again (as above: 1 too many); the user, for ``username``
        ("introspect", "access_token", 3),
        # client; refresh token with client and user
        ("introspect", "refresh_token", 2),
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
    params = factories.authorize_params(client_app, scope="read:profile read:email")
    url = reverse("oauthcore:authorize") + "?" + urlencode(params)
    with django_assert_num_queries(4):  # session; user; client; consent
        response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    form = browser.form_with_button(response.content.decode(), "Allow")
    body = urlencode(form.data("Allow"))
    # session; user; client; consent read; consent again, locked (record_consent); its
    # get_or_create's SAVEPOINT, INSERT (with no scopes), RELEASE, then an UPDATE of the scopes
    # (get_or_create(defaults=...) would save that UPDATE); the code
    with django_assert_num_queries(10):
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
