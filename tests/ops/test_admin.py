"""The Django admin: a client secret is shown once and never again; keys rotate; grants read-only."""

import re
from http import HTTPStatus

import pytest
from django.urls import reverse

from oauthcore.jose import keyring
from oauthcore.models import Client, SigningKey
from oauthcore.resource_server import denylist
from oauthcore.server import issuance
from tests import factories

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:oauthcore_client_add")
SECRET = re.compile(r'<code id="client-secret">([^<]+)</code>')


def client_form(**overrides):
    data = {
        "name": "Admin App",
        "client_id": "",
        "client_type": "confidential",
        "grant_types": ["authorization_code", "refresh_token"],
        "redirect_uris": "https://app.example.com/cb\nhttp://127.0.0.1:8765/callback\n",
        "allowed_scopes": ["read:profile", "read:email"],
        "default_scopes": ["read:profile"],
        "is_active": "on",
        "audience": "",
        "access_token_lifetime": "",
        "refresh_token_lifetime": "",
        "metadata": "{}",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def add_client(admin_client, **overrides):
    response = admin_client.post(ADD_URL, client_form(**overrides))
    assert response.status_code == HTTPStatus.OK
    client = Client.objects.get(name=overrides.get("name", "Admin App"))
    return client, response


def shown_secret(response):
    assert "no-store" in response["Cache-Control"]
    (secret,) = SECRET.findall(response.content.decode())
    return secret


def assert_never_shown(response, client, secret):
    page = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert secret not in page
    assert client.secret_hash not in page
    if client.previous_secret_hash:
        assert client.previous_secret_hash not in page


def test_add_client_shows_the_secret_once(admin_client):
    client, response = add_client(admin_client)
    secret = shown_secret(response)
    assert client.check_secret(secret)
    assert client.grant_types == ["authorization_code", "refresh_token"]
    assert client.redirect_uris == ["https://app.example.com/cb", "http://127.0.0.1:8765/callback"]
    assert client.allowed_scopes == ["read:profile", "read:email"]
    assert client.client_id  # generated
    change = admin_client.get(reverse("admin:oauthcore_client_change", args=[client.pk]))
    assert_never_shown(change, client, secret)
    assert "Rotate secret" in change.content.decode()
    changelist = admin_client.get(reverse("admin:oauthcore_client_changelist"))
    assert_never_shown(changelist, client, secret)
    assert client.client_id in changelist.content.decode()


def test_add_public_client_has_no_secret(admin_client):
    response = admin_client.post(
        ADD_URL, client_form(name="SPA", client_type="public", client_id="my-spa")
    )
    assert response.status_code == HTTPStatus.FOUND  # the usual redirect: no secret to show
    client = Client.objects.get(name="SPA")
    assert client.client_id == "my-spa"
    assert client.secret_hash == ""
    assert not SECRET.findall(response.content.decode())


def test_editing_keeps_the_secret(admin_client, client_app, secret):
    url = reverse("admin:oauthcore_client_change", args=[client_app.pk])
    data = client_form(name="Renamed", grant_types=["client_credentials"], redirect_uris="")
    response = admin_client.post(url, data)
    assert response.status_code == HTTPStatus.FOUND
    client_app.refresh_from_db()
    assert client_app.name == "Renamed"
    assert client_app.grant_types == ["client_credentials"]
    assert client_app.check_secret(secret)
    assert client_app.client_id.startswith("client-")  # not editable once created


def test_switching_client_type_sets_or_drops_the_secret(admin_client, public_client):
    url = reverse("admin:oauthcore_client_change", args=[public_client.pk])
    response = admin_client.post(url, client_form(name="Now confidential"))
    secret = shown_secret(response)
    public_client.refresh_from_db()
    assert public_client.check_secret(secret)
    response = admin_client.post(url, client_form(name="Public again", client_type="public"))
    assert response.status_code == HTTPStatus.FOUND
    public_client.refresh_from_db()
    assert public_client.secret_hash == ""
    assert not public_client.check_secret(secret)


@pytest.mark.parametrize("keep, old_still_works", [("0", False), ("86400", True)])
def test_rotate_secret(admin_client, client_app, secret, keep, old_still_works):
    url = reverse("admin:oauthcore_client_rotate_secret", args=[client_app.pk])
    assert admin_client.get(url).status_code == HTTPStatus.OK
    response = admin_client.post(url, {"keep_previous_for": keep})
    new_secret = shown_secret(response)
    assert new_secret != secret
    client_app.refresh_from_db()
    assert client_app.check_secret(new_secret)
    assert client_app.check_secret(secret) is old_still_works
    change = admin_client.get(reverse("admin:oauthcore_client_change", args=[client_app.pk]))
    assert_never_shown(change, client_app, new_secret)


def test_rotate_action_leads_to_the_rotate_page(admin_client, client_app):
    response = admin_client.post(
        reverse("admin:oauthcore_client_changelist"),
        {"action": "rotate_secret_action", "_selected_action": [client_app.pk]},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse(
        "admin:oauthcore_client_rotate_secret", args=[client_app.pk]
    )


def test_public_client_secret_cannot_be_rotated(admin_client, public_client):
    url = reverse("admin:oauthcore_client_rotate_secret", args=[public_client.pk])
    response = admin_client.post(url, {"keep_previous_for": "0"})
    assert response.status_code == HTTPStatus.FOUND
    public_client.refresh_from_db()
    assert public_client.secret_hash == ""


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"redirect_uris": "http://app.example.com/cb"}, "must be https"),
        ({"redirect_uris": "https://app.example.com/cb#frag"}, "fragment"),
        ({"redirect_uris": ""}, "needs a redirect URI"),
        ({"grant_types": ["refresh_token"]}, "needs the authorization_code or device_code grant"),
        ({"grant_types": []}, "This field is required"),
        ({"client_type": "public", "grant_types": ["client_credentials"]}, "public client"),
        ({"allowed_scopes": ["read:profile", "nope"]}, "not one of the available choices"),
        ({"default_scopes": ["publish"]}, "Not allowed: publish"),
        ({"client_id": "taken"}, "already exists"),
    ],
)
def test_bad_client_is_a_form_error(admin_client, overrides, message):
    factories.ClientFactory(client_id="taken")
    response = admin_client.post(ADD_URL, client_form(**overrides))
    assert response.status_code == HTTPStatus.OK
    assert message in response.content.decode()
    assert response.context["adminform"].form.errors
    assert not Client.objects.filter(name="Admin App").exists()


