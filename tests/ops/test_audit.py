"""The audit log: with AUDIT_LOG on, every signal becomes one AuditEvent row, never a secret."""

import json
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from oauthcore.jose import keyring
from oauthcore.models import AuditEvent, Client
from oauthcore.resource_server import access_tokens
from tests import factories
from tests.protocol import basic_auth, post_token, redeem

pytestmark = pytest.mark.django_db


@pytest.fixture
def audit_on(settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "AUDIT_LOG": True}


def events():
    return list(AuditEvent.objects.order_by("pk").values_list("event", flat=True))


def one(event):
    (row,) = AuditEvent.objects.filter(event=event)
    return row


def assert_nothing_secret(*raw_values):
    stored = json.dumps(list(AuditEvent.objects.values()), default=str)
    for raw in raw_values:
        assert raw not in stored


def test_nothing_is_recorded_when_off(client, client_app, user):
    issued = redeem(client, client_app, user).json()
    post_token(
        client, {"grant_type": "client_credentials"}, **basic_auth(client_app.client_id, "x")
    )
    data = {"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]}
    assert post_token(client, data, **basic_auth(client_app.client_id)).status_code == 200
    client_app.is_active = False
    client_app.save()
    assert not AuditEvent.objects.exists()


def test_client_credentials_stays_at_one_query_when_off(
    client, settings, client_app, django_assert_max_num_queries
):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "KEY_CACHE_TTL": timedelta(hours=1)}
    grant = {"grant_type": "client_credentials", "scope": "publish"}
    auth = basic_auth(client_app.client_id)
    keyring.signing_key()  # a running server has its key
    assert post_token(client, grant, **auth).status_code == HTTPStatus.OK  # loads the keys
    with django_assert_max_num_queries(1):
        assert post_token(client, grant, **auth).status_code == HTTPStatus.OK


