"""The authorization_code grant (RFC 6749 4.1.3, RFC 7636 4.6) and code replay (RFC 6749 4.1.2)."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from oauthcore.models import AuthorizationCode, RefreshToken
from oauthcore.resource_server import denylist
from tests import factories
from tests.factories import REDIRECT_URI, VERIFIER, make_code
from tests.protocol import basic_auth, jti_of, post_token, redeem

pytestmark = pytest.mark.django_db


def code_request(raw, **extra):
    data = {"grant_type": "authorization_code", "code": raw, "redirect_uri": REDIRECT_URI}
    return {**data, "code_verifier": VERIFIER, **extra}


def assert_error(response, status, error):
    assert response.status_code == status, response.content
    assert response.json()["error"] == error
    assert response["Cache-Control"] == "no-store"


def test_exchange_returns_tokens_and_records_the_family(client, client_app, user):
    response = redeem(client, client_app, user, scope="read:profile read:email")
    assert response.status_code == HTTPStatus.OK
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["scope"] == "read:profile read:email"
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "refresh_token"}
    code = AuthorizationCode.objects.get()
    assert code.used_at is not None
    assert code.access_token_jti == jti_of(body["access_token"])
    family = RefreshToken.objects.by_value(body["refresh_token"]).get()
    assert family.family_id == code.family_id
    assert family.access_token_jti == code.access_token_jti
    assert family.scope == "read:profile read:email"
    assert family.auth_time == code.auth_time
    assert family.expires_at == code.used_at + timedelta(days=14)
    # Only the hash is stored.
    assert body["refresh_token"] not in family.token_hash


def test_client_secret_post_and_public_client(client, client_app, public_client, user):
    raw = make_code(client_app, user)
    posted = {"client_id": client_app.client_id, "client_secret": factories.DEMO_SECRET}
    assert post_token(client, code_request(raw, **posted)).status_code == HTTPStatus.OK
    response = redeem(client, public_client, user)
    assert response.status_code == HTTPStatus.OK
    assert "refresh_token" in response.json()


def test_no_refresh_token_without_the_refresh_grant(client, user):
    app = factories.ClientFactory(grant_types=["authorization_code"])
    response = redeem(client, app, user)
    assert response.status_code == HTTPStatus.OK
    assert "refresh_token" not in response.json()
    assert not RefreshToken.objects.exists()


def test_client_without_the_code_grant_is_unauthorized(client, user):
    app = factories.ClientFactory(grant_types=["client_credentials"])
    assert_error(redeem(client, app, user), HTTPStatus.BAD_REQUEST, "unauthorized_client")
    assert AuthorizationCode.objects.get().used_at is None


def test_replay_is_refused_and_revokes_every_token_from_the_code(client, client_app, user):
    raw = make_code(client_app, user)
    first = post_token(client, code_request(raw), **basic_auth(client_app.client_id)).json()
    refreshed = post_token(
        client,
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        **basic_auth(client_app.client_id),
    ).json()
    replay = post_token(client, code_request(raw), **basic_auth(client_app.client_id))
    assert_error(replay, HTTPStatus.BAD_REQUEST, "invalid_grant")
    assert not RefreshToken.objects.filter(revoked_at__isnull=True).exists()
    assert denylist.is_denied(jti_of(first["access_token"]))
    assert denylist.is_denied(jti_of(refreshed["access_token"]))
    again = post_token(
        client,
        {"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"]},
        **basic_auth(client_app.client_id),
    )
    assert_error(again, HTTPStatus.BAD_REQUEST, "invalid_grant")


def test_replay_of_a_code_without_refresh_grant_denies_its_access_token(client, user):
    app = factories.ClientFactory(grant_types=["authorization_code"])
    raw = make_code(app, user)
    first = post_token(client, code_request(raw), **basic_auth(app.client_id)).json()
    replay = post_token(client, code_request(raw), **basic_auth(app.client_id))
    assert_error(replay, HTTPStatus.BAD_REQUEST, "invalid_grant")
    assert denylist.is_denied(jti_of(first["access_token"]))


@pytest.mark.parametrize(
    ("auth", "extra", "status", "error"),
    [
        ("wrong-secret", {}, HTTPStatus.UNAUTHORIZED, "invalid_client"),
        (
            factories.DEMO_SECRET,
            {"code_verifier": "w" * 43},
            HTTPStatus.BAD_REQUEST,
            "invalid_grant",
        ),
        (
            factories.DEMO_SECRET,
            {"redirect_uri": "https://evil.example/cb"},
            HTTPStatus.BAD_REQUEST,
            "invalid_grant",
        ),
    ],
)
def test_a_replay_by_someone_holding_only_the_code_revokes_nothing(
    client, client_app, user, auth, extra, status, error
):
    raw = make_code(client_app, user)
    first = post_token(client, code_request(raw), **basic_auth(client_app.client_id)).json()
    replay = post_token(
        client, code_request(raw, **extra), **basic_auth(client_app.client_id, auth)
    )
    assert_error(replay, status, error)
    assert not RefreshToken.objects.filter(revoked_at__isnull=False).exists()
    assert not denylist.is_denied(jti_of(first["access_token"]))


def test_a_code_of_another_client_is_refused_and_stays_usable(client, client_app, user):
    other = factories.ClientFactory()
    raw = make_code(client_app, user)
    stolen = post_token(client, code_request(raw), **basic_auth(other.client_id))
    assert_error(stolen, HTTPStatus.BAD_REQUEST, "invalid_grant")
    assert AuthorizationCode.objects.get().used_at is None
    ok = post_token(client, code_request(raw), **basic_auth(client_app.client_id))
    assert ok.status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    ("redirect_uri", "error"),
    [
        ("https://app.example.com/callback/", "invalid_grant"),
        ("https://app.example.com/callback?x=1", "invalid_grant"),
        ("https://APP.example.com/callback", "invalid_grant"),
        ("https://app.example.com/other", "invalid_grant"),
        ("", "invalid_request"),
    ],
)
def test_redirect_uri_must_equal_the_authorization_requests(
    client, client_app, user, redirect_uri, error
):
    raw = make_code(client_app, user)
    data = code_request(raw, redirect_uri=redirect_uri)
    response = post_token(client, data, **basic_auth(client_app.client_id))
    assert_error(response, HTTPStatus.BAD_REQUEST, error)
    assert AuthorizationCode.objects.get().used_at is None


@pytest.mark.parametrize(
    ("sent", "status"),
    [
        (None, HTTPStatus.OK),
        (REDIRECT_URI, HTTPStatus.OK),
        ("https://app.example.com/other", HTTPStatus.BAD_REQUEST),
    ],
)
def test_redirect_uri_may_be_omitted_when_the_authorization_request_omitted_it(
    client, client_app, user, sent, status
):
    raw = make_code(client_app, user, redirect_uri="")  # the request named none (RFC 6749 4.1.3)
    data = code_request(raw)
    del data["redirect_uri"]
    if sent is not None:
        data["redirect_uri"] = sent
    response = post_token(client, data, **basic_auth(client_app.client_id))
    assert response.status_code == status, response.content


@pytest.mark.parametrize(
    "verifier",
    [None, "", "w" * 43, "short", VERIFIER + "!", "é" * 43, "v" * 129],
    ids=["missing", "empty", "wrong", "short", "bad-char", "non-ascii", "long"],
)
def test_pkce_verifier_must_match(client, public_client, user, verifier):
    raw = make_code(public_client, user)
    data = code_request(raw, client_id=public_client.client_id)
    del data["code_verifier"]
    if verifier is not None:
        data["code_verifier"] = verifier
    assert_error(post_token(client, data), HTTPStatus.BAD_REQUEST, "invalid_grant")
    assert AuthorizationCode.objects.get().used_at is None


def test_a_verifier_for_a_code_issued_without_challenge_is_refused(client, settings, user):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "PKCE_REQUIRED": False}
    app = factories.ClientFactory()
    raw = make_code(app, user, verifier=None)
    response = post_token(client, code_request(raw), **basic_auth(app.client_id))
    assert_error(response, HTTPStatus.BAD_REQUEST, "invalid_grant")
    response = redeem(client, app, user, verifier=None)
    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("public", [True, False])
def test_a_code_without_challenge_is_refused_when_pkce_is_required(client, user, public):
    app = factories.ClientFactory(public=public)
    response = redeem(client, app, user, verifier=None)
    assert_error(response, HTTPStatus.BAD_REQUEST, "invalid_grant")


def test_an_expired_code_is_refused(client, client_app, user):
    past = timezone.now() - timedelta(seconds=1)
    response = redeem(client, client_app, user, expires_at=past)
    assert_error(response, HTTPStatus.BAD_REQUEST, "invalid_grant")
    assert AuthorizationCode.objects.get().used_at is None


def test_a_code_of_an_inactive_user_is_refused(client, client_app, user):
    user.is_active = False
    user.save()
    response = redeem(client, client_app, user)
    assert_error(response, HTTPStatus.BAD_REQUEST, "invalid_grant")


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("no-such-code", "invalid_grant"),
        ("x" * 100_000, "invalid_grant"),
        ("cödé-✓", "invalid_grant"),
        ("", "invalid_request"),
    ],
    ids=["unknown", "100kb", "non-ascii", "empty"],
)
def test_unknown_or_missing_code(client, client_app, code, error):
    response = post_token(client, code_request(code), **basic_auth(client_app.client_id))
    assert_error(response, HTTPStatus.BAD_REQUEST, error)