def test_stale_scope_shows_and_must_be_removed(admin_client, client_app):
    client_app.allowed_scopes = ["read:profile", "gone"]
    client_app.save()
    url = reverse("admin:oauthcore_client_change", args=[client_app.pk])
    assert "not registered" in admin_client.get(url).content.decode()
    response = admin_client.post(url, client_form(allowed_scopes=["read:profile", "gone"]))
    assert "Unregistered scope: gone" in response.content.decode()


def test_signing_key_admin_rotates_and_hides_private_key(admin_client):
    old = keyring.signing_key()
    changelist = reverse("admin:oauthcore_signingkey_changelist")
    page = admin_client.get(changelist).content.decode()
    assert old.kid in page
    assert "Rotate signing key" in page
    response = admin_client.post(
        reverse("admin:oauthcore_signingkey_rotate"), {"algorithm": "ES256"}
    )
    assert response.status_code == HTTPStatus.FOUND
    active = SigningKey.objects.get(state="active")
    assert active.kid != old.kid
    assert active.algorithm == "ES256"
    assert SigningKey.objects.get(kid=old.kid).state == "retired"
    keyring.forget()
    assert keyring.signing_key().kid == active.kid
    detail = admin_client.get(reverse("admin:oauthcore_signingkey_change", args=[active.pk]))
    assert detail.status_code == HTTPStatus.OK
    assert "PRIVATE KEY" not in detail.content.decode()
    assert active.kid in detail.content.decode()
    assert admin_client.get(reverse("admin:oauthcore_signingkey_add")).status_code == 403


def test_key_rotation_refused_when_keys_come_from_settings(admin_client, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "HS256_SECRET": "x" * 40}
    response = admin_client.post(reverse("admin:oauthcore_signingkey_rotate"), {})
    assert response.status_code == HTTPStatus.FOUND
    assert not SigningKey.objects.exists()


def make_refresh_token(client_app, user, **fields):
    issued = issuance.issue(client=client_app, scope=["read:profile"], user=user)
    return factories.RefreshTokenFactory(
        client=client_app,
        user=user,
        access_token_jti=issued.jti,
        access_token_expires_at=issued.expires_at,
        **fields,
    )


@pytest.mark.parametrize(
    "model", ["authorizationcode", "refreshtoken", "consent", "revokedaccesstoken"]
)
def test_grant_lists_are_read_only(admin_client, model):
    assert admin_client.get(reverse(f"admin:oauthcore_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:oauthcore_{model}_add")).status_code == 403


def test_refresh_token_page_hides_hash_and_revokes_family(admin_client, client_app, user):
    token = make_refresh_token(client_app, user)
    change = admin_client.get(reverse("admin:oauthcore_refreshtoken_change", args=[token.pk]))
    assert change.status_code == HTTPStatus.OK
    assert token.token_hash not in change.content.decode()
    assert str(token.family_id) in change.content.decode()
    response = admin_client.post(
        reverse("admin:oauthcore_refreshtoken_changelist"),
        {"action": "revoke_families", "_selected_action": [token.pk]},
    )
    assert response.status_code == HTTPStatus.FOUND
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert denylist.is_denied(token.access_token_jti)


def test_consent_list_shows_rows(admin_client):
    consent = factories.ConsentFactory()
    page = admin_client.get(reverse("admin:oauthcore_consent_changelist")).content.decode()
    assert consent.client.name in page
