"""Database failures at each write of the protocol: an OAuth error, no half-written rows, and a
retry after recovery that works exactly once.

The fault is injected with ``connection.execute_wrapper`` (Django's own hook around every query),
which raises ``OperationalError`` for the one statement under test instead of running it.
"""

import logging
import re
from contextlib import contextmanager
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from oauthcore import generation
from oauthcore.models import AuthorizationCode, RefreshToken, RevokedAccessToken
from tests import factories, protocol
from tests.factories import REDIRECT_URI, VERIFIER, make_code
from tests.protocol import basic_auth, post_token, redeem
from tests.security.kit import ISSUER, assert_json_error, authorize, redirect_query

pytestmark = pytest.mark.django_db

INSERT_CODE = r'^INSERT INTO "oauthcore_authorizationcode"'
INSERT_REFRESH = r'^INSERT INTO "oauthcore_refreshtoken"'
REVOKE_FAMILY = r'^UPDATE "oauthcore_refreshtoken" SET "revoked_at"'


@contextmanager
def failing(pattern: str):
    """Make every statement matching ``pattern`` fail as a lost database connection would."""
    hits = []

    def wrapper(execute, sql, params, many, context):
        if re.search(pattern, sql):
            hits.append(sql)
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield hits
    assert hits, f"no statement matched {pattern}"


def assert_unavailable(response):
    """The back-channel answer to a failure: JSON temporarily_unavailable, 503, not cached."""
    assert_json_error(response, HTTPStatus.SERVICE_UNAVAILABLE, "temporarily_unavailable")
    assert set(response.json()) <= {"error", "error_description"}


@pytest.fixture
def http(client):
    client.raise_request_exception = False  # see what a browser or a client would see
    return client


def exchange(http, code):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": VERIFIER,
    }
    return post_token(http, data, **basic_auth("client-app"))


@pytest.fixture
def client_app(db):
    return factories.ClientFactory(client_id="client-app")


def refresh(http, raw):
    data = {"grant_type": "refresh_token", "refresh_token": raw}
    return post_token(http, data, **basic_auth("client-app"))


# Code issuance at the authorization endpoint


# A failed write outside atomic() marks the test's own transaction for rollback; production
# requests run in autocommit, so these run as they do: outside a test transaction.
@pytest.mark.django_db(transaction=True)
def test_code_issuance_failure_redirects_temporarily_unavailable(http, victim, client_app):
    victim.raise_request_exception = False
    params = protocol.authorize_params(client_app, redirect_uri=REDIRECT_URI)
    with failing(INSERT_CODE):
        response = authorize(victim, params)
    # The redirect URI is verified at that point: the error goes back to it (RFC 6749 4.1.2.1).
    query = redirect_query(response, REDIRECT_URI)
    assert query["error"] == "temporarily_unavailable"
    assert query["state"] == "xyz-state"
    assert query["iss"] == ISSUER
    assert "code" not in query
    assert not AuthorizationCode.objects.exists()
    retry = redirect_query(authorize(victim, params), REDIRECT_URI)
    assert retry["code"]
    assert AuthorizationCode.objects.count() == 1


def test_a_database_down_before_the_client_is_known_shows_the_error_page(victim, client_app):
    victim.raise_request_exception = False
    with failing(r'FROM "oauthcore_client"'):
        response = authorize(victim, protocol.authorize_params(client_app))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "Location" not in response
    assert "Error code: temporarily_unavailable" in response.content.decode()
    assert response["Cache-Control"] == "no-store"


# Token issuance in the code exchange


def test_token_issuance_failure_leaves_the_code_unused(http, client_app, user):
    code = make_code(client_app, user)
    with failing(INSERT_REFRESH):
        assert_unavailable(exchange(http, code))
    row = AuthorizationCode.objects.get()
    assert row.used_at is None  # the claim and the insert share one transaction
    assert row.family_id is None and row.access_token_jti == ""
    assert not RefreshToken.objects.exists()
    assert exchange(http, code).status_code == HTTPStatus.OK
    assert_json_error(exchange(http, code), HTTPStatus.BAD_REQUEST, "invalid_grant")
    assert RefreshToken.objects.count() == 1


# Refresh rotation


def test_rotation_failure_leaves_the_old_refresh_token_working(http, client_app, user):
    issued = exchange(http, make_code(client_app, user)).json()
    with failing(INSERT_REFRESH):
        assert_unavailable(refresh(http, issued["refresh_token"]))
    (row,) = RefreshToken.objects.all()
    assert row.rotated_at is None and row.revoked_at is None
    renewed = refresh(http, issued["refresh_token"])
    assert renewed.status_code == HTTPStatus.OK
    assert RefreshToken.objects.count() == 2
    # Exactly once: the old token is now used, and using it again is a replay.
    assert_json_error(
        refresh(http, issued["refresh_token"]), HTTPStatus.BAD_REQUEST, "invalid_grant"
    )


# Revocation


def revoke(http, token):
    body = urlencode({"token": token, "token_type_hint": "refresh_token"})
    return http.post(
        reverse("oauthcore:revoke"),
        body,
        content_type="application/x-www-form-urlencoded",
        **basic_auth("client-app"),
    )


# A failed write outside atomic() marks the test's own transaction for rollback; production
# requests run in autocommit, so these run as they do: outside a test transaction.
@pytest.mark.django_db(transaction=True)
def test_revocation_failure_is_reported_and_a_retry_revokes(http, client_app, user):
    issued = exchange(http, make_code(client_app, user)).json()
    with failing(REVOKE_FAMILY):
        # RFC 7009 2.2.1: 503 tells the client to retry.
        assert_unavailable(revoke(http, issued["refresh_token"]))
    assert RefreshToken.objects.get().revoked_at is None
    assert not RevokedAccessToken.objects.exists()
    assert revoke(http, issued["refresh_token"]).status_code == HTTPStatus.OK
    assert RefreshToken.objects.get().revoked_at is not None
    assert RevokedAccessToken.objects.count() == 1
    assert_json_error(
        refresh(http, issued["refresh_token"]), HTTPStatus.BAD_REQUEST, "invalid_grant"
    )


def test_a_failure_is_logged_without_the_secrets(http, client_app, user, caplog):
    code = make_code(client_app, user)
    with caplog.at_level(logging.DEBUG), failing(INSERT_REFRESH):
        assert_unavailable(exchange(http, code))
    records = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert records and records[0].exc_info
    logged = caplog.text
    for secret in (code, VERIFIER, factories.DEMO_SECRET):
        assert secret not in logged


GENERATION_READ = r'^SELECT "oauthcore_generation"."value"'


def test_the_api_fails_closed_when_the_database_cannot_say_what_changed(http, client_app, user):
    """Its copy of the deny-list is due for a check and the database is gone: 503, never 500."""
    issued = redeem(http, client_app, user, scope="read:profile").json()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issued['access_token']}"}
    assert http.get("/api/profile/", **auth).status_code == HTTPStatus.OK
    generation.forget()  # SYNC_INTERVAL has passed
    with failing(GENERATION_READ):
        response = http.get("/api/profile/", **auth)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["error"] == "temporarily_unavailable"
    assert http.get("/api/profile/", **auth).status_code == HTTPStatus.OK  # back
