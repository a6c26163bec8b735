"""Brute force: failed attempts per client and per address lead to 429, until the window ends."""

import threading
import time
from collections import Counter
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.urls import reverse

from oauthcore import ratelimit
from tests import factories
from tests.factories import basic_auth, post_token
from tests.security import kit

pytestmark = pytest.mark.django_db

LIMIT = 10  # the default RATE_LIMIT_FAILURES
GRANT = {"grant_type": "client_credentials"}
WRONG = "not-the-secret"


def limit(settings, **values):
    settings.OAUTHCORE = {**settings.OAUTHCORE, **{f"RATE_LIMIT_{k}": v for k, v in values.items()}}


def guess(http, client_id, secret=WRONG, *, address="10.0.0.1", path="oauthcore:token"):
    """POST a client_credentials request (or a token to revoke/introspect) with Basic auth."""
    data = GRANT if path == "oauthcore:token" else {"token": "x"}
    return http.post(
        reverse(path),
        urlencode(data),
        content_type="application/x-www-form-urlencoded",
        REMOTE_ADDR=address,
        **basic_auth(client_id, secret),
    )


def assert_limited(response):
    kit.assert_json_error(response, HTTPStatus.TOO_MANY_REQUESTS, "temporarily_unavailable")
    assert 1 <= int(response["Retry-After"]) <= 61  # the window starts at a whole second
    assert "Too many failed attempts" in response.json()["error_description"]


@pytest.mark.parametrize("path", ["oauthcore:token", "oauthcore:revoke", "oauthcore:introspect"])
def test_the_right_secret_is_refused_after_too_many_failures(client, client_app, path):
    for _ in range(LIMIT):
        kit.assert_json_error(
            guess(client, client_app.client_id, path=path),
            HTTPStatus.UNAUTHORIZED,
            "invalid_client",
        )
    assert_limited(guess(client, client_app.client_id, path=path))
    assert_limited(guess(client, client_app.client_id, factories.DEMO_SECRET, path=path))


def test_the_endpoints_share_the_counters(client, client_app):
    for path in ["oauthcore:token", "oauthcore:revoke", "oauthcore:introspect"] * 4:
        guess(client, client_app.client_id, path=path)
    assert_limited(guess(client, client_app.client_id, factories.DEMO_SECRET))


def test_a_public_client_guessing_codes_is_limited_by_address(client, public_client):
    data = {"grant_type": "refresh_token", "refresh_token": "guessed"}
    data["client_id"] = public_client.client_id
    for _ in range(LIMIT):
        response = post_token(client, data, REMOTE_ADDR="10.0.7.1")
        kit.assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_grant")
    assert_limited(post_token(client, data, REMOTE_ADDR="10.0.7.1"))
    response = post_token(client, data, REMOTE_ADDR="10.0.7.2")
    kit.assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_grant")


def test_nobody_can_lock_a_public_client_out(client, public_client):
    for n in range(LIMIT * 2):
        guess(client, public_client.client_id, address=f"10.0.8.{n}")
    data = {
        "grant_type": "refresh_token",
        "refresh_token": "x",
        "client_id": public_client.client_id,
    }
    response = post_token(client, data, REMOTE_ADDR="10.0.9.1")
    kit.assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_grant")


def test_a_confidential_client_meeting_expired_grants_is_not_limited(client, client_app):
    data = {"grant_type": "refresh_token", "refresh_token": "expired-long-ago"}
    for _ in range(LIMIT * 2):
        response = post_token(client, data, **basic_auth(client_app.client_id))
        kit.assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_grant")
    assert post_token(client, GRANT, **basic_auth(client_app.client_id)).status_code == 200


def test_other_errors_do_not_count(client, client_app):
    data = {**GRANT, "scope": "not-allowed"}
    for _ in range(LIMIT + 5):
        response = post_token(client, data, **basic_auth(client_app.client_id))
        kit.assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_scope")
    assert post_token(client, GRANT, **basic_auth(client_app.client_id)).status_code == 200


def test_a_success_resets_nothing(client, client_app):
    for _ in range(LIMIT - 1):
        guess(client, client_app.client_id)
    assert guess(client, client_app.client_id, factories.DEMO_SECRET).status_code == 200
    assert guess(client, client_app.client_id).status_code == HTTPStatus.UNAUTHORIZED
    assert_limited(guess(client, client_app.client_id, factories.DEMO_SECRET))


