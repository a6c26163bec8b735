"""The signals of oauthcore.signals fire once, with documented arguments and no raw token."""

from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from oauthcore import signals
from oauthcore.models import Client, Consent, RefreshToken
from oauthcore.resource_server import access_tokens
from tests import browser, factories, protocol
from tests.protocol import basic_auth, post_token, redeem, refresh, revoke

pytestmark = pytest.mark.django_db


def verified_jti(access_token: str) -> str:
    """The jti of a token the server's own validation accepts (signature, claims)."""
    return access_tokens.decode(access_token).jti


NAMES = [
    "token_issued",
    "token_refreshed",
    "refresh_token_reused",
    "token_revoked",
    "consent_granted",
    "consent_revoked",
]


@pytest.fixture
def sent():
    """Record every signal sent during the test: a list of (name, sender, kwargs)."""
    calls = []
    receivers = {}
    for name in NAMES:

        def receiver(sender, signal, _name=name, **kwargs):
            calls.append((_name, sender, kwargs))

        receivers[name] = receiver
        getattr(signals, name).connect(receiver)
    yield calls
    for name, receiver in receivers.items():
        getattr(signals, name).disconnect(receiver)


def only(sent, name):
    found = [(sender, kwargs) for signal, sender, kwargs in sent if signal == name]
    assert len(found) == 1, sent
    return found[0]


def form_post(http, url, data, **extra):
    return http.post(
        url, urlencode(data), content_type="application/x-www-form-urlencoded", **extra
    )


def assert_no_raw_secret(sent, *raw_values):
    for _, _, kwargs in sent:
        for value in kwargs.values():
            assert value not in raw_values


def test_code_exchange_sends_token_issued(client, client_app, user, sent):
    body = redeem(client, client_app, user, scope="read:profile read:email").json()
    sender, kwargs = only(sent, "token_issued")
    family_id = RefreshToken.objects.get().family_id
    assert sender is Client
    assert kwargs == {
        "client": client_app,
        "user": user,
        "scopes": ["read:profile", "read:email"],
        "jti": verified_jti(body["access_token"]),
        "family_id": family_id,
        "grant_type": "authorization_code",
    }
    assert [name for name, _, _ in sent] == ["token_issued"]
    assert_no_raw_secret(sent, body["access_token"], body["refresh_token"])


def test_code_exchange_without_refresh_token_has_no_family(client, user, sent):
    app = factories.ClientFactory(grant_types=["authorization_code"])
    redeem(client, app, user)
    assert only(sent, "token_issued")[1]["family_id"] is None


def test_client_credentials_sends_token_issued_without_user(client, client_app, sent):
    data = {"grant_type": "client_credentials", "scope": "publish"}
    body = post_token(client, data, **basic_auth(client_app.client_id)).json()
    _, kwargs = only(sent, "token_issued")
    assert kwargs == {
        "client": client_app,
        "user": None,
        "scopes": ["publish"],
        "jti": verified_jti(body["access_token"]),
        "family_id": None,
        "grant_type": "client_credentials",
    }


def test_refresh_sends_token_issued_then_token_refreshed(client, client_app, user, sent):
    first = redeem(client, client_app, user, scope="read:profile read:email").json()
    sent.clear()
    second = refresh(client, client_app, first["refresh_token"], scope="read:email").json()
    family_id = RefreshToken.objects.first().family_id
    expected = {
        "client": client_app,
        "user": user,
        "scopes": ["read:email"],
        "jti": verified_jti(second["access_token"]),
        "family_id": family_id,
    }
    assert [name for name, _, _ in sent] == ["token_issued", "token_refreshed"]
    assert only(sent, "token_issued")[1] == {**expected, "grant_type": "refresh_token"}
    assert only(sent, "token_refreshed") == (Client, expected)
    assert_no_raw_secret(sent, first["refresh_token"], second["refresh_token"])


def test_reuse_sends_refresh_token_reused(client, client_app, user, sent):
    first = redeem(client, client_app, user).json()
    refresh(client, client_app, first["refresh_token"])
    sent.clear()
    assert refresh(client, client_app, first["refresh_token"]).status_code == 400
    family_id = RefreshToken.objects.first().family_id
    assert only(sent, "refresh_token_reused") == (
        Client,
        {"client": client_app, "user": user, "family_id": family_id},
    )
    assert [name for name, _, _ in sent] == ["refresh_token_reused"]


def test_consent_sends_consent_granted(client, client_app, user, sent):
    client.force_login(user)
    query = urlencode(protocol.authorize_params(client_app))
    page = client.get(reverse("oauthcore:authorize") + "?" + query).content.decode()
    form = browser.form_with_button(page, "Allow")
    response = form_post(client, form.action, form.data("Allow"))
    assert response.status_code == HTTPStatus.FOUND
    sender, kwargs = only(sent, "consent_granted")
    assert sender is Consent
    assert kwargs == {
        "client": client_app,
        "user": user,
        "scopes": ["read:profile", "read:email"],
        "consent": Consent.objects.get(),
    }
    assert kwargs["consent"].scopes == ["read:profile", "read:email"]


def test_revoking_an_access_token_sends_token_revoked(client, client_app, user, sent):
    body = redeem(client, client_app, user).json()
    sent.clear()
    revoke(client, client_app, body["access_token"])
    assert only(sent, "token_revoked") == (
        Client,
        {
            "client": client_app,
            "user": user,
            "token_type": "access_token",
            "jti": verified_jti(body["access_token"]),
            "family_id": None,
        },
    )
    assert_no_raw_secret(sent, body["access_token"])


def test_revoking_a_refresh_token_sends_token_revoked(client, client_app, user, sent):
    body = redeem(client, client_app, user).json()
    sent.clear()
    revoke(client, client_app, body["refresh_token"])
    _, kwargs = only(sent, "token_revoked")
    assert kwargs == {
        "client": client_app,
        "user": user,
        "token_type": "refresh_token",
        "jti": None,
        "family_id": RefreshToken.objects.get().family_id,
    }


def test_a_foreign_or_unknown_token_sends_nothing(client, client_app, user, sent):
    body = redeem(client, client_app, user).json()
    sent.clear()
    intruder = factories.ClientFactory()
    for token in (body["access_token"], body["refresh_token"], "unknown"):
        revoke(client, intruder, token)
    assert sent == []


def test_revoke_access_sends_consent_revoked_and_token_revoked(client, user, sent):
    app = factories.ClientFactory()
    factories.ConsentFactory(user=user, client=app, scopes=["read:profile"])
    redeem(client, app, user)
    lone = factories.ClientFactory(grant_types=["authorization_code"])
    factories.ConsentFactory(user=user, client=lone, scopes=["read:email"])
    lone_body = redeem(client, lone, user, scope="read:email").json()
    client.force_login(user)
    sent.clear()
    for target in (app, lone):
        form_post(client, reverse("oauthcore:connected-apps"), {"client": target.client_id})
    revoked = [kwargs for name, _, kwargs in sent if name == "token_revoked"]
    assert revoked == [
        {
            "client": app,
            "user": user,
            "token_type": "refresh_token",
            "jti": None,
            "family_id": RefreshToken.objects.get().family_id,
        },
        {
            "client": lone,
            "user": user,
            "token_type": "access_token",
            "jti": verified_jti(lone_body["access_token"]),
            "family_id": None,
        },
    ]
    consents = [(sender, kwargs) for name, sender, kwargs in sent if name == "consent_revoked"]
    assert consents == [
        (Consent, {"client": app, "user": user, "scopes": ["read:profile"]}),
        (Consent, {"client": lone, "user": user, "scopes": ["read:email"]}),
    ]
