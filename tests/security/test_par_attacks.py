"""Attacks on pushed authorization requests (RFC 9126 7): a request_uri is bound to its client,
one-time, short-lived and never fetched; PAR needs the client's authentication and may be required.
"""

import copy
import threading
from collections import Counter
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from oauthcore.models import AuthorizationCode, PushedAuthorizationRequest
from tests import factories, protocol
from tests.par_kit import PREFIX, authorize_pushed, consent_form, decide, push, pushed_uri, row_of
from tests.security import kit

pytestmark = pytest.mark.django_db

CALLBACK = factories.REDIRECT_URI


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_another_clients_request_uri_is_refused_on_a_page(signed_in, client_app, client_factory):
    """RFC 9126 7.4 (client binding): the attacker names their client with the victim's URI."""
    victim_uri = pushed_uri(signed_in, client_app)
    attacker = client_factory(redirect_uris=["https://attacker.example/cb"])
    before = kit.snapshot()
    response = authorize_pushed(signed_in, victim_uri, attacker.client_id)
    kit.assert_error_page(response, "invalid_request_uri")
    assert kit.snapshot() == before
    assert row_of(victim_uri).used_at is None  # still the victim's to use
    form = consent_form(authorize_pushed(signed_in, victim_uri, client_app.client_id))
    assert "code" in kit.redirect_query(decide(signed_in, form), CALLBACK)


def test_request_uri_without_client_id_is_refused(signed_in, client_app):
    request_uri = pushed_uri(signed_in, client_app)
    response = kit.authorize(signed_in, {"request_uri": request_uri})
    kit.assert_error_page(response, "invalid_request")


def test_replayed_request_uri_after_completion_is_refused(signed_in, client_app):
    request_uri = pushed_uri(signed_in, client_app)
    form = consent_form(authorize_pushed(signed_in, request_uri, client_app.client_id))
    assert "code" in kit.redirect_query(decide(signed_in, form), CALLBACK)
    before = kit.snapshot()
    kit.assert_error_page(
        authorize_pushed(signed_in, request_uri, client_app.client_id), "invalid_request_uri"
    )
    kit.assert_error_page(decide(signed_in, form), "invalid_request_uri")  # the form resent
    assert kit.snapshot() == before


def test_cancel_consumes_the_request_uri(signed_in, client_app):
    request_uri = pushed_uri(signed_in, client_app)
    form = consent_form(authorize_pushed(signed_in, request_uri, client_app.client_id))
    query = kit.redirect_query(decide(signed_in, form, "Cancel"), CALLBACK)
    assert query["error"] == "access_denied"
    kit.assert_error_page(decide(signed_in, form), "invalid_request_uri")
    assert not AuthorizationCode.objects.exists()


def test_an_error_answer_consumes_the_request_uri(client, client_app):
    request_uri = pushed_uri(client, client_app, prompt="none")
    response = authorize_pushed(client, request_uri, client_app.client_id)  # nobody signed in
    assert kit.redirect_query(response, CALLBACK)["error"] == "login_required"
    kit.assert_error_page(
        authorize_pushed(client, request_uri, client_app.client_id), "invalid_request_uri"
    )


def test_an_expired_request_uri_is_refused(signed_in, client_app):
    request_uri = pushed_uri(signed_in, client_app)
    past = timezone.now() - timedelta(seconds=1)
    PushedAuthorizationRequest.objects.filter(pk=row_of(request_uri).pk).update(expires_at=past)
    response = authorize_pushed(signed_in, request_uri, client_app.client_id)
    kit.assert_error_page(response, "invalid_request_uri")


def test_an_opened_request_lives_through_consent_but_not_forever(signed_in, client_app):
    request_uri = pushed_uri(signed_in, client_app)
    row = row_of(request_uri)
    response = authorize_pushed(signed_in, request_uri, client_app.client_id)
    assert response.status_code == HTTPStatus.OK
    opened = row_of(request_uri).expires_at
    assert row.expires_at < opened <= row.created_at + timedelta(seconds=60 + 600)
    authorize_pushed(signed_in, request_uri, client_app.client_id)  # a reload does not extend
    assert row_of(request_uri).expires_at == opened


def test_page_load_does_not_consume_but_completion_does(signed_in, client_app):
    request_uri = pushed_uri(signed_in, client_app)
    for _ in range(3):  # the consent page reloaded
        form = consent_form(authorize_pushed(signed_in, request_uri, client_app.client_id))
        assert row_of(request_uri).used_at is None
    assert "code" in kit.redirect_query(decide(signed_in, form), CALLBACK)
    kit.assert_error_page(
        authorize_pushed(signed_in, request_uri, client_app.client_id), "invalid_request_uri"
    )
    assert AuthorizationCode.objects.count() == 1


def test_two_consent_tabs_complete_once(signed_in, client_app):
    request_uri = pushed_uri(signed_in, client_app)
    first = consent_form(authorize_pushed(signed_in, request_uri, client_app.client_id))
    second = consent_form(authorize_pushed(signed_in, request_uri, client_app.client_id))
    assert "code" in kit.redirect_query(decide(signed_in, first), CALLBACK)
    kit.assert_error_page(decide(signed_in, second), "invalid_request_uri")
    assert AuthorizationCode.objects.count() == 1


