"""Brute force at the back-channel endpoints: failures are counted per (client_id, address) pair and
per address and throttled with a growing backoff (429), and a correct request is never refused."""

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

from tests import factories, protocol
from tests.protocol import basic_auth, post_token
from tests.security import kit

pytestmark = pytest.mark.django_db

LIMIT = 10  # the default RATE_LIMIT_FAILURES
ADDRESS_LIMIT = 100  # the default RATE_LIMIT_ADDRESS_FAILURES
GRANT = {"grant_type": "client_credentials"}
WRONG = "not-the-secret"
ENDPOINTS = ["oauthcore:token", "oauthcore:revoke", "oauthcore:introspect"]


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


def exchange(http, app, user, *, address):
    """Redeem a fresh code of the public client ``app`` from ``address``."""
    code = factories.make_code(app, user)
    data = {"grant_type": "authorization_code", "code": code, "client_id": app.client_id}
    data |= {"redirect_uri": factories.REDIRECT_URI, "code_verifier": factories.VERIFIER}
    return post_token(http, data, REMOTE_ADDR=address)


def assert_limited(response, *, most=60):
    kit.assert_json_error(response, HTTPStatus.TOO_MANY_REQUESTS, "temporarily_unavailable")
    assert 1 <= int(response["Retry-After"]) <= most
    assert "Too many failed attempts" in response.json()["error_description"]


def assert_refused(response):
    kit.assert_json_error(response, HTTPStatus.UNAUTHORIZED, "invalid_client")


def test_a_thousand_wrong_secrets_from_a_lock_the_client_out_nowhere(client, client_app):
    statuses = Counter(guess(client, client_app.client_id).status_code for _ in range(1000))
    assert statuses[HTTPStatus.TOO_MANY_REQUESTS] >= 1000 - LIMIT - 10  # throttled ...
    assert set(statuses) == {HTTPStatus.UNAUTHORIZED, HTTPStatus.TOO_MANY_REQUESTS}
    # ... but the right secret succeeds at once, from another address and from the same one.
    right = factories.DEMO_SECRET
    assert guess(client, client_app.client_id, right, address="10.0.0.2").status_code == 200
    assert guess(client, client_app.client_id, right, address="10.0.0.1").status_code == 200
    # The address stays throttled for failures (of any client), never for a correct request.
    # (One failure per backoff is answered: two in a row cannot both be, however slow the run.)
    after = [guess(client, client_app.client_id).status_code for _ in range(2)]
    assert HTTPStatus.TOO_MANY_REQUESTS in after
    assert guess(client, client_app.client_id, right, address="10.0.0.1").status_code == 200


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_success_is_never_429(client, client_app, path):
    for _ in range(LIMIT + 5):
        guess(client, client_app.client_id, path=path)
    assert_limited(guess(client, client_app.client_id, path=path))
    assert guess(client, client_app.client_id, factories.DEMO_SECRET, path=path).status_code == 200


def test_the_first_failures_are_answered_then_one_per_backoff(client, client_app):
    for _ in range(LIMIT):
        assert_refused(guess(client, client_app.client_id))
    assert_refused(guess(client, client_app.client_id))  # the first over the limit: backoff 1 s
    refused = guess(client, client_app.client_id)
    assert_limited(refused, most=1)
    assert refused["Cache-Control"] == "no-store"


def test_the_backoff_grows_with_failures_and_resets_on_success(client, client_app, settings):
    limit(settings, FAILURES=0)
    assert_refused(guess(client, client_app.client_id))  # answered; the next waits 1 s
    assert guess(client, client_app.client_id)["Retry-After"] == "1"
    time.sleep(1.05)
    assert_refused(guess(client, client_app.client_id))  # third failure: 2**2 s
    assert guess(client, client_app.client_id)["Retry-After"] == "4"
    assert guess(client, client_app.client_id, factories.DEMO_SECRET).status_code == 200
    assert_refused(guess(client, client_app.client_id))  # forgotten: 1 s again
    assert guess(client, client_app.client_id)["Retry-After"] == "1"


def test_the_backoff_never_exceeds_the_window(client, client_app, settings):
    limit(settings, FAILURES=0, WINDOW=timedelta(seconds=2))
    for _ in range(6):  # the first is answered, the next five wait its 1 s
        guess(client, client_app.client_id)
    time.sleep(1.05)
    assert_refused(guess(client, client_app.client_id))  # 2**6 s, but the window is 2 s
    assert guess(client, client_app.client_id)["Retry-After"] == "2"


def test_the_counters_start_again_when_the_window_ends(client, client_app, settings):
    limit(settings, FAILURES=1, WINDOW=timedelta(seconds=1))
    for _ in range(3):
        guess(client, client_app.client_id)
    assert_limited(guess(client, client_app.client_id), most=1)
    time.sleep(1.1)
    assert_refused(guess(client, client_app.client_id))


