"""Back-channel logout under attack or failure: logout URIs to private addresses, no nonce, a slow
or dead relying party, retries with backoff and the audit log (Back-Channel Logout 2.8, 4)."""

import time
from http import HTTPStatus
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from oauthcore import errors
from oauthcore.models import AuditEvent, Client
from oauthcore.server import registration
from tests import factories, oidc_flow
from tests.logout_receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)  # the worker closes connections

FAILED = "backchannel_logout_failed"


@pytest.fixture
def audited(settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "AUDIT_LOG": True, "FETCH_ALLOW_LOOPBACK": True}
    return settings


def run_tasks() -> None:
    call_command("db_worker", batch=True, no_startup_delay=True, stdout=StringIO())


def failures() -> list[dict]:
    return [event.details for event in AuditEvent.objects.filter(event=FAILED).order_by("pk")]


@pytest.mark.parametrize(
    "uri",
    [
        "https://10.0.0.1/bc",
        "https://169.254.169.254/latest/meta-data",
        "https://[::ffff:192.168.1.1]/bc",
        "http://127.0.0.1:9/bc",  # loopback http without FETCH_ALLOW_LOOPBACK
    ],
)
def test_a_private_logout_uri_is_refused_at_registration(uri, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "FETCH_ALLOW_LOOPBACK": False}
    with pytest.raises(errors.InvalidClientMetadata):
        registration.create_client(
            name="RP",
            grant_types=["authorization_code"],
            redirect_uris=["https://app.example.com/callback"],
            backchannel_logout_uri=uri,
        )
    assert not Client.objects.filter(name="RP").exists()


def test_a_private_logout_uri_is_refused_at_send(client, user, audited):
    """A URI stored before the rules (or edited in the database) is still never fetched."""
    rp = factories.ClientFactory(backchannel_logout_uri="https://10.0.0.1/bc")
    oidc_flow.sign_in(client, rp, user)
    client.logout()
    run_tasks()
    [details] = failures()[:1]
    assert "non-public" in details["error"]


def test_a_name_resolving_to_a_private_address_is_refused_at_send(client, user, audited):
    rp = factories.ClientFactory(backchannel_logout_uri="https://localhost/bc")
    audited.OAUTHCORE = {**audited.OAUTHCORE, "FETCH_ALLOW_LOOPBACK": False}
    oidc_flow.sign_in(client, rp, user)
    client.logout()
    run_tasks()
    assert "non-public" in failures()[0]["error"]


def test_the_logout_token_never_carries_a_nonce(client, user, audited):
    with Receiver() as rp_server:
        rp = factories.ClientFactory(backchannel_logout_uri=rp_server.url)
        oidc_flow.sign_in(client, rp, user, nonce="secret-nonce")
        client.logout()
        run_tasks()
        [claims] = rp_server.claims()
    assert "nonce" not in claims
    assert "secret-nonce" not in str(claims)


def test_a_slow_relying_party_does_not_delay_the_sign_out(client, user, audited):
    with Receiver(delay=3) as slow:
        rp = factories.ClientFactory(backchannel_logout_uri=slow.url)
        body = oidc_flow.sign_in(client, rp, user)
        started = time.monotonic()
        response = client.get("/oauth/logout/", {"id_token_hint": body["id_token"]})
        elapsed = time.monotonic() - started
        assert response.status_code == HTTPStatus.OK
        assert elapsed < 1.0, elapsed
        assert slow.tokens == []


def test_a_dead_relying_party_is_retried_with_backoff_and_audited(client, user, audited):
    with Receiver(status=500) as dead:
        rp = factories.ClientFactory(backchannel_logout_uri=dead.url)
        oidc_flow.sign_in(client, rp, user)
        client.logout()
        before = timezone.now()
        run_tasks()
        assert len(dead.tokens) == 1  # the retry waits for its backoff
    [details] = failures()
    assert details["attempt"] == 1 and details["retried"] is True
    assert "500" in details["error"]
    [queued] = DBTaskResult.objects.filter(status="READY")
    assert queued.args_kwargs["args"][-1] == 2
    assert (queued.run_after - before).total_seconds() >= 9  # 10 s, then 20 s, ...


def test_retries_stop_after_backchannel_logout_retries(client, user, audited, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "BACKCHANNEL_LOGOUT_RETRIES": 2}
    with Receiver(status=503) as dead:
        rp = factories.ClientFactory(backchannel_logout_uri=dead.url)
        oidc_flow.sign_in(client, rp, user)
        client.logout()
        for _ in range(4):  # the backoff has passed: each retry is due
            DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
            run_tasks()
        assert len(dead.tokens) == 3
    assert [(d["attempt"], d["retried"]) for d in failures()] == [(1, True), (2, True), (3, False)]
    assert {event.client_id for event in AuditEvent.objects.filter(event=FAILED)} == {rp.pk}
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_without_a_worker_one_try_never_retried_in_the_request(client, user, audited, settings):
    """The immediate backend (a project with no worker) tries once, bounded by the timeout."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with Receiver(status=503) as dead:
        rp = factories.ClientFactory(backchannel_logout_uri=dead.url)
        oidc_flow.sign_in(client, rp, user)
        client.logout()
        assert len(dead.tokens) == 1
    assert [(d["attempt"], d["retried"]) for d in failures()] == [(1, False)]


def test_a_redirecting_relying_party_is_a_failure(client, user, audited):
    with Receiver(status=302) as moved:
        rp = factories.ClientFactory(backchannel_logout_uri=moved.url)
        oidc_flow.sign_in(client, rp, user)
        client.logout()
        run_tasks()
    assert "302" in failures()[0]["error"]


def test_a_session_required_client_never_gets_a_token_without_sid(client, user, audited):
    """A client that asked for sid (backchannel_logout_session_required) gets none without it."""
    with Receiver() as rp_server:
        rp = factories.ClientFactory(
            backchannel_logout_uri=rp_server.url, backchannel_logout_session_required=True
        )
        factories.ConsentFactory(user=user, client=rp)
        factories.RefreshTokenFactory.create_with_raw(client=rp, user=user, session_id="")
        factories.RefreshTokenFactory.create_with_raw(client=rp, user=user, session_id="s-1")
        client.force_login(user)
        response = client.post("/oauth/apps/", {"client": rp.client_id})
        assert response.status_code == HTTPStatus.FOUND
        run_tasks()
        assert [claims["sid"] for claims in rp_server.claims()] == ["s-1"]
