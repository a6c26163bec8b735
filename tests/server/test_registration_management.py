"""The client configuration endpoint (RFC 7592 2): read, replace and delete a registration."""

from http import HTTPStatus

import pytest

from oauthcore.models import Client, DeletedClient
from tests import protocol
from tests.registration_requests import (  # noqa: F401 (open_registration: a fixture)
    SELF_REGISTERED_NOTE,
    WEB,
    client_of,
    code_flow,
    configuration,
    consent_page,
    oauth_error,
    open_registration,
    registered,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("open_registration")]

OTHER = "https://app.example.com/other"
DOCUMENT = {
    "redirect_uris": [WEB],
    "client_name": "My App",
    "logo_uri": "https://app.example.com/logo.png",
    "grant_types": ["authorization_code", "refresh_token"],
    "scope": "read:profile",
}


@pytest.fixture
def info(client):
    return registered(client, DOCUMENT)


def replacement(info, **members):
    document = {"client_id": info["client_id"], "redirect_uris": [OTHER], **members}
    return {name: value for name, value in document.items() if value is not None}


def test_read_returns_the_registration_without_the_secret(client, info):
    response = configuration(client, "get", info)
    assert response.status_code == HTTPStatus.OK
    assert response["Cache-Control"] == "no-store"
    read = response.json()
    assert "client_secret" not in read
    assert read == {name: value for name, value in info.items() if name != "client_secret"}


def test_an_update_replaces_every_member_and_omitted_ones_are_dropped(client, info):
    response = configuration(
        client, "put", info, document=replacement(info, client_name="Renamed", scope="read:email")
    )
    assert response.status_code == HTTPStatus.OK, response.content
    updated = response.json()
    assert updated["redirect_uris"] == [OTHER]
    assert updated["client_name"] == "Renamed"
    assert updated["grant_types"] == ["authorization_code"]  # the default again
    assert updated["scope"] == "read:email"
    assert "logo_uri" not in updated and "client_secret" not in updated
    assert updated["registration_access_token"] == info["registration_access_token"]
    stored = client_of(info)
    assert stored.redirect_uris == [OTHER] and stored.name == "Renamed"
    assert stored.check_secret(info["client_secret"])  # the secret is kept
    assert stored.origin == Client.Origin.DYNAMIC


def test_an_update_may_present_the_current_secret(client, info):
    document = replacement(info, client_secret=info["client_secret"])
    assert configuration(client, "put", info, document=document).status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    "members, error",
    [
        ({"client_id": "someone-else"}, "invalid_request"),
        ({"client_id": None}, "invalid_request"),
        ({"client_secret": "my-own-choice"}, "invalid_request"),
        ({"registration_access_token": "x"}, "invalid_request"),
        ({"client_id_issued_at": 0}, "invalid_request"),
        ({"redirect_uris": ["http://evil.example/cb"]}, "invalid_redirect_uri"),
        ({"grant_types": ["client_credentials"]}, "invalid_client_metadata"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"),
    ],
)
def test_a_bad_update_is_refused_and_changes_nothing(client, info, members, error):
    document = {**replacement(info), **members}
    document = {name: value for name, value in document.items() if value is not None}
    assert oauth_error(configuration(client, "put", info, document=document))["error"] == error
    assert client_of(info).redirect_uris == [WEB]


def test_an_update_that_is_no_json_object_is_refused(client, info):
    response = configuration(client, "put", info, document=["not", "an", "object"])
    assert oauth_error(response)["error"] == "invalid_client_metadata"


def test_a_client_turned_public_loses_its_secret_and_turned_back_gets_a_new_one(client, info):
    document = replacement(info, token_endpoint_auth_method="none")
    public = configuration(client, "put", info, document=document).json()
    assert public["token_endpoint_auth_method"] == "none" and "client_secret" not in public
    assert not client_of(info).secret_hash
    again = configuration(client, "put", info, document=replacement(info)).json()
    assert again["client_secret"] != info["client_secret"]
    assert client_of(info).check_secret(again["client_secret"])


def test_delete_removes_the_client_and_refuses_its_tokens(client, info, user):
    tokens = code_flow(client, info, user)
    api = client.get("/api/profile/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert api.status_code == HTTPStatus.OK
    response = configuration(client, "delete", info)
    assert response.status_code == HTTPStatus.NO_CONTENT
    assert not Client.objects.filter(client_id=info["client_id"]).exists()
    assert DeletedClient.objects.filter(client_id=info["client_id"]).exists()
    api = client.get("/api/profile/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert api.status_code == HTTPStatus.UNAUTHORIZED
    refreshed = protocol.refresh(
        client, client_of_none(info), tokens["refresh_token"], secret=info["client_secret"]
    )
    assert refreshed.status_code == HTTPStatus.UNAUTHORIZED
    assert configuration(client, "get", info).status_code == HTTPStatus.UNAUTHORIZED


def client_of_none(info):
    """A stand-in for a deleted client: its id and type, as a client still sends them."""
    return Client(client_id=info["client_id"])


def test_a_registered_client_completes_a_code_flow_through_consent(client, info, user):
    page, _form = consent_page(client, client_of(info), user)
    assert SELF_REGISTERED_NOTE in page.content.decode()
    tokens = code_flow(client, info, user)
    assert protocol.claims_of(tokens["access_token"])["client_id"] == info["client_id"]
    assert client_of(info).first_used_at is not None


def test_consent_is_never_skipped_even_if_the_row_says_so(client, info, user):
    Client.objects.filter(client_id=info["client_id"]).update(skip_consent=True)  # bypasses save
    page, _form = consent_page(client, client_of(info), user)
    assert SELF_REGISTERED_NOTE in page.content.decode()
    stored = client_of(info)
    stored.skip_consent = True
    stored.save()
    assert client_of(info).skip_consent is False