def test_the_endpoints_share_the_counters(client, client_app):
    for path in ENDPOINTS * 4:
        guess(client, client_app.client_id, path=path)
    assert_limited(guess(client, client_app.client_id))


def test_a_stranger_elsewhere_touches_no_pair_of_yours(client, client_app):
    for _ in range(LIMIT * 3):
        guess(client, client_app.client_id, address="10.0.1.1")
    assert_refused(guess(client, client_app.client_id, address="10.0.1.2"))  # answered as it is


def test_a_public_client_cannot_be_locked_out_from_another_address(client, public_client, user):
    tokens = protocol.redeem(client, public_client, user).json()
    stale = {"grant_type": "refresh_token", "client_id": public_client.client_id}
    for n in range(LIMIT * 3):
        post_token(client, {**stale, "refresh_token": f"guess-{n}"}, REMOTE_ADDR="10.0.2.1")
    assert_limited(post_token(client, {**stale, "refresh_token": "x"}, REMOTE_ADDR="10.0.2.1"))
    # At the users' address: a stale token is answered as it is, a live one is refreshed.
    response = post_token(client, {**stale, "refresh_token": "stale"}, REMOTE_ADDR="10.0.3.1")
    kit.assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_grant")
    live = {**stale, "refresh_token": tokens["refresh_token"]}
    assert post_token(client, live, REMOTE_ADDR="10.0.3.1").status_code == 200


def test_users_sharing_an_address_do_not_lock_each_other_out(client, public_client, user):
    """A single-page app's users behind one address send stale refresh tokens all day."""
    stale = {"grant_type": "refresh_token", "client_id": public_client.client_id}
    for n in range(ADDRESS_LIMIT + 20):
        post_token(client, {**stale, "refresh_token": f"stale-{n}"}, REMOTE_ADDR="10.0.4.1")
    tokens = exchange(client, public_client, user, address="10.0.4.1")
    assert tokens.status_code == 200  # a code exchange at the address
    live = {**stale, "refresh_token": tokens.json()["refresh_token"]}
    assert post_token(client, live, REMOTE_ADDR="10.0.4.1").status_code == 200


def test_the_address_counter_catches_guesses_spread_over_clients(client, client_app):
    for n in range(ADDRESS_LIMIT):
        assert_refused(guess(client, f"unknown-{n}", address="10.0.5.1"))
    guess(client, "unknown-x", address="10.0.5.1")  # the one answered in the first backoff
    assert_limited(guess(client, "unknown-y", address="10.0.5.1"))
    right = guess(client, client_app.client_id, factories.DEMO_SECRET, address="10.0.5.1")
    assert right.status_code == 200
    assert_refused(guess(client, "unknown-z", address="10.0.5.2"))


def test_an_ipv6_network_counts_as_one_address(client, settings):
    limit(settings, ADDRESS_FAILURES=5)
    for n in range(6):  # five answered, one in the first backoff, each from another host
        assert_refused(guess(client, f"unknown-{n}", address=f"2001:db8:1:2::{n + 1:x}"))
    assert_limited(guess(client, "unknown-a", address="2001:db8:1:2:ffff:ffff:ffff:ffff"))
    assert_refused(guess(client, "unknown-b", address="2001:db8:1:3::1"))  # the next /64


def test_a_confidential_clients_expired_grants_are_not_counted(client, client_app):
    data = {"grant_type": "refresh_token", "refresh_token": "expired-long-ago"}
    for _ in range(LIMIT * 2):
        response = post_token(client, data, **basic_auth(client_app.client_id))
        kit.assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_grant")


def test_other_errors_are_not_counted(client, client_app):
    data = {**GRANT, "scope": "not-allowed"}
    for _ in range(LIMIT + 5):
        response = post_token(client, data, **basic_auth(client_app.client_id))
        kit.assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_scope")


def test_disabled_by_setting(client, client_app, settings):
    limit(settings, ENABLED=False)
    for _ in range(LIMIT * 2):
        assert_refused(guess(client, client_app.client_id))


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
@pytest.mark.parametrize("shared", ["pair", "address"])
def test_parallel_failures_are_counted_exactly(settings, shared):
    limit(settings, BACKOFF=timedelta(seconds=30))
    app = factories.ClientFactory()
    if shared == "pair":
        requests = [(app.client_id, "10.0.6.1")] * 30
    else:
        limit(settings, ADDRESS_FAILURES=LIMIT)
        requests = [(f"unknown-{n}", "10.0.6.2") for n in range(30)]
    outcome = race(requests)
    # LIMIT answered, one more at the start of the backoff, the rest throttled.
    assert outcome == {HTTPStatus.UNAUTHORIZED: LIMIT + 1, HTTPStatus.TOO_MANY_REQUESTS: 19}
