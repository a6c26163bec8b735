"""A client's token exchange policy (RFC 8693): set by staff (createclient, the admin), never by
a client registering itself."""

import json
from http import HTTPStatus

import pytest
from django.core.management import CommandError, call_command

from oauthcore.models import Client
from tests.exchange_kit import API, GRANT
from tests.ops.test_admin import ADD_URL, client_form
from tests.registration_requests import open_registration, register  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _resources(settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "RESOURCES": [API]}


def policy(**members) -> dict:
    return {
        "grant_types": ["client_credentials", GRANT],
        "client_name": "Service",
        "scope": "read:profile read:email",
        "token_exchange_audiences": [API],
        "token_exchange_scopes": ["read:profile"],
        **members,
    }


def create(capsys, document: dict) -> dict:
    call_command("createclient", "--metadata", json.dumps(document), "--json")
    return json.loads(capsys.readouterr().out)


def test_createclient_sets_the_policy(capsys):
    out = create(capsys, policy())
    client = Client.objects.get(client_id=out["client_id"])
    assert client.token_exchange_audiences == [API]
    assert client.token_exchange_scopes == ["read:profile"]
    assert out["token_exchange_audiences"] == [API]


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"token_exchange_audiences": ["https://unknown.example/"]}, "RESOURCES"),
        ({"token_exchange_scopes": ["publish"]}, "not among the client's scopes"),
        ({"token_exchange_scopes": "read:profile"}, "token_exchange_scopes"),
        ({"token_endpoint_auth_method": "none", "grant_types": [GRANT]}, "confidential"),
    ],
)
def test_createclient_refuses_a_bad_policy(capsys, members, message):
    with pytest.raises(CommandError, match=message):
        create(capsys, policy(**members))


def test_a_self_registered_client_cannot_get_token_exchange(client, open_registration):  # noqa: F811
    document = {"redirect_uris": ["https://app.example.com/cb"]}
    with_grant = register(client, {**document, "grant_types": ["authorization_code", GRANT]})
    assert with_grant.status_code == HTTPStatus.BAD_REQUEST
    assert with_grant.json()["error"] == "invalid_client_metadata"
    with_policy = register(client, {**document, "token_exchange_audiences": [API]})
    assert with_policy.status_code == HTTPStatus.BAD_REQUEST
    assert not Client.objects.exists()


def test_the_admin_sets_and_checks_the_policy(admin_client):
    grants = ["authorization_code", GRANT]
    form = client_form(
        grant_types=grants, token_exchange_audiences=[API], token_exchange_scopes=["read:email"]
    )
    admin_client.post(ADD_URL, form)
    client = Client.objects.get(name="Admin App")
    assert client.token_exchange_audiences == [API]
    assert client.token_exchange_scopes == ["read:email"]
    refused = client_form(name="Other", grant_types=grants, token_exchange_scopes=["publish"])
    response = admin_client.post(ADD_URL, refused)
    assert response.status_code == HTTPStatus.OK
    assert not Client.objects.filter(name="Other").exists()
