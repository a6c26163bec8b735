"""The test factories make rows the server itself accepts: raw secrets match, keys sign."""

import pytest
from django.utils import timezone

from oauthcore.jose import keyring
from oauthcore.models import AuthorizationCode, DeletedClient, RefreshToken, RevokedAccessToken
from oauthcore.resource_server import denylist

pytestmark = pytest.mark.django_db


def test_a_code_is_found_by_its_raw_value(code_factory, client_factory):
    app = client_factory(public=True)
    row, raw = code_factory.create_with_raw(client=app)
    assert AuthorizationCode.objects.by_value(raw).get() == row
    assert row.client.is_public
    assert row.used_at is None and row.expires_at > timezone.now()


def test_a_refresh_token_family_has_one_live_member(refresh_token_factory):
    family = refresh_token_factory.create_family(size=3)
    rows = [row for row, _ in family]
    assert len({row.family_id for row in rows}) == 1
    assert [row.rotated_at is None for row in rows] == [False, False, True]
    for row, raw in family:
        assert RefreshToken.objects.by_value(raw).get() == row


def test_a_revoked_access_token_is_denied(revoked_token_factory, deleted_client_factory):
    row = revoked_token_factory()
    assert denylist.is_denied(row.jti)
    assert RevokedAccessToken.objects.count() == 1
    assert deleted_client_factory().client_id in DeletedClient.objects.values_list(
        "client_id", flat=True
    )


def test_a_signing_key_signs(signing_key_factory):
    row = signing_key_factory()
    assert keyring.signing_key().kid == row.kid


def test_an_audit_event_names_its_client(audit_event_factory, client_app, consent_factory, user):
    assert audit_event_factory(client=client_app).client_identifier == client_app.client_id
    assert consent_factory(user=user, client=client_app).scopes == ["read:profile"]
