"""The refresh_token grant (RFC 6749 6) with rotation and reuse detection (RFC 9700 4.14.2)."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from oauthcore.models import RefreshToken
from oauthcore.resource_server import denylist
from tests import factories
from tests.protocol import claims_of, jti_of, refresh, tokens_for

pytestmark = pytest.mark.django_db

SCOPE = "read:profile read:email"


def assert_invalid_grant(response):
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response.json()["error"] == "invalid_grant"
    assert response["Cache-Control"] == "no-store"


def assert_family_revoked(*access_tokens):
    assert not RefreshToken.objects.filter(revoked_at__isnull=True).exists()
    for access_token in access_tokens:
        assert denylist.is_denied(jti_of(access_token))


@pytest.mark.parametrize("public", [False, True])
def test_every_use_rotates_within_the_family(client, user, public):
    app = factories.ClientFactory(public=public)
    first = tokens_for(client, app, user, SCOPE)
    response = refresh(client, app, first["refresh_token"])
    assert response.status_code == HTTPStatus.OK
    assert response["Cache-Control"] == "no-store"
    second = response.json()
    assert second["token_type"] == "Bearer"
    assert second["scope"] == SCOPE
    assert second["expires_in"] == 900
    assert second["refresh_token"] != first["refresh_token"]
    old = RefreshToken.objects.by_value(first["refresh_token"]).get()
    new = RefreshToken.objects.by_value(second["refresh_token"]).get()
    assert old.rotated_at is not None
    assert old.revoked_at is None
    assert new.family_id == old.family_id
    assert new.expires_at == old.expires_at
    assert new.auth_time == old.auth_time
    assert new.access_token_jti == jti_of(second["access_token"])
    assert new.access_token_expires_at > timezone.now()
    assert refresh(client, app, second["refresh_token"]).status_code == HTTPStatus.OK


def test_reuse_of_a_rotated_token_revokes_the_whole_family(client, client_app, user):
    first = tokens_for(client, client_app, user, SCOPE)
    second = refresh(client, client_app, first["refresh_token"]).json()
    third = refresh(client, client_app, second["refresh_token"]).json()
    assert_invalid_grant(refresh(client, client_app, first["refresh_token"]))
    assert_family_revoked(first["access_token"], second["access_token"], third["access_token"])
    assert_invalid_grant(refresh(client, client_app, third["refresh_token"]))


def test_reuse_revokes_only_its_own_family(client, client_app, user):
    victim = tokens_for(client, client_app, user, SCOPE)
    other = tokens_for(client, client_app, user, SCOPE)
    refresh(client, client_app, victim["refresh_token"])
    assert_invalid_grant(refresh(client, client_app, victim["refresh_token"]))
    assert refresh(client, client_app, other["refresh_token"]).status_code == HTTPStatus.OK
    assert not denylist.is_denied(jti_of(other["access_token"]))


def test_another_client_presenting_the_token_revokes_nothing(client, client_app, user):
    issued = tokens_for(client, client_app, user, SCOPE)
    thief = factories.ClientFactory()
    assert_invalid_grant(refresh(client, thief, issued["refresh_token"]))
    assert not RefreshToken.objects.filter(revoked_at__isnull=False).exists()
    assert not denylist.is_denied(jti_of(issued["access_token"]))
    assert refresh(client, client_app, issued["refresh_token"]).status_code == HTTPStatus.OK


def test_bad_client_authentication_touches_nothing(client, client_app, user):
    issued = tokens_for(client, client_app, user, SCOPE)
    response = refresh(client, client_app, issued["refresh_token"], secret="wrong")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert RefreshToken.objects.get().rotated_at is None


def test_scope_can_narrow_but_the_grant_keeps_its_scope(client, client_app, user):
    issued = tokens_for(client, client_app, user, SCOPE)
    narrowed = refresh(client, client_app, issued["refresh_token"], scope="read:email").json()
    assert narrowed["scope"] == "read:email"
    assert claims_of(narrowed["access_token"])["scope"] == "read:email"
    # RFC 6749 6: the new refresh token has the scope of the one presented.
    full = refresh(client, client_app, narrowed["refresh_token"]).json()
    assert full["scope"] == SCOPE


@pytest.mark.parametrize("scope", ["read:profile publish", "read:contacts", "not-a-scope", "a\tb"])
def test_scope_cannot_widen(client, client_app, user, scope):
    issued = tokens_for(client, client_app, user, SCOPE)
    response = refresh(client, client_app, issued["refresh_token"], scope=scope)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_scope"
    assert RefreshToken.objects.get().rotated_at is None


def test_a_scope_taken_from_the_client_disappears_on_refresh(client, client_app, user):
    issued = tokens_for(client, client_app, user, SCOPE)
    client_app.allowed_scopes = ["read:profile"]
    client_app.save()
    assert refresh(client, client_app, issued["refresh_token"]).json()["scope"] == "read:profile"


def test_a_revoked_token_is_refused(client, client_app, user):
    issued = tokens_for(client, client_app, user, SCOPE)
    RefreshToken.objects.update(revoked_at=timezone.now())
    assert_invalid_grant(refresh(client, client_app, issued["refresh_token"]))


def test_the_family_ends_at_its_absolute_lifetime(client, client_app, user):
    issued = tokens_for(client, client_app, user, SCOPE)
    RefreshToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_invalid_grant(refresh(client, client_app, issued["refresh_token"]))
    assert RefreshToken.objects.get().rotated_at is None


def test_a_client_may_have_its_own_refresh_lifetime(client, user):
    app = factories.ClientFactory(refresh_token_lifetime=timedelta(hours=1))
    issued = tokens_for(client, app, user, SCOPE)
    row = RefreshToken.objects.by_value(issued["refresh_token"]).get()
    assert row.expires_at - row.created_at == timedelta(hours=1)


def test_the_default_refresh_lifetime_is_a_setting(client, settings, client_app, user):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "REFRESH_TOKEN_LIFETIME": timedelta(days=2)}
    issued = tokens_for(client, client_app, user, SCOPE)
    row = RefreshToken.objects.by_value(issued["refresh_token"]).get()
    assert row.expires_at - row.created_at == timedelta(days=2)


@pytest.mark.parametrize(
    ("idle_for", "status"), [(59, HTTPStatus.OK), (61, HTTPStatus.BAD_REQUEST)]
)
def test_idle_timeout_counts_from_the_current_token(
    client, settings, client_app, user, idle_for, status
):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "REFRESH_TOKEN_IDLE_TIMEOUT": timedelta(minutes=1)}
    issued = tokens_for(client, client_app, user, SCOPE)
    RefreshToken.objects.update(created_at=timezone.now() - timedelta(seconds=idle_for))
    assert refresh(client, client_app, issued["refresh_token"]).status_code == status


def test_a_token_of_an_inactive_user_is_refused(client, client_app, user):
    issued = tokens_for(client, client_app, user, SCOPE)
    user.is_active = False
    user.save()
    assert_invalid_grant(refresh(client, client_app, issued["refresh_token"]))


@pytest.mark.parametrize(
    ("value", "error"),
    [("", "invalid_request"), ("unknown", "invalid_grant"), ("r" * 100_000, "invalid_grant")],
)
def test_missing_or_unknown_refresh_token(client, client_app, value, error):
    response = refresh(client, client_app, value)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == error


def test_client_without_the_refresh_grant_is_unauthorized(client, user):
    app = factories.ClientFactory()
    issued = tokens_for(client, app, user, SCOPE)
    app.grant_types = ["authorization_code"]
    app.save()
    response = refresh(client, app, issued["refresh_token"])
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "unauthorized_client"
