"""require_pushed_authorization_requests (RFC 9126 6) through createclient --metadata, dynamic
registration and the admin, all with the one validator; and the pushed flow for such a client."""

import json
from http import HTTPStatus

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from oauthcore.models import Client
from tests import protocol
from tests.par_kit import authorize_pushed, pushed_uri
from tests.registration_requests import open_registration, register, registered  # noqa: F401
from tests.security import kit

pytestmark = pytest.mark.django_db

WEB = "https://app.example.com/callback"


def createclient(capsys, **members) -> dict:
    document = {"redirect_uris": [WEB], "client_name": "PAR app", **members}
    call_command("createclient", "--metadata", json.dumps(document), "--json")
    return json.loads(capsys.readouterr().out)


def test_createclient_metadata_requires_par(capsys):
    out = createclient(capsys, require_pushed_authorization_requests=True)
    assert out["require_pushed_authorization_requests"] is True
    assert Client.objects.get(client_id=out["client_id"]).require_pushed_authorization_requests


def test_createclient_default_does_not_require_par(capsys):
    out = createclient(capsys)
    assert "require_pushed_authorization_requests" not in out
    assert not Client.objects.get(client_id=out["client_id"]).require_pushed_authorization_requests


@pytest.mark.parametrize("value", ["true", 1, [True]])
def test_createclient_refuses_a_non_boolean(capsys, value):
    with pytest.raises(CommandError, match="require_pushed_authorization_requests"):
        createclient(capsys, require_pushed_authorization_requests=value)
    assert not Client.objects.exists()


def test_dynamic_registration_accepts_and_returns_it(client, open_registration):  # noqa: F811
    document = {"redirect_uris": [WEB], "require_pushed_authorization_requests": True}
    body = registered(client, document)
    assert body["require_pushed_authorization_requests"] is True
    app = Client.objects.get(client_id=body["client_id"])
    assert app.require_pushed_authorization_requests
    response = kit.authorize(client, protocol.authorize_params(app))
    assert kit.redirect_query(response, WEB)["error"] == "invalid_request"


def test_dynamic_registration_refuses_a_non_boolean(client, open_registration):  # noqa: F811
    document = {"redirect_uris": [WEB], "require_pushed_authorization_requests": "yes"}
    response = register(client, document)
    kit.assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_client_metadata")


@pytest.mark.parametrize("ticked", [True, False])
def test_the_admin_sets_it(admin_client, ticked):
    data = {
        "name": "Admin App",
        "client_id": "",
        "client_type": "confidential",
        "grant_types": ["authorization_code"],
        "redirect_uris": WEB,
        "allowed_scopes": ["read:profile"],
        "is_active": "on",
        "metadata": "{}",
        **({"require_pushed_authorization_requests": "on"} if ticked else {}),
    }
    response = admin_client.post(reverse("admin:oauthcore_client_add"), data)
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.FOUND)
    app = Client.objects.get(name="Admin App")
    assert app.require_pushed_authorization_requests is ticked
    page = admin_client.get(reverse("admin:oauthcore_client_change", args=[app.pk]))
    assert 'name="require_pushed_authorization_requests"' in page.content.decode()


def test_a_client_requiring_par_completes_a_pushed_flow(client, client_factory, user):
    app = client_factory(require_pushed_authorization_requests=True)
    client.force_login(user)
    request_uri = pushed_uri(client, app)
    assert authorize_pushed(client, request_uri, app.client_id).status_code == HTTPStatus.OK
