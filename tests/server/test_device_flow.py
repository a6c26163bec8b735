"""The device authorization grant (RFC 8628) through HTTP: every state of a device code."""

from datetime import timedelta
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from oauthcore.models import Consent, DeviceAuthorization, RefreshToken
from oauthcore.server import device
from tests import device_kit, factories, protocol
from tests.device_kit import approve, enter, poll, started

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(db):
    return device_kit.device_client()


@pytest.fixture
def public_app(db):
    return device_kit.device_client(client_type="public", secret_hash="")


def test_the_endpoint_answers_the_rfc_members(client, app):
    body = started(client, app, scope="read:profile read:email")
    assert set(body) == {
        *("device_code", "user_code", "verification_uri", "verification_uri_complete"),
        *("expires_in", "interval"),
    }
    assert body["verification_uri"] == "http://testserver" + reverse("oauthcore:device")
    query = parse_qs(urlsplit(body["verification_uri_complete"]).query)
    assert query == {"user_code": [body["user_code"]]}
    assert body["expires_in"] == 600 and body["interval"] == 5
    code = body["user_code"]
    assert len(code) == 9 and code[4] == "-"
    assert set(code.replace("-", "")) <= set(device.USER_CODE_ALPHABET)
    row = DeviceAuthorization.objects.get()
    assert row.device_code_hash != body["device_code"]  # stored hashed
    assert body["device_code"] not in row.device_code_hash
    assert row.user_code == code.replace("-", "") and row.scope == "read:profile read:email"


def test_a_public_client_sends_its_client_id(client, public_app):
    assert started(client, public_app, scope="read:profile")["device_code"]


def test_a_client_without_the_grant_is_refused(client, client_app):
    response = device_kit.start(client, client_app, scope="read:profile")
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_a_wrong_secret_is_invalid_client(client, app):
    response = device_kit.start(client, app, secret="wrong", scope="read:profile")
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"scope": "admin:everything"}, "invalid_scope"),
        ({"scope": "read:profile", "resource": "https://unknown.example/"}, "invalid_target"),
    ],
)
def test_scope_and_resource_are_checked(client, app, data, error):
    response = device_kit.start(client, app, **data)
    assert response.status_code == 400 and response.json()["error"] == error
    assert not DeviceAuthorization.objects.exists()


def test_get_is_refused_as_json(client):
    response = client.get(reverse("oauthcore:device-authorization"))
    assert response.status_code == 405 and response.json()["error"] == "invalid_request"


def test_metadata_names_the_endpoint_and_the_grant(client):
    document = client.get(reverse("oauthcore:oauth-authorization-server")).json()
    assert document["device_authorization_endpoint"].endswith("/oauth/device_authorization/")
    assert device_kit.DEVICE_CODE in document["grant_types_supported"]


