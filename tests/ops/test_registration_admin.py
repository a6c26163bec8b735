"""The admin marks self-registered clients and validates as dynamic registration validates."""

import json
from http import HTTPStatus

import pytest
from django.urls import reverse

from oauthcore.models import Client, InitialAccessToken
from tests.ops.test_admin import ADD_URL, client_form

pytestmark = pytest.mark.django_db

NOTE = "This client registered itself"


@pytest.fixture
def dynamic(client_factory):
    return client_factory(
        origin=Client.Origin.DYNAMIC, grant_types=["authorization_code"], name="Dyn App"
    )


def change_url(client):
    return reverse("admin:oauthcore_client_change", args=[client.pk])


def test_the_list_shows_and_filters_the_origin(admin_client, dynamic, client_app):
    url = reverse("admin:oauthcore_client_changelist")
    page = admin_client.get(url).content.decode()
    assert "Dynamic registration (RFC 7591)" in page and "Staff (admin or createclient)" in page
    filtered = admin_client.get(url, {"origin__exact": "dynamic"}).content.decode()
    assert dynamic.client_id in filtered and client_app.client_id not in filtered


def test_a_self_registered_client_page_says_so(admin_client, dynamic, client_app):
    assert NOTE in admin_client.get(change_url(dynamic)).content.decode()
    assert NOTE not in admin_client.get(change_url(client_app)).content.decode()


def edit(admin_client, client, **overrides):
    fields = {
        "name": client.name,
        "client_id": client.client_id,
        "grant_types": client.grant_types,
        "redirect_uris": "\n".join(client.redirect_uris),
        "allowed_scopes": client.allowed_scopes[:2],
        "default_scopes": [],
    }
    data = client_form(**{**fields, **overrides})
    return admin_client.post(change_url(client), data)


def test_staff_cannot_make_a_self_registered_client_trusted(admin_client, dynamic):
    response = edit(admin_client, dynamic, skip_consent="on")
    assert response.status_code == HTTPStatus.FOUND
    assert Client.objects.get(pk=dynamic.pk).skip_consent is False


def test_a_self_registered_client_cannot_get_client_credentials_in_the_admin(admin_client, dynamic):
    grants = ["authorization_code", "client_credentials"]
    response = edit(admin_client, dynamic, grant_types=grants)
    assert response.status_code == HTTPStatus.OK
    assert "cannot use the client_credentials grant" in response.content.decode()
    assert Client.objects.get(pk=dynamic.pk).grant_types == ["authorization_code"]


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {
                "redirect_uris": "com.example.app:/cb",
                "metadata": json.dumps({"application_type": "web"}),
            },
            "register a native app",
        ),
        ({"metadata": json.dumps({"logo_uri": "javascript:alert(1)"})}, "http or https URL"),
        (
            {"metadata": json.dumps({"jwks_uri": "https://a.example/j", "jwks": {"keys": []}})},
            "not both",
        ),
        ({"metadata": json.dumps({"application_type": "desktop"})}, "web or native"),
        ({"metadata": "[1, 2]"}, "JSON object"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "needs the client&#x27;s keys"),
    ],
)
def test_the_admin_refuses_what_registration_refuses(admin_client, overrides, message):
    response = admin_client.post(ADD_URL, client_form(**overrides))
    assert response.status_code == HTTPStatus.OK
    assert message in response.content.decode()
    assert not Client.objects.exists()


def test_a_native_app_with_its_own_scheme_is_accepted(admin_client):
    form = client_form(
        client_type="public",
        redirect_uris="com.example.app:/cb",
        metadata=json.dumps({"application_type": "native"}),
    )
    assert admin_client.post(ADD_URL, form).status_code == HTTPStatus.FOUND
    assert Client.objects.get().metadata == {"application_type": "native"}


def test_initial_access_tokens_are_listed_and_deleted_never_added(admin_client):
    token = InitialAccessToken.objects.create(token_hash="sha256$x", description="partner X")
    listing = admin_client.get(reverse("admin:oauthcore_initialaccesstoken_changelist"))
    assert "partner X" in listing.content.decode()
    assert "sha256$x" not in listing.content.decode()
    add = admin_client.get(reverse("admin:oauthcore_initialaccesstoken_add"))
    assert add.status_code == HTTPStatus.FORBIDDEN
    delete_url = reverse("admin:oauthcore_initialaccesstoken_delete", args=[token.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == HTTPStatus.FOUND
    assert not InitialAccessToken.objects.exists()
