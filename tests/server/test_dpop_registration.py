"""dpop_bound_access_tokens (RFC 9449 5.2) through the one validator: registration, createclient."""

import json
from http import HTTPStatus
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from oauthcore.models import Client
from tests.dpop_kit import DPoPKey
from tests.protocol import basic_auth, post_token
from tests.registration_requests import (  # noqa: F401 (open_registration: a fixture)
    WEB,
    client_of,
    oauth_error,
    open_registration,
    register,
    registered,
)

pytestmark = pytest.mark.django_db

METADATA = {
    "client_name": "Bound",
    "grant_types": ["client_credentials"],
    "response_types": [],
    "scope": "publish",
}


def createclient(document) -> dict:
    out = StringIO()
    call_command("createclient", "--metadata", json.dumps(document), "--json", stdout=out)
    return json.loads(out.getvalue())


def test_createclient_stores_it_and_the_token_endpoint_enforces_it(client):
    printed = createclient({**METADATA, "dpop_bound_access_tokens": True})
    assert printed["dpop_bound_access_tokens"] is True
    assert printed["client_secret"]
    assert Client.objects.get(client_id=printed["client_id"]).dpop_bound_access_tokens
    auth = basic_auth(printed["client_id"], printed["client_secret"])
    grant = {"grant_type": "client_credentials"}
    assert post_token(client, grant, **auth).json()["error"] == "invalid_dpop_proof"
    assert post_token(client, grant, **auth, **DPoPKey().header()).status_code == HTTPStatus.OK


def test_it_defaults_to_false():
    printed = createclient(METADATA)
    assert "dpop_bound_access_tokens" not in printed
    assert not Client.objects.get(client_id=printed["client_id"]).dpop_bound_access_tokens


@pytest.mark.parametrize("value", ["true", 1, [True]])
def test_it_must_be_a_boolean(value):
    with pytest.raises(CommandError, match="dpop_bound_access_tokens"):
        createclient({**METADATA, "dpop_bound_access_tokens": value})


@pytest.mark.usefixtures("open_registration")
def test_dynamic_registration_stores_and_returns_it(client):
    info = registered(client, {"redirect_uris": [WEB], "dpop_bound_access_tokens": True})
    assert info["dpop_bound_access_tokens"] is True
    assert client_of(info).dpop_bound_access_tokens
    assert oauth_error(register(client, {"redirect_uris": [WEB], "dpop_bound_access_tokens": 1}))[
        "error"
    ] == ("invalid_client_metadata")
