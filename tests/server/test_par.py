"""Pushed authorization requests (RFC 9126): push, then authorize with the request_uri, then token."""

from datetime import timedelta
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from oauthcore.models import PushedAuthorizationRequest
from tests import factories, protocol
from tests.par_kit import PREFIX, authorize_pushed, consent_form, decide, push, pushed_uri, row_of
from tests.security import kit
from tests.server.test_authorize_prompt import login_next, sign_in

pytestmark = pytest.mark.django_db

CALLBACK = factories.REDIRECT_URI


def callback_query(response) -> dict[str, str]:
    return kit.redirect_query(response, CALLBACK)


def test_push_answers_201_with_a_one_time_request_uri(client, client_app):
    response = push(client, client_app)
    assert response.status_code == HTTPStatus.CREATED
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"request_uri", "expires_in"}
    assert body["request_uri"].startswith(PREFIX)
    assert body["expires_in"] == 60 and 0 < body["expires_in"] < 600
    row = row_of(body["request_uri"])
    assert row.client == client_app and row.used_at is None
    assert body["request_uri"].removeprefix(PREFIX) not in row.reference_hash  # only its hash
    assert row.parameters["scope"] == ["read:profile read:email"]
    assert row.parameters["client_id"] == [client_app.client_id]


@pytest.mark.parametrize("seconds, expected", [(30, 30), (600, 599), (3600, 599)])
def test_expires_in_stays_under_ten_minutes(client, client_app, settings, seconds, expected):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "PAR_LIFETIME": timedelta(seconds=seconds)}
    assert push(client, client_app).json()["expires_in"] == expected


def test_confidential_client_with_basic_end_to_end(client, client_app, user):
    request_uri = pushed_uri(client, client_app, state="pushed-state")
    client.force_login(user)
    form = consent_form(authorize_pushed(client, request_uri, client_app.client_id))
    query = callback_query(decide(client, form))
    assert query["state"] == "pushed-state" and query["iss"] == kit.ISSUER
    response = protocol.token(client, client_app, query["code"])
    assert response.status_code == HTTPStatus.OK, response.content
    assert set(protocol.claims_of(response.json()["access_token"])["scope"].split()) == {
        "read:profile",
        "read:email",
    }
    assert row_of(request_uri).used_at is not None


def test_client_secret_post_may_push(client, client_app):
    data = {**protocol.authorize_params(client_app), "client_secret": factories.DEMO_SECRET}
    response = protocol.post_form(client, reverse("oauthcore:par"), data)
    assert response.status_code == HTTPStatus.CREATED, response.content
    assert "client_secret" not in row_of(response.json()["request_uri"]).parameters


def test_public_client_with_pkce_end_to_end(client, public_client, user):
    request_uri = pushed_uri(client, public_client)
    client.force_login(user)
    form = consent_form(authorize_pushed(client, request_uri, public_client.client_id))
    code = callback_query(decide(client, form))["code"]
    response = protocol.token(client, public_client, code)
    assert response.status_code == HTTPStatus.OK, response.content
    bad = protocol.token(client, public_client, code, code_verifier="w" * 43)
    assert bad.status_code == HTTPStatus.BAD_REQUEST  # PKCE still binds the pushed request


def test_sign_in_keeps_the_request_uri(client, client_app, user):
    request_uri = pushed_uri(client, client_app)
    response = authorize_pushed(client, request_uri, client_app.client_id)
    assert response.status_code == HTTPStatus.FOUND
    next_url = parse_qs(urlsplit(response["Location"]).query)["next"][0]
    assert row_of(request_uri).used_at is None
    client.force_login(user)
    form = consent_form(client.get(next_url))
    assert "code" in callback_query(decide(client, form))


def test_pushed_prompt_login_signs_in_again_without_looping(client, client_app, user):
    request_uri = pushed_uri(client, client_app, prompt="login")
    client.force_login(user)
    next_url = login_next(authorize_pushed(client, request_uri, client_app.client_id))
    assert "request_uri" in parse_qs(urlsplit(next_url).query)
    form = consent_form(client.get(sign_in(client, next_url)))
    assert "code" in callback_query(decide(client, form))


def test_skipped_consent_consumes_at_once(client, client_app, user):
    client_app.skip_consent = True
    client_app.save()
    request_uri = pushed_uri(client, client_app)
    client.force_login(user)
    assert "code" in callback_query(authorize_pushed(client, request_uri, client_app.client_id))
    assert row_of(request_uri).used_at is not None


