"""Configuring device clients: createclient --metadata and dynamic registration accept the
device_code grant (it is in the grant registry), and such clients run the flow."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient

from oauthcore.models import Client
from tests import device_kit, registration_requests
from tests.registration_requests import open_registration, registered  # noqa: F401

pytestmark = pytest.mark.django_db
DEVICE = "urn:ietf:params:oauth:grant-type:device_code"


def test_createclient_metadata_makes_a_public_device_client(client, user):
    document = {
        "client_name": "TV app",
        "grant_types": [DEVICE, "refresh_token"],
        "token_endpoint_auth_method": "none",
        "scope": "read:profile",
    }
    out = StringIO()
    call_command("createclient", "--metadata", json.dumps(document), "--json", stdout=out)
    app = Client.objects.get(client_id=json.loads(out.getvalue())["client_id"])
    assert app.is_public and app.allows_grant(DEVICE) and not app.redirect_uris
    body = device_kit.started(client, app, scope="read:profile")
    device_kit.approve(HttpClient(), user, body["user_code"])
    tokens = device_kit.poll(client, app, body["device_code"]).json()
    assert tokens["access_token"] and tokens["refresh_token"]


def test_registration_accepts_the_device_grant(client, open_registration):  # noqa: F811
    info = registered(
        client,
        {"client_name": "Console", "grant_types": [DEVICE], "token_endpoint_auth_method": "none"},
    )
    assert info["grant_types"] == [DEVICE]
    app = registration_requests.client_of(info)
    assert app.is_self_registered and device_kit.started(client, app, scope="read:profile")


def test_an_unknown_grant_is_still_refused(client, open_registration):  # noqa: F811
    response = registration_requests.register(
        client, {"grant_types": ["urn:example:unknown"], "token_endpoint_auth_method": "none"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
