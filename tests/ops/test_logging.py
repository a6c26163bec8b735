"""Structured logs: each event names itself and its identifiers, never a token, code or secret."""

import io
import json
import logging
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.urls import reverse

from oauthcore.models import RefreshToken
from oauthcore.ops.logging import JSONFormatter
from oauthcore.resource_server import access_tokens
from tests import browser, protocol
from tests.factories import DEMO_SECRET
from tests.protocol import basic_auth, post_token, redeem, refresh, revoke

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def logs(caplog):
    """Return a function giving the oauthcore records of one event, as the JSON formatter writes them."""
    caplog.set_level(logging.INFO, logger="oauthcore")
    formatter = JSONFormatter()

    def of(event):
        records = [r for r in caplog.records if r.name == "oauthcore"]
        return [json.loads(formatter.format(r)) for r in records if r.event == event]

    of.text = lambda: "\n".join(JSONFormatter().format(r) for r in caplog.records)
    return of


def test_code_refresh_reuse_and_revocation_are_logged(client, client_app, user, logs):
    first = redeem(client, client_app, user, scope="read:profile read:email").json()
    second = refresh(client, client_app, first["refresh_token"]).json()
    assert refresh(client, client_app, first["refresh_token"]).status_code == HTTPStatus.BAD_REQUEST
    family_id = str(RefreshToken.objects.first().family_id)

    issued = logs("token_issued")
    assert [r["grant_type"] for r in issued] == ["authorization_code", "refresh_token"]
    assert (
        issued[0]
        | {
            "client_id": client_app.client_id,
            "user_id": str(user.pk),
            "jti": access_tokens.decode(first["access_token"]).jti,
            "family_id": family_id,
            "scope": "read:profile read:email",
            "ip": "127.0.0.1",
            "level": "INFO",
            "logger": "oauthcore",
        }
        == issued[0]
    )
    (rotated,) = logs("token_refreshed")
    assert rotated["jti"] == access_tokens.decode(second["access_token"]).jti
    assert rotated["family_id"] == family_id
    (reused,) = logs("refresh_token_reused")
    assert reused["level"] == "WARNING"
    assert reused | {"client_id": client_app.client_id, "family_id": family_id} == reused

    assert revoke(client, client_app, second["refresh_token"]).status_code == HTTPStatus.OK
    assert revoke(client, client_app, second["access_token"]).status_code == HTTPStatus.OK
    # The family is dead already: revoking its refresh token again still reports the family.
    kinds = {r["token_type"]: r for r in logs("token_revoked")}
    assert kinds["refresh_token"]["family_id"] == family_id
    assert kinds["access_token"]["jti"] == access_tokens.decode(second["access_token"]).jti

    text = logs.text()
    for secret in (
        first["access_token"],
        first["refresh_token"],
        second["refresh_token"],
        DEMO_SECRET,
    ):
        assert secret not in text
    assert second["access_token"] not in text


def test_client_credentials_is_logged_without_user(client, client_app, logs):
    data = {"grant_type": "client_credentials", "scope": "publish"}
    body = post_token(client, data, **basic_auth(client_app.client_id)).json()
    (record,) = logs("token_issued")
    assert record["grant_type"] == "client_credentials"
    assert record["client_id"] == client_app.client_id
    assert "user_id" not in record and "family_id" not in record
    assert body["access_token"] not in logs.text()


def test_consent_granted_and_revoked_are_logged(client, client_app, user, logs):
    client.force_login(user)
    url = reverse("oauthcore:authorize") + "?" + urlencode(protocol.authorize_params(client_app))
    page = client.get(url)
    consent = browser.form_with_button(page.content.decode(), "Allow")
    body = urlencode(consent.data("Allow"))
    response = client.post(consent.action or url, body, content_type=FORM)
    assert response.status_code == HTTPStatus.FOUND
    (granted,) = logs("consent_granted")
    assert granted["scope"] == "read:profile read:email"
    assert granted["user_id"] == str(user.pk)

    apps = reverse("oauthcore:connected-apps")
    assert client.post(apps, {"client": client_app.client_id}).status_code == HTTPStatus.FOUND
    (revoked,) = logs("consent_revoked")
    assert revoked["client_id"] == client_app.client_id
    code = response["Location"].split("code=")[1].split("&")[0]
    assert code not in logs.text()


@pytest.mark.parametrize("stage", [False, True])
def test_key_rotation_is_logged(logs, stage):
    call_command("rotatekeys", *(["--stage"] if stage else []), stdout=io.StringIO())
    event = "signing_key_staged" if stage else "signing_key_activated"
    (record,) = logs(event)
    assert record["kid"] and record["algorithm"] == "RS256"
    assert "PRIVATE KEY" not in logs.text()


def test_formatter_writes_one_json_object_per_record():
    record = logging.LogRecord("oauthcore", logging.INFO, __file__, 1, "Hello %s.", ("you",), None)
    record.event, record.client_id = "token_issued", "app-1"
    data = json.loads(JSONFormatter().format(record))
    assert data["message"] == "Hello you."
    assert data["event"] == "token_issued" and data["client_id"] == "app-1"
    assert data["level"] == "INFO" and data["logger"] == "oauthcore"
    assert data["time"].endswith("+00:00")
    assert "args" not in data and "msg" not in data


def test_a_refused_token_request_is_logged_without_the_secret(client, client_app, logs):
    wrong = "not-the-secret-0123456789"
    data = {"grant_type": "client_credentials", "scope": "publish"}
    response = post_token(client, data, **basic_auth(client_app.client_id, wrong))
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    (record,) = logs("token_denied")
    assert record["error"] == "invalid_client"
    assert record["grant_type"] == "client_credentials"
    assert record["client_id"] == client_app.client_id  # as claimed: authentication failed
    assert record["ip"] == "127.0.0.1"
    assert wrong not in logs.text()
