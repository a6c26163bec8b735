"""Attacks on the device flow (RFC 8628 5): guessing user codes, stolen or replayed device codes,
forged decisions. Each test tries the attack through HTTP and shows it fails."""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections
from django.test import Client as HttpClient
from django.utils import timezone

from oauthcore.models import DeviceAuthorization
from tests import device_kit, factories, protocol
from tests.device_kit import enter, poll, started

pytestmark = pytest.mark.django_db

ATTACKER = {"REMOTE_ADDR": "203.0.113.9"}
VICTIM = {"REMOTE_ADDR": "198.51.100.7"}
WRONG = ["BBBB-BBBB", "CCCC-CCCC", "DDDD-DDDD", "FFFF-FFFF", "GGGG-GGGG"]


@pytest.fixture
def app(db):
    return device_kit.device_client()


@pytest.fixture
def budget(settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "DEVICE_USER_CODE_FAILURES": 3}
    return 3


def signed_in(user) -> HttpClient:
    browser = HttpClient()
    browser.force_login(user)
    return browser


def test_guessing_from_one_address_is_stopped_even_for_the_right_code(client, app, budget):
    code = started(client, app, scope="read:profile")["user_code"]
    guesser = signed_in(factories.UserFactory(username="mallory"))
    for guess in WRONG[:budget]:
        assert enter(guesser, guess, **ATTACKER).status_code == 400
    blocked = enter(guesser, code, **ATTACKER)
    assert blocked.status_code == 429 and int(blocked["Retry-After"]) > 0
    assert "Device" not in blocked.content.decode() or app.name not in blocked.content.decode()
    other_user = signed_in(factories.UserFactory(username="mallory2"))
    assert enter(other_user, code, **ATTACKER).status_code == 429  # the address is spent


def test_one_user_cannot_guess_from_many_addresses(client, app, budget):
    code = started(client, app, scope="read:profile")["user_code"]
    guesser = signed_in(factories.UserFactory(username="mallory"))
    for n, guess in enumerate(WRONG[:budget]):
        assert enter(guesser, guess, REMOTE_ADDR=f"192.0.2.{n + 1}").status_code == 400
    assert enter(guesser, code, REMOTE_ADDR="192.0.2.99").status_code == 429


def test_guesses_lock_nobody_else_out(client, app, user, budget):
    body = started(client, app, scope="read:profile")
    guesser = signed_in(factories.UserFactory(username="mallory"))
    for guess in WRONG * 2:  # far past the budget, and typing the right code's neighbours
        enter(guesser, guess, **ATTACKER)
    page = enter(signed_in(user), body["user_code"], **VICTIM)
    assert page.status_code == 200 and app.name in page.content.decode()
    device_kit.decide(signed_in(user), page, **VICTIM)
    assert poll(client, app, body["device_code"]).status_code == 200


def test_a_right_code_is_not_counted_as_a_failure(client, app, user, budget):
    browser = signed_in(user)
    for _ in range(budget + 2):
        code = started(client, app, scope="read:profile")["user_code"]
        assert enter(browser, code, **VICTIM).status_code == 200


def test_another_clients_device_code_is_invalid_grant_and_not_spent(client, app, user):
    body = started(client, app, scope="read:profile")
    device_kit.approve(HttpClient(), user, body["user_code"])
    thief = device_kit.device_client()
    response = poll(client, thief, body["device_code"])
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert poll(client, app, body["device_code"]).status_code == 200


def test_a_replayed_device_code_gets_nothing(client, app, user):
    body = started(client, app, scope="read:profile")
    device_kit.approve(HttpClient(), user, body["user_code"])
    assert poll(client, app, body["device_code"]).status_code == 200
    for _ in range(2):
        replay = poll(client, app, body["device_code"])
        assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"


@pytest.mark.django_db(transaction=True)
def test_concurrent_polls_redeem_once(app, user):
    body = started(HttpClient(), app, scope="read:profile")
    device_kit.approve(HttpClient(), user, body["user_code"])
    results, start = [], threading.Barrier(4)

    def race():
        start.wait()
        try:
            results.append(poll(HttpClient(), app, body["device_code"]).status_code)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=race) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results).count(200) == 1, results


