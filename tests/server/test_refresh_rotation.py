"""Refresh-token rotation per client (``Client.rotate_refresh_tokens``), without any profile:
a client that does not rotate keeps its refresh token (FAPI 2.0 5.3.2.1 9); one that rotates
keeps RFC 9700 4.14.2's reuse detection."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from oauthcore.models import RefreshToken, RevokedAccessToken
from tests import protocol

pytestmark = pytest.mark.django_db


@pytest.fixture
def steady_app(client_factory):
    return client_factory(rotate_refresh_tokens=False)


def test_a_client_that_does_not_rotate_keeps_its_refresh_token(client, steady_app, user):
    first = protocol.tokens_for(client, steady_app, user)
    raw = first["refresh_token"]
    jtis = {protocol.jti_of(first["access_token"])}
    for _ in range(3):
        response = protocol.refresh(client, steady_app, raw)
        assert response.status_code == HTTPStatus.OK, response.content
        body = response.json()
        assert "refresh_token" not in body  # RFC 6749 5.1: optional; the one sent stays valid
        jtis.add(protocol.jti_of(body["access_token"]))
    assert len(jtis) == 4
    assert RefreshToken.objects.live().count() == 1


def test_revoking_the_kept_token_denies_every_access_token_it_yielded(client, steady_app, user):
    first = protocol.tokens_for(client, steady_app, user)
    raw = first["refresh_token"]
    later = [protocol.refresh(client, steady_app, raw).json()["access_token"] for _ in range(2)]
    assert protocol.revoke(client, steady_app, raw).status_code == HTTPStatus.OK
    denied = set(RevokedAccessToken.objects.values_list("jti", flat=True))
    issued = {protocol.jti_of(token) for token in [first["access_token"], *later]}
    assert issued <= denied
    response = protocol.refresh(client, steady_app, raw)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_grant"


def test_another_clients_refresh_token_is_refused(client, steady_app, client_factory, user):
    raw = protocol.tokens_for(client, steady_app, user)["refresh_token"]
    other = client_factory(rotate_refresh_tokens=False)
    response = protocol.refresh(client, other, raw)
    assert response.json()["error"] == "invalid_grant"
    assert protocol.refresh(client, steady_app, raw).status_code == HTTPStatus.OK


def test_a_rotating_client_still_detects_reuse(client, client_factory, user):
    app = client_factory()  # rotate_refresh_tokens defaults to True
    raw = protocol.tokens_for(client, app, user)["refresh_token"]
    rotated = protocol.refresh(client, app, raw).json()
    assert rotated["refresh_token"] != raw
    reused = protocol.refresh(client, app, raw)
    assert reused.json()["error"] == "invalid_grant"
    # the reuse revoked the family: the successor is dead too (RFC 9700 4.14.2)
    assert protocol.refresh(client, app, rotated["refresh_token"]).json()["error"] == (
        "invalid_grant"
    )


def test_turning_rotation_off_keeps_the_latest_token(client, client_factory, user):
    app = client_factory()
    raw = protocol.tokens_for(client, app, user)["refresh_token"]
    latest = protocol.refresh(client, app, raw).json()["refresh_token"]
    app.rotate_refresh_tokens = False
    app.save()
    for _ in range(2):
        body = protocol.refresh(client, app, latest).json()
        assert "access_token" in body and "refresh_token" not in body
    assert protocol.refresh(client, app, raw).json()["error"] == "invalid_grant"  # reuse
    assert protocol.refresh(client, app, latest).json()["error"] == "invalid_grant"


def test_the_idle_timeout_counts_from_the_last_use_of_a_kept_token(
    client, steady_app, user, settings
):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "REFRESH_TOKEN_IDLE_TIMEOUT": timedelta(hours=1)}
    raw = protocol.tokens_for(client, steady_app, user)["refresh_token"]
    kept = RefreshToken.objects.live().get()
    RefreshToken.objects.filter(pk=kept.pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert protocol.refresh(client, steady_app, raw).json()["error"] == "invalid_grant"
    RefreshToken.objects.filter(pk=kept.pk).update(
        created_at=timezone.now() - timedelta(minutes=50)
    )
    assert protocol.refresh(client, steady_app, raw).status_code == HTTPStatus.OK  # used now
    RefreshToken.objects.filter(pk=kept.pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert protocol.refresh(client, steady_app, raw).status_code == HTTPStatus.OK  # idle < 1 h