def test_pushed_parameters_win_over_those_sent(client, client_app, user):
    """RFC 9126 4 / RFC 9101 6.3: only the pushed parameters count; client_id must match."""
    request_uri = pushed_uri(client, client_app, scope="read:profile", state="pushed")
    client.force_login(user)
    outer = {
        "scope": "read:profile publish",
        "state": "outer",
        "redirect_uri": "https://attacker.example/cb",
        "code_challenge": "A" * 43,
    }
    response = authorize_pushed(client, request_uri, client_app.client_id, **outer)
    page = response.content.decode()
    assert "publish" not in page
    query = callback_query(decide(client, consent_form(response)))
    assert query["state"] == "pushed"
    code_response = protocol.token(client, client_app, query["code"])  # the pushed challenge
    assert code_response.status_code == HTTPStatus.OK, code_response.content
    assert protocol.claims_of(code_response.json()["access_token"])["scope"] == "read:profile"


def test_the_pushed_redirect_uri_is_used(client, client_factory, user):
    app = client_factory(redirect_uris=[CALLBACK, "https://app.example.com/other"])
    request_uri = pushed_uri(client, app, redirect_uri="https://app.example.com/other")
    client.force_login(user)
    response = decide(client, consent_form(authorize_pushed(client, request_uri, app.client_id)))
    assert "code" in kit.redirect_query(response, "https://app.example.com/other")


@pytest.mark.parametrize(
    "overrides, error",
    [
        ({"scope": "read:profile no-such-scope"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "invalid_request"),
        ({"redirect_uri": "https://app.example.com/callback/other"}, "invalid_request"),
        ({"redirect_uri": "https://attacker.example/callback"}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"resource": "https://unknown.example/api"}, "invalid_target"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"request_uri": PREFIX + "abc"}, "invalid_request"),
        ({"client_id": "someone-else"}, "invalid_request"),
    ],
)
def test_parameters_are_validated_at_push_with_json_errors(client, client_app, overrides, error):
    before = PushedAuthorizationRequest.objects.count()
    response = push(client, client_app, **overrides)
    kit.assert_json_error(response, HTTPStatus.BAD_REQUEST, error)
    assert "Location" not in response
    assert PushedAuthorizationRequest.objects.count() == before


def test_public_client_must_send_a_code_challenge(client, public_client):
    response = push(client, public_client, code_challenge=None, code_challenge_method=None)
    kit.assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_request")


def test_client_without_the_code_grant_is_unauthorized(client, client_factory):
    app = client_factory(grant_types=["client_credentials"])
    kit.assert_json_error(push(client, app), HTTPStatus.BAD_REQUEST, "unauthorized_client")


def test_repeated_parameters_are_refused(client, client_app):
    data = [*protocol.authorize_params(client_app).items(), ("scope", "publish")]
    response = protocol.post_form(
        client, reverse("oauthcore:par"), data, **protocol.basic_auth(client_app.client_id)
    )
    kit.assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_request")


def test_only_post_with_a_form(client, client_app):
    response = client.get(reverse("oauthcore:par"), protocol.authorize_params(client_app))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    response = client.post(
        reverse("oauthcore:par"),
        {"client_id": client_app.client_id},
        content_type="application/json",
        **protocol.basic_auth(client_app.client_id),
    )
    kit.assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_request")


def test_metadata_advertises_the_endpoint(client, settings):
    document = client.get("/.well-known/oauth-authorization-server").json()
    assert document["pushed_authorization_request_endpoint"] == "http://testserver/oauth/par/"
    assert document["require_pushed_authorization_requests"] is False
    settings.OAUTHCORE = {**settings.OAUTHCORE, "REQUIRE_PUSHED_AUTHORIZATION_REQUESTS": True}
    document = client.get("/.well-known/openid-configuration").json()
    assert document["require_pushed_authorization_requests"] is True


def test_cleartokens_deletes_expired_pushed_requests(client, client_app):
    kept = pushed_uri(client, client_app)
    gone = pushed_uri(client, client_app)
    past = timezone.now() - timedelta(seconds=1)
    PushedAuthorizationRequest.objects.filter(pk=row_of(gone).pk).update(expires_at=past)
    call_command("cleartokens")
    assert list(PushedAuthorizationRequest.objects.all()) == [row_of(kept)]
