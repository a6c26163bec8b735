"""An unreachable cache (Redis down): answers stay right and stay OAuth errors, never a 500.

The API's deny-list and the remembered clients never use the cache (revocation.py,
generation.py); the rate limiter counts nothing and lets verification answer (it guards no
secret: docs/security.md).
"""

from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from oauthcore import generation
from oauthcore.resource_server import denylist
from tests import protocol
from tests.factories import UNREACHABLE_REDIS
from tests.protocol import basic_auth, post_token, redeem

pytestmark = pytest.mark.django_db(transaction=True)
API = "/api/contacts/"


def api(http, access_token):
    return http.get(API, HTTP_AUTHORIZATION=f"Bearer {access_token}")


@pytest.fixture
def issued(client, client_app, user):
    """Two access tokens of the user, issued while the cache works; the second one revoked."""
    kept, revoked = (
        redeem(client, client_app, user, scope="read:contacts").json()["access_token"]
        for _ in range(2)
    )
    data = {"token": revoked, "token_type_hint": "access_token"}
    body = urlencode(data)
    form = "application/x-www-form-urlencoded"
    extra = basic_auth(client_app.client_id)
    response = client.post(reverse("oauthcore:revoke"), body, content_type=form, **extra)
    assert response.status_code == HTTPStatus.OK
    return kept, revoked


def test_the_api_needs_no_cache_to_know_which_tokens_are_revoked(client, issued, settings, caplog):
    kept, revoked = issued
    settings.CACHES = UNREACHABLE_REDIS
    denylist.forget()  # a process started during the outage
    assert api(client, kept).status_code == HTTPStatus.OK
    response = api(client, revoked)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert "Cache unreachable" not in caplog.text


def test_tokens_of_a_deactivated_client_stay_refused(client, client_app, issued, settings):
    kept, _ = issued
    assert api(client, kept).status_code == HTTPStatus.OK
    settings.CACHES = UNREACHABLE_REDIS
    client_app.is_active = False
    client_app.save()
    generation.forget()  # SYNC_INTERVAL later
    assert api(client, kept).status_code == HTTPStatus.UNAUTHORIZED


def test_the_token_endpoint_verifies_without_counting(client, client_app, settings, caplog):
    """The limiter guards no secret: without a cache it counts nothing, answers stay as verified."""
    settings.CACHES = UNREACHABLE_REDIS
    data = {"grant_type": "client_credentials", "scope": "read:profile"}
    for _ in range(15):  # more than RATE_LIMIT_FAILURES, and none is throttled
        response = post_token(client, data, **basic_auth(client_app.client_id, "wrong"))
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert response.json()["error"] == "invalid_client"
    response = post_token(client, data, **basic_auth(client_app.client_id))
    assert response.status_code == HTTPStatus.OK
    assert "access_token" in response.json()
    assert "Cache unreachable: failures and requests are not counted." in caplog.text


def test_authorize_serves_the_browser_without_counting(client, client_app, user, settings):
    """Sign-in and consent do not depend on the cache (sessions live in the database)."""
    client.force_login(user)
    settings.CACHES = UNREACHABLE_REDIS
    params = protocol.authorize_params(client_app, scope="read:profile")
    response = client.get(reverse("oauthcore:authorize") + "?" + urlencode(params))
    assert response.status_code == HTTPStatus.OK
    assert "Allow" in response.content.decode()