def test_an_approved_but_expired_code_is_expired_token(client, app, user):
    body = started(client, app, scope="read:profile")
    device_kit.approve(HttpClient(), user, body["user_code"])
    DeviceAuthorization.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = poll(client, app, body["device_code"])
    assert response.status_code == 400 and response.json()["error"] == "expired_token"


def test_a_decision_form_of_another_user_is_refused(client, app, user):
    body = started(client, app, scope="read:profile")
    page = enter(signed_in(user), body["user_code"])
    mallory = signed_in(factories.UserFactory(username="mallory"))
    response = device_kit.decide(mallory, page)
    assert response.status_code == 400
    assert DeviceAuthorization.objects.get().status == "pending"


def test_an_altered_scope_is_refused(client, app, user):
    body = started(client, app, scope="read:profile")
    browser = signed_in(user)
    page = enter(browser, body["user_code"])
    response = device_kit.decide(browser, page, scopes=["read:profile", "publish"])
    assert response.status_code == 400
    assert DeviceAuthorization.objects.get().status == "pending"


def test_a_decision_is_made_once(client, app, user):
    body = started(client, app, scope="read:profile")
    browser = signed_in(user)
    page = enter(browser, body["user_code"])
    device_kit.decide(browser, page, decision="allow")
    again = device_kit.decide(browser, page, decision="cancel")
    assert again.status_code == 400
    assert DeviceAuthorization.objects.get().status == "approved"
    tokens = poll(client, app, body["device_code"]).json()
    assert protocol.claims_of(tokens["access_token"])["sub"] == str(user.pk)


def test_a_forged_decision_form_is_refused(client, app, user):
    started(client, app, scope="read:profile")
    browser = signed_in(user)
    response = browser.post("/oauth/device/", {"request": "forged", "decision": "allow"})
    assert response.status_code == 400
    assert DeviceAuthorization.objects.get().status == "pending"


def test_a_code_of_a_deactivated_client_cannot_be_approved(client, app, user):
    body = started(client, app, scope="read:profile")
    app.is_active = False
    app.save()
    assert enter(signed_in(user), body["user_code"]).status_code == 400


def test_anonymous_decisions_go_to_login(client, app):
    started(client, app, scope="read:profile")
    response = HttpClient().post("/oauth/device/", {"decision": "allow", "request": "x"})
    assert response.status_code == 302 and "login" in response["Location"]
    assert DeviceAuthorization.objects.get().status == "pending"


FULLWIDTH_B = "\uff22"  # looks like B, is not one of the code's letters


@pytest.mark.parametrize(
    "typed", ["", "x" * 5000, "AAAA-AAAA", "BBBB-BBB", "\x00", FULLWIDTH_B * 8]
)
def test_bad_input_is_never_a_500(client, user, typed):
    response = enter(signed_in(user), typed)
    assert response.status_code == 400


def test_undecodable_bytes_are_never_a_500(user):
    browser = signed_in(user)
    body = "user_code=%ff%fe%00"
    response = browser.post("/oauth/device/", body, content_type=protocol.FORM)
    assert response.status_code in (400, 403)
    assert browser.get("/oauth/device/?user_code=%ff%fe").status_code == 400


def test_bad_device_authorization_requests_are_json_errors(client, app):
    assert device_kit.start(client, None, scope="read:profile").status_code == 401
    headers = protocol.basic_auth(app.client_id)
    for body in ("scope=%ff%fe", "scope=read:profile&scope=read:email", "resource=%00"):
        response = client.post(
            "/oauth/device_authorization/", body, content_type=protocol.FORM, **headers
        )
        assert response.status_code == 400 and response.json()["error"], body
    assert not DeviceAuthorization.objects.exists()


def test_guessing_device_codes_is_slowed_per_address_not_for_others(client, user, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "RATE_LIMIT_FAILURES": 2}
    app = device_kit.device_client(client_type="public", secret_hash="")
    body = started(client, app, scope="read:profile")
    device_kit.approve(HttpClient(), user, body["user_code"])
    statuses = [poll(client, app, f"guess-{n}", **ATTACKER).status_code for n in range(4)]
    assert statuses[:2] == [400, 400] and 429 in statuses[2:]
    response = poll(client, app, body["device_code"], **VICTIM)  # the device, elsewhere
    assert response.status_code == 200, response.content