def test_a_code_exchange_and_refresh_are_recorded(audit_on, client, client_app, user):
    issued = redeem(client, client_app, user, scope="read:profile").json()
    data = {"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]}
    refreshed = post_token(client, data, **basic_auth(client_app.client_id)).json()
    assert events() == ["token_issued", "token_issued", "token_refreshed"]
    first = AuditEvent.objects.filter(event="token_issued").first()
    assert first.client == client_app
    assert first.client_identifier == client_app.client_id
    assert first.user == user
    assert first.ip == "127.0.0.1"
    assert first.details["grant_type"] == "authorization_code"
    assert first.details["scopes"] == ["read:profile"]
    assert first.details["jti"] == access_tokens.decode(issued["access_token"]).jti
    assert first.details["family_id"]
    secrets = [issued["access_token"], issued["refresh_token"], refreshed["refresh_token"]]
    assert_nothing_secret(*secrets, refreshed["access_token"], factories.DEMO_SECRET)


@pytest.mark.parametrize(
    "data, secret, error, authenticated",
    [
        ({"grant_type": "client_credentials"}, "wrong-secret-123", "invalid_client", False),
        ({"grant_type": "authorization_code", "code": "guess-123"}, None, "invalid_grant", True),
        (
            {"grant_type": "refresh_token", "refresh_token": "guess-123"},
            None,
            "invalid_grant",
            True,
        ),
        ({"grant_type": "password"}, None, "unsupported_grant_type", True),
        ({"code": "guess-123"}, None, "invalid_request", True),
    ],
)
def test_refused_token_requests_are_recorded(
    audit_on, client, client_app, data, secret, error, authenticated
):
    auth = basic_auth(client_app.client_id, secret or factories.DEMO_SECRET)
    response = post_token(client, data, **auth)
    assert response.json()["error"] == error
    row = one("token_denied")
    assert row.client == (client_app if authenticated else None)
    assert row.client_identifier == client_app.client_id
    assert row.details == {
        "error": error,
        **({"grant_type": data["grant_type"]} if "grant_type" in data else {}),
    }
    assert row.ip == "127.0.0.1"
    assert_nothing_secret("wrong-secret-123", "guess-123", factories.DEMO_SECRET)


def test_an_unknown_client_and_odd_bodies_are_recorded_without_a_500(audit_on, client):
    long_id = "x" * 500
    response = post_token(client, {"grant_type": "g" * 500, "client_id": long_id})
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    row = one("token_denied")
    assert row.client is None
    assert row.client_identifier == "x" * 100
    assert row.details == {"error": "invalid_client", "grant_type": "g" * 100}
    url = reverse("oauthcore:token")
    response = client.post(url, "{}", content_type="application/json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert AuditEvent.objects.filter(event="token_denied").count() == 2


def test_client_lifecycle_events_record_the_staff_user(audit_on, admin_client, admin_user):
    add = admin_client.post(
        reverse("admin:oauthcore_client_add"),
        {
            "name": "Audited",
            "client_id": "audited",
            "client_type": "confidential",
            "grant_types": ["client_credentials"],
            "allowed_scopes": ["publish"],
            "is_active": "on",
            "metadata": "{}",
        },
    )
    assert add.status_code == HTTPStatus.OK
    app = Client.objects.get(client_id="audited")
    url = reverse("admin:oauthcore_client_rotate_secret", args=[app.pk])
    admin_client.post(url, {"keep_previous_for": "3600"})
    admin_client.post(
        reverse("admin:oauthcore_client_changelist"),
        {"action": "deactivate_and_revoke", "_selected_action": [app.pk]},
    )
    assert events() == ["client_created", "client_secret_rotated", "client_deactivated"]
    for row in AuditEvent.objects.all():
        assert (row.client, row.user, row.ip) == (app, admin_user, "127.0.0.1")
    app.refresh_from_db()
    rotated = one("client_secret_rotated").details["previous_secret_expires_at"]
    assert rotated.startswith(app.previous_secret_expires_at.isoformat()[:19])
    assert one("client_deactivated").details == {"families": 0}


def test_commands_record_events_without_an_address(audit_on, capsys):
    call_command(
        "createclient", "--name", "Cmd", "--grant-types", "client_credentials",
        "--scopes", "publish", "--json",
    )  # fmt: skip
    secret = json.loads(capsys.readouterr().out)["client_secret"]
    keyring.signing_key()
    old_kid = keyring.signing_key().kid
    call_command("rotatekeys", "--json")
    created, rotated = one("client_created"), one("signing_key_rotated")
    assert created.client.name == "Cmd"
    assert (created.ip, created.user) == (None, None)
    assert rotated.details["retired"] == [old_kid]
    assert rotated.details["kid"] == keyring.signing_key().kid
    assert rotated.client is None
    assert_nothing_secret(secret)


def test_revocations_and_consents_are_recorded(audit_on, client, client_app, user):
    issued = redeem(client, client_app, user).json()
    factories.ConsentFactory(user=user, client=client_app)
    client.force_login(user)
    response = client.post(reverse("oauthcore:connected-apps"), {"client": client_app.client_id})
    assert response.status_code == HTTPStatus.FOUND
    assert events() == ["token_issued", "token_revoked", "consent_revoked"]
    revoked = one("token_revoked")
    assert revoked.details["token_type"] == "refresh_token"
    assert (revoked.user, revoked.client) == (user, client_app)
    assert one("consent_revoked").details == {"scopes": ["read:profile"]}
    assert_nothing_secret(issued["refresh_token"], issued["access_token"])


def test_a_deleted_client_keeps_its_rows_with_its_client_id(audit_on, client_app):
    client_app.is_active = False
    client_app.save()
    client_id = client_app.client_id
    client_app.delete()
    row = one("client_deactivated")
    assert row.client is None
    assert row.client_identifier == client_id


def test_audit_admin_is_read_only(audit_on, admin_client, client_app):
    client_app.is_active = False
    client_app.save()
    row = one("client_deactivated")
    changelist = admin_client.get(reverse("admin:oauthcore_auditevent_changelist"))
    assert changelist.status_code == HTTPStatus.OK
    assert "client_deactivated" in changelist.content.decode()
    assert 'value="delete_selected"' not in changelist.content.decode()
    view = admin_client.get(reverse("admin:oauthcore_auditevent_change", args=[row.pk]))
    assert view.status_code == HTTPStatus.OK
    assert admin_client.get(reverse("admin:oauthcore_auditevent_add")).status_code == 403
    change = admin_client.post(
        reverse("admin:oauthcore_auditevent_change", args=[row.pk]), {"event": "forged"}
    )
    assert change.status_code == HTTPStatus.FORBIDDEN
    delete = admin_client.post(
        reverse("admin:oauthcore_auditevent_delete", args=[row.pk]), {"post": "yes"}
    )
    assert delete.status_code == HTTPStatus.FORBIDDEN
    row.refresh_from_db()
    assert row.event == "client_deactivated"


@pytest.mark.parametrize("batch_size", ["1000", "1"])
def test_cleartokens_deletes_audit_rows_past_retention(settings, capsys, batch_size):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "AUDIT_LOG_RETENTION": timedelta(days=30)}
    now = timezone.now()
    for age in (31, 40, 365, 29, 0):
        factories.AuditEventFactory(event="token_issued", created_at=now - timedelta(days=age))
    call_command("cleartokens", "--batch-size", batch_size)
    assert capsys.readouterr().out.strip().endswith(", 3 audit events.")
    kept = AuditEvent.objects.values_list("created_at", flat=True)
    assert sorted((now - created).days for created in kept) == [0, 29]


def test_the_default_retention_is_90_days(capsys):
    now = timezone.now()
    factories.AuditEventFactory(event="token_denied", created_at=now - timedelta(days=91))
    factories.AuditEventFactory(event="token_denied", created_at=now - timedelta(days=89))
    call_command("cleartokens")
    assert capsys.readouterr().out.strip().endswith(", 1 audit events.")
    assert AuditEvent.objects.count() == 1