def test_pending_then_approved_then_tokens_of_the_approver_once(client, app, user):
    body = started(client, app, scope="read:profile openid")
    response = poll(client, app, body["device_code"])
    assert response.status_code == 400 and response.json()["error"] == "authorization_pending"
    done = approve(factories_client(), user, body["user_code"])
    assert "Device connected" in done.content.decode()
    device_kit.age({"client": app}, 10)
    response = poll(client, app, body["device_code"])
    assert response.status_code == 200, response.content
    tokens = response.json()
    claims = protocol.claims_of(tokens["access_token"])
    assert claims["sub"] == str(user.pk) and claims["client_id"] == app.client_id
    assert tokens["scope"] == "read:profile openid" and "id_token" in tokens
    assert RefreshToken.objects.filter(user=user, client=app).count() == 1
    assert Consent.objects.get(user=user, client=app).scopes == ["read:profile", "openid"]
    again = poll(client, app, body["device_code"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_the_refresh_token_works(client, app, user):
    body = started(client, app, scope="read:profile")
    approve(factories_client(), user, body["user_code"])
    tokens = poll(client, app, body["device_code"]).json()
    refreshed = protocol.refresh(client, app, tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.content


def test_no_refresh_token_without_the_grant(client, user):
    app = factories.ClientFactory(grant_types=[device_kit.DEVICE_CODE])
    body = started(client, app, scope="read:profile")
    approve(factories_client(), user, body["user_code"])
    tokens = poll(client, app, body["device_code"]).json()
    assert "refresh_token" not in tokens and tokens["access_token"]


def test_unticked_scopes_are_not_granted(client, app, user):
    body = started(client, app, scope="read:profile read:email")
    browser = factories_client()
    browser.force_login(user)
    page = enter(browser, body["user_code"])
    device_kit.decide(browser, page, scopes=["read:email"])
    assert poll(client, app, body["device_code"]).json()["scope"] == "read:email"


def test_cancel_is_access_denied(client, app, user):
    body = started(client, app, scope="read:profile")
    done = approve(factories_client(), user, body["user_code"], decision="cancel")
    assert "Device not connected" in done.content.decode()
    response = poll(client, app, body["device_code"])
    assert response.status_code == 400 and response.json()["error"] == "access_denied"


def test_polling_too_fast_is_slow_down_and_the_interval_grows(client, app):
    body = started(client, app, scope="read:profile")
    assert poll(client, app, body["device_code"]).json()["error"] == "authorization_pending"
    response = poll(client, app, body["device_code"])
    assert response.status_code == 400 and response.json()["error"] == "slow_down"
    assert DeviceAuthorization.objects.get().interval == 10
    assert poll(client, app, body["device_code"]).json()["error"] == "slow_down"
    assert DeviceAuthorization.objects.get().interval == 15
    device_kit.age({"client": app}, 14)  # sooner than the grown interval: still too fast
    assert poll(client, app, body["device_code"]).json()["error"] == "slow_down"
    device_kit.age({"client": app}, 25)
    assert poll(client, app, body["device_code"]).json()["error"] == "authorization_pending"


def test_an_expired_device_code_is_expired_token(client, app, settings, user):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "DEVICE_CODE_LIFETIME": timedelta(seconds=-1)}
    body = started(client, app, scope="read:profile")
    response = poll(client, app, body["device_code"])
    assert response.status_code == 400 and response.json()["error"] == "expired_token"
    browser = factories_client()
    browser.force_login(user)
    assert enter(browser, body["user_code"]).status_code == 400  # nor can it be approved


def test_a_bogus_or_missing_device_code(client, app):
    assert poll(client, app, "not-a-device-code").json()["error"] == "invalid_grant"
    response = protocol.post_token(
        client, {"grant_type": device_kit.DEVICE_CODE}, **protocol.basic_auth(app.client_id)
    )
    assert response.json()["error"] == "invalid_request"


def test_the_page_sends_anonymous_users_to_login_and_back(client, app):
    body = started(client, app, scope="read:profile")
    response = factories_client().get(body["verification_uri_complete"])
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert parse_qs(location.query)["next"] == [
        reverse("oauthcore:device") + "?user_code=" + body["user_code"]
    ]


def test_the_entry_form_has_the_user_code_field(client, user):
    client.force_login(user)
    response = client.get(reverse("oauthcore:device"))
    assert response.status_code == 200 and 'name="user_code"' in response.content.decode()
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("typed", ["{}", "{} ", "{lower}", "{nodash}", "{spaced}"])
def test_the_code_is_typed_case_and_separator_insensitively(client, app, user, typed):
    code = started(client, app, scope="read:profile")["user_code"]
    forms = {
        "lower": code.lower(),
        "nodash": code.replace("-", ""),
        "spaced": code[:4] + " " + code[5:],
    }
    browser = factories_client()
    browser.force_login(user)
    page = enter(browser, typed.format(code, **forms))
    assert page.status_code == 200 and app.name in page.content.decode()


def test_the_complete_uri_shows_the_request_but_still_needs_allow(client, app, user):
    body = started(client, app, scope="read:profile")
    browser = factories_client()
    browser.force_login(user)
    page = browser.get(body["verification_uri_complete"])
    html = page.content.decode()
    assert page.status_code == 200 and app.name in html and body["user_code"] in html
    assert 'value="allow"' in html and 'value="cancel"' in html
    assert DeviceAuthorization.objects.get().status == "pending"  # nothing decided by a GET
    assert poll(client, app, body["device_code"]).json()["error"] == "authorization_pending"


def test_a_wrong_code_shows_the_page_again_with_an_error(client, user):
    client.force_login(user)
    response = enter(client, "BBBB-BBBB")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'name="user_code"' in html and "oauthcore-error" in html


def test_a_self_registered_client_is_marked(client, user):
    app = device_kit.device_client(origin="dynamic")
    body = started(client, app, scope="read:profile")
    browser = factories_client()
    browser.force_login(user)
    assert "oauthcore-unverified" in enter(browser, body["user_code"]).content.decode()


def test_cleartokens_deletes_expired_device_authorizations(client, app):
    started(client, app, scope="read:profile")
    live = DeviceAuthorization.objects.get()
    DeviceAuthorization.objects.filter(pk=live.pk).update(expires_at=timezone.now())
    started(client, app, scope="read:profile")
    call_command("cleartokens", stdout=StringIO())
    assert list(DeviceAuthorization.objects.values_list("pk", flat=True)) != [live.pk]
    assert DeviceAuthorization.objects.count() == 1


def factories_client():
    """A second browser (its own cookies): the user's, not the device's."""
    from django.test import Client as HttpClient

    return HttpClient()


def test_dpop_binds_the_tokens_when_the_device_sends_proofs(client, app, user):
    from tests.dpop_kit import DPoPKey

    key = DPoPKey()
    body = started(client, app, scope="read:profile")
    assert poll(client, app, body["device_code"], **key.header()).json()["error"] == (
        "authorization_pending"
    )
    approve(factories_client(), user, body["user_code"])
    response = poll(client, app, body["device_code"], **key.header())
    assert response.status_code == 200, response.content
    tokens = response.json()
    assert tokens["token_type"] == "DPoP"
    assert protocol.claims_of(tokens["access_token"])["cnf"] == {"jkt": key.jkt}


def test_a_dpop_bound_client_must_send_a_proof(client, user):
    app = device_kit.device_client(dpop_bound_access_tokens=True)
    body = started(client, app, scope="read:profile")
    approve(factories_client(), user, body["user_code"])
    response = poll(client, app, body["device_code"])
    assert response.status_code == 400 and response.json()["error"] == "invalid_dpop_proof"
    assert DeviceAuthorization.objects.get().redeemed_at is None
