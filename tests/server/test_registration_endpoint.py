"""Dynamic client registration (RFC 7591 3): the request, the response, the errors."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from oauthcore import crypto
from oauthcore.models import Client
from tests.registration_requests import (  # noqa: F401 (open_registration: a fixture)
    WEB,
    client_of,
    oauth_error,
    open_registration,
    register,
    registered,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("open_registration")]


def test_a_minimal_registration_gets_the_defaults_of_rfc_7591(client):
    response = register(client, {"redirect_uris": [WEB], "client_name": "My App"})
    assert response.status_code == HTTPStatus.CREATED
    assert response["Cache-Control"] == "no-store"
    info = response.json()
    assert info["grant_types"] == ["authorization_code"]
    assert info["response_types"] == ["code"]
    assert info["token_endpoint_auth_method"] == "client_secret_basic"
    assert info["application_type"] == "web"
    assert info["redirect_uris"] == [WEB]
    assert info["client_name"] == "My App"
    assert info["client_secret_expires_at"] == 0
    assert isinstance(info["client_id_issued_at"], int)
    assert info["registration_client_uri"] == (
        "http://testserver" + reverse("oauthcore:register-client", args=[info["client_id"]])
    )
    stored = client_of(info)
    assert stored.origin == Client.Origin.DYNAMIC and stored.is_self_registered
    assert stored.check_secret(info["client_secret"])
    assert info["registration_access_token"] not in stored.registration_access_token_hash
    assert crypto.matches(info["registration_access_token"], stored.registration_access_token_hash)


def test_a_public_client_gets_no_secret(client):
    info = registered(client, {"redirect_uris": [WEB], "token_endpoint_auth_method": "none"})
    assert "client_secret" not in info and "client_secret_expires_at" not in info
    assert client_of(info).is_public and not client_of(info).secret_hash


def test_informational_members_are_kept_and_returned_unknown_ones_ignored(client):
    members = {
        "client_uri": "https://app.example.com/",
        "logo_uri": "https://app.example.com/logo.png",
        "tos_uri": "https://app.example.com/tos",
        "policy_uri": "https://app.example.com/privacy",
        "contacts": ["ops@app.example.com"],
        "software_id": "4NRB1-0XZABZI9E6-5SM3R",
        "software_version": "2.1",
        "jwks_uri": "https://app.example.com/jwks.json",
        "client_name#fr": "Mon Appli",
    }
    info = registered(client, {"redirect_uris": [WEB], **members, "favourite_colour": "blue"})
    assert {name: info[name] for name in members} == members
    assert "favourite_colour" not in info and "favourite_colour" not in client_of(info).metadata


def test_scope_is_registered_as_asked_and_defaults_to_every_registered_scope(client, settings):
    info = registered(client, {"redirect_uris": [WEB], "scope": "read:profile read:email"})
    assert info["scope"] == "read:profile read:email"
    everything = registered(client)
    assert everything["scope"].split() == list(settings.OAUTHCORE["SCOPES"])


def test_a_native_app_may_use_its_own_scheme_and_loopback(client):
    uris = ["com.example.app:/callback", "http://127.0.0.1/callback"]
    info = registered(
        client,
        {"redirect_uris": uris, "application_type": "native", "token_endpoint_auth_method": "none"},
    )
    assert info["redirect_uris"] == uris and info["application_type"] == "native"


@pytest.mark.parametrize(
    "document, error",
    [
        ({"redirect_uris": ["http://app.example.com/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://app.example.com/cb#x"]}, "invalid_redirect_uri"),
        ({}, "invalid_redirect_uri"),
        ({"redirect_uris": ["com.example.app:/cb"]}, "invalid_redirect_uri"),  # web app
        ({"redirect_uris": WEB}, "invalid_client_metadata"),
        ({"redirect_uris": [WEB, 3]}, "invalid_client_metadata"),
        ({"redirect_uris": [WEB], "grant_types": "authorization_code"}, "invalid_client_metadata"),
        ({"redirect_uris": [WEB], "grant_types": ["implicit"]}, "invalid_client_metadata"),
        ({"redirect_uris": [WEB], "response_types": ["token"]}, "invalid_client_metadata"),
        ({"grant_types": ["refresh_token"]}, "invalid_client_metadata"),
        ({"redirect_uris": [WEB], "response_types": []}, "invalid_client_metadata"),
        ({"redirect_uris": [WEB], "scope": "admin:all"}, "invalid_client_metadata"),
        ({"redirect_uris": [WEB], "scope": ["read:profile"]}, "invalid_client_metadata"),
        ({"redirect_uris": [WEB], "application_type": "desktop"}, "invalid_client_metadata"),
        ({"redirect_uris": [WEB], "client_name": 7}, "invalid_client_metadata"),
        ({"redirect_uris": [WEB], "client_name": "x" * 201}, "invalid_client_metadata"),
        ({"redirect_uris": [WEB], "client_name": "A\u0000pp"}, "invalid_client_metadata"),
        ({"redirect_uris": [WEB], "contacts": "ops@x"}, "invalid_client_metadata"),
        ({"redirect_uris": [WEB], "logo_uri": "javascript:alert(1)"}, "invalid_client_metadata"),
        ({"redirect_uris": [WEB], "jwks": {"keys": "none"}}, "invalid_client_metadata"),
        (
            {"redirect_uris": [WEB], "jwks": {"keys": [{"kty": "EC"}]}, "jwks_uri": WEB},
            "invalid_client_metadata",
        ),
        ({"redirect_uris": [WEB], "token_endpoint_auth_method": "x"}, "invalid_client_metadata"),
        (
            {"redirect_uris": [WEB], "token_endpoint_auth_method": "none", "grant_types": []},
            "invalid_client_metadata",
        ),
    ],
)
def test_bad_metadata_is_refused_with_the_rfc_error_and_a_description(client, document, error):
    assert oauth_error(register(client, document))["error"] == error
    assert not Client.objects.exists()


@pytest.mark.parametrize("method", ["client_secret_jwt", "private_key_jwt"])
def test_the_rfc_7523_methods_are_advertised_and_registered(client, method):
    """tests/server/test_jwt_client_registration.py registers each and uses it."""
    metadata = client.get(reverse("oauthcore:oauth-authorization-server")).json()
    assert method in metadata["token_endpoint_auth_methods_supported"]


def test_a_secret_method_with_a_refresh_grant_is_fine(client):
    info = registered(
        client,
        {
            "redirect_uris": [WEB],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "client_secret_post",
        },
    )
    assert info["grant_types"] == ["authorization_code", "refresh_token"]
    assert client_of(info).token_endpoint_auth_method == "client_secret_post"


@pytest.mark.parametrize("policy, advertised", [("open", True), ("token", True), ("off", False)])
def test_the_metadata_names_the_endpoint_only_when_registration_is_on(
    client, settings, policy, advertised
):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "REGISTRATION": policy}
    for name in ("oauth-authorization-server", "openid-configuration"):
        document = client.get(reverse(f"oauthcore:{name}")).json()
        assert ("registration_endpoint" in document) is advertised
    if advertised:
        assert document["registration_endpoint"] == "http://testserver/oauth/register/"


def test_only_post_is_allowed(client):
    assert client.get(reverse("oauthcore:register")).status_code == HTTPStatus.METHOD_NOT_ALLOWED