def test_the_client_is_limited_whatever_its_address(client, client_app):
    other = factories.ClientFactory()
    for n in range(LIMIT):
        guess(client, client_app.client_id, address=f"10.0.1.{n}")
    assert_limited(guess(client, client_app.client_id, factories.DEMO_SECRET, address="10.0.2.1"))
    ok = guess(client, other.client_id, factories.DEMO_SECRET, address="10.0.1.1")
    assert ok.status_code == HTTPStatus.OK


def test_the_address_is_limited_whatever_the_client(client, client_app):
    for n in range(LIMIT):
        guess(client, f"unknown-{n}", address="10.0.3.1")
    assert_limited(guess(client, client_app.client_id, factories.DEMO_SECRET, address="10.0.3.1"))
    ok = guess(client, client_app.client_id, factories.DEMO_SECRET, address="10.0.3.2")
    assert ok.status_code == HTTPStatus.OK


def test_the_refusal_lifts_when_the_window_ends(client, client_app, settings):
    limit(settings, WINDOW=timedelta(seconds=1), FAILURES=2)
    for _ in range(2):
        guess(client, client_app.client_id)
    refused = guess(client, client_app.client_id, factories.DEMO_SECRET)
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused["Retry-After"] in ("1", "2")  # the window starts at a whole second
    time.sleep(1.1)
    assert guess(client, client_app.client_id, factories.DEMO_SECRET).status_code == 200


def test_the_window_starts_at_the_first_failure(settings):
    keys = ["oauthcore:ratelimit:test:window"]
    limit(settings, FAILURES=2)
    ratelimit.record_failure(keys, now=1000.0)
    ratelimit.record_failure(keys, now=1010.0)
    with pytest.raises(ratelimit.TooManyAttempts) as refused:
        ratelimit.check(keys, now=1020.0)
    assert refused.value.retry_after == 40  # the window began at 1000 and lasts 60 s
    ratelimit.check(keys, now=1060.0)  # over: no longer refused


def test_a_larger_limit_is_honoured(client, client_app, settings):
    limit(settings, FAILURES=15)
    for _ in range(15):
        assert guess(client, client_app.client_id).status_code == HTTPStatus.UNAUTHORIZED
    assert_limited(guess(client, client_app.client_id))


def test_disabled_by_setting(client, client_app, settings):
    limit(settings, ENABLED=False)
    for _ in range(LIMIT * 2):
        assert guess(client, client_app.client_id).status_code == HTTPStatus.UNAUTHORIZED
    assert guess(client, client_app.client_id, factories.DEMO_SECRET).status_code == 200


def test_authorize_limits_the_address_with_the_error_page(client, client_app):
    url = reverse("oauthcore:authorize") + "?response_type=code&client_id=nobody"
    for _ in range(LIMIT):
        kit.assert_error_page(client.get(url, REMOTE_ADDR="10.0.4.1"), "invalid_client")
    good = reverse("oauthcore:authorize") + "?" + urlencode(factories.authorize_params(client_app))
    refused = client.get(good, REMOTE_ADDR="10.0.4.1")
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "Location" not in refused
    assert 1 <= int(refused["Retry-After"]) <= 61
    assert refused["Cache-Control"] == "no-store"
    assert refused["X-Frame-Options"] == "DENY"
    assert "temporarily_unavailable" in refused.content.decode()
    assert client.get(good, REMOTE_ADDR="10.0.4.2").status_code == HTTPStatus.FOUND


def race(requests):
    """Send each (client_id, address) guess from its own thread, released at once."""
    barrier = threading.Barrier(len(requests))
    statuses = [None] * len(requests)

    def run(index, client_id, address):
        try:
            http = HttpClient()
            barrier.wait()
            statuses[index] = guess(http, client_id, address=address).status_code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(i, *request)) for i, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Counter(statuses)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("shared", ["client", "address"])
def test_parallel_failures_are_counted_exactly(shared):
    app = factories.ClientFactory()
    if shared == "client":
        requests = [(app.client_id, f"10.0.5.{n}") for n in range(30)]
    else:
        requests = [(f"unknown-{n}", "10.0.6.1") for n in range(30)]
    outcome = race(requests)
    assert outcome == {HTTPStatus.UNAUTHORIZED: LIMIT, HTTPStatus.TOO_MANY_REQUESTS: 30 - LIMIT}
