"""Where a client gets its token_endpoint_auth_method: createclient and the admin."""

import json
from http import HTTPStatus
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from oauthcore.models import Client

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:oauthcore_client_add")
FIELD = 'name="token_endpoint_auth_method"'


def createclient(*args):
    out = StringIO()
    call_command("createclient", "--name", "App", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_createclient_public_stores_none():
    data = createclient(
        "--public", "--grant-types", "authorization_code", "--redirect-uris", "http://127.0.0.1/cb"
    )
    assert data["token_endpoint_auth_method"] == "none"
    client = Client.objects.get(client_id=data["client_id"])
    assert client.is_public
    assert client.token_endpoint_auth_method == "none"


def test_createclient_confidential_defaults_to_basic_or_takes_a_method():
    data = createclient("--grant-types", "client_credentials", "--scopes", "publish")
    assert Client.objects.get(client_id=data["client_id"]).token_endpoint_auth_method == (
        "client_secret_basic"
    )
    data = createclient(
        "--grant-types", "client_credentials", "--token-endpoint-auth-method", "client_secret_post"
    )
    assert data["client_secret"]
    assert Client.objects.get(client_id=data["client_id"]).token_endpoint_auth_method == (
        "client_secret_post"
    )


def test_createclient_refuses_a_public_client_with_a_secret_method():
    with pytest.raises(CommandError, match="public client"):
        createclient(
            "--public", "--token-endpoint-auth-method", "client_secret_basic",
            "--grant-types", "authorization_code", "--redirect-uris", "http://127.0.0.1/cb",
        )  # fmt: skip
    assert not Client.objects.exists()


def form(**overrides):
    data = {
        "name": "Admin App",
        "client_id": "",
        "client_type": "confidential",
        "grant_types": ["client_credentials"],
        "allowed_scopes": ["publish"],
        "is_active": "on",
        "metadata": "{}",
    }
    return {**data, **overrides}


def test_the_admin_form_shows_the_field(admin_client, client_app):
    assert FIELD in admin_client.get(ADD_URL).content.decode()
    change = reverse("admin:oauthcore_client_change", args=[client_app.pk])
    page = admin_client.get(change).content.decode()
    assert FIELD in page
    assert '<option value="client_secret_basic" selected>' in page


def test_the_admin_stores_the_chosen_method(admin_client):
    data = form(token_endpoint_auth_method="client_secret_post")
    assert admin_client.post(ADD_URL, data).status_code == HTTPStatus.OK  # the secret page
    assert Client.objects.get().token_endpoint_auth_method == "client_secret_post"


def test_the_admin_refuses_none_for_a_confidential_client(admin_client):
    response = admin_client.post(ADD_URL, form(token_endpoint_auth_method="none"))
    assert response.status_code == HTTPStatus.OK
    assert "confidential client never does" in response.content.decode()
    assert not Client.objects.exists()


def test_switching_the_type_in_the_admin_switches_the_default_method(admin_client, public_client):
    url = reverse("admin:oauthcore_client_change", args=[public_client.pk])
    data = form(name="Now confidential", token_endpoint_auth_method="none")  # as the page shows
    data["grant_types"] = ["authorization_code"]
    data["redirect_uris"] = "https://app.example.com/callback"
    assert admin_client.post(url, data).status_code == HTTPStatus.OK  # the new secret's page
    public_client.refresh_from_db()
    assert not public_client.is_public
    assert public_client.token_endpoint_auth_method == "client_secret_basic"