@pytest.mark.parametrize(
    "request_uri",
    [
        "https://attacker.example/request.jwt",
        "http://127.0.0.1:8080/request",
        PREFIX,
        PREFIX + "x" * 500,
        "urn:ietf:params:oauth:request_uri",
        PREFIX + "not-a-pushed-request",
    ],
)
def test_a_request_uri_not_ours_is_refused_and_never_fetched(signed_in, client_app, request_uri):
    response = authorize_pushed(signed_in, request_uri, client_app.client_id)
    kit.assert_error_page(response, "invalid_request_uri")


def test_request_and_request_uri_together_are_refused(signed_in, client_app):
    request_uri = pushed_uri(signed_in, client_app)
    response = authorize_pushed(signed_in, request_uri, client_app.client_id, request="e30.e30.")
    kit.assert_error_page(response, "invalid_request")


@pytest.mark.parametrize("secret", [None, "not-the-secret"])
def test_a_confidential_client_must_authenticate_to_push(client, client_app, secret):
    if secret is None:  # only its client_id, as a public client would send
        data = protocol.authorize_params(client_app)
        response = protocol.post_form(client, reverse("oauthcore:par"), data)
    else:
        response = push(client, client_app, secret=secret)
    kit.assert_json_error(response, HTTPStatus.UNAUTHORIZED, "invalid_client")
    assert not PushedAuthorizationRequest.objects.exists()


def test_a_public_client_cannot_present_a_secret(client, public_client):
    data = {**protocol.authorize_params(public_client), "client_secret": "guess"}
    response = protocol.post_form(client, reverse("oauthcore:par"), data)
    kit.assert_json_error(response, HTTPStatus.UNAUTHORIZED, "invalid_client")


def test_failed_pushes_are_throttled_like_the_token_endpoint(client, client_app):
    address = {"REMOTE_ADDR": "10.9.9.9"}
    statuses = Counter(
        push(client, client_app, secret="wrong", extra=address).status_code for _ in range(40)
    )
    assert set(statuses) == {HTTPStatus.UNAUTHORIZED, HTTPStatus.TOO_MANY_REQUESTS}
    assert statuses[HTTPStatus.TOO_MANY_REQUESTS] >= 40 - 10 - 10  # past RATE_LIMIT_FAILURES
    assert push(client, client_app, extra=address).status_code == HTTPStatus.CREATED  # the owner


def test_required_server_wide(signed_in, client_app, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "REQUIRE_PUSHED_AUTHORIZATION_REQUESTS": True}
    response = kit.authorize(signed_in, protocol.authorize_params(client_app))
    query = kit.redirect_query(response, CALLBACK)
    assert query["error"] == "invalid_request" and query["state"] == "xyz-state"
    request_uri = pushed_uri(signed_in, client_app)
    form = consent_form(authorize_pushed(signed_in, request_uri, client_app.client_id))
    assert "code" in kit.redirect_query(decide(signed_in, form), CALLBACK)


def test_required_per_client(signed_in, client_app, client_factory):
    strict = client_factory(require_pushed_authorization_requests=True)
    response = kit.authorize(signed_in, protocol.authorize_params(strict))
    assert kit.redirect_query(response, CALLBACK)["error"] == "invalid_request"
    assert not AuthorizationCode.objects.exists()
    request_uri = pushed_uri(signed_in, strict)
    assert authorize_pushed(signed_in, request_uri, strict.client_id).status_code == HTTPStatus.OK
    other = kit.authorize(signed_in, protocol.authorize_params(client_app))  # others unaffected
    assert other.status_code == HTTPStatus.OK


def test_a_required_push_cannot_be_bypassed_with_an_outer_request(signed_in, client_factory):
    """The parameters sent beside a request_uri are ignored: no unpushed request gets through."""
    strict = client_factory(require_pushed_authorization_requests=True)
    params = {**protocol.authorize_params(strict), "request_uri": "https://attacker.example/r"}
    kit.assert_error_page(kit.authorize(signed_in, params), "invalid_request_uri")


def test_a_deactivated_clients_request_uri_is_refused(signed_in, client_app):
    request_uri = pushed_uri(signed_in, client_app)
    client_app.is_active = False
    client_app.save()
    response = authorize_pushed(signed_in, request_uri, client_app.client_id)
    kit.assert_error_page(response, "invalid_request_uri")


RACERS = 12


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serializes writers, so this race cannot happen there",
)
def test_concurrent_completions_consume_the_request_uri_once(client, user, client_app):
    client.force_login(user)
    request_uri = pushed_uri(client, client_app)
    form = consent_form(authorize_pushed(client, request_uri, client_app.client_id))
    barrier, responses = threading.Barrier(RACERS), [None] * RACERS

    def run(index):
        try:
            http = HttpClient()
            http.cookies = copy.deepcopy(client.cookies)
            barrier.wait()
            responses[index] = decide(http, form)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {HTTPStatus.FOUND: 1, HTTPStatus.BAD_REQUEST: RACERS - 1}
    assert AuthorizationCode.objects.count() == 1
    assert row_of(request_uri).used_at is not None
