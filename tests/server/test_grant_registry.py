"""The registry of grant types: a grant registered through the public API is served and published."""

from http import HTTPStatus

import pytest

from oauthcore import errors
from oauthcore.server import grants
from tests import factories
from tests.protocol import basic_auth, post_token

pytestmark = pytest.mark.django_db

TOY = "urn:example:test"
METADATA = "/.well-known/oauth-authorization-server"


def toy_grant(client, params, *, now=None):
    """Answer with the client and a parameter: enough to see the endpoint ran it."""
    if params.get("fail"):
        raise errors.InvalidGrant("The toy grant refuses.")
    return {"access_token": f"toy-{client.client_id}", "token_type": "Bearer", "echo": params["x"]}


@pytest.fixture
def toy():
    grants.register(TOY, toy_grant)
    yield TOY
    grants.unregister(TOY)


@pytest.fixture
def toy_client(db):
    return factories.ClientFactory(grant_types=["client_credentials", TOY])


def published(http):
    return http.get(METADATA).json()["grant_types_supported"]


BUILT_IN = [
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:token-exchange",
]


def test_the_built_in_grants_in_their_order():
    assert grants.supported() == BUILT_IN


def test_a_registered_grant_is_published_and_served(client, toy, toy_client):
    assert TOY in published(client)
    response = post_token(client, {"grant_type": TOY, "x": "1"}, **basic_auth(toy_client.client_id))
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json() == {
        "access_token": f"toy-{toy_client.client_id}",
        "token_type": "Bearer",
        "echo": "1",
    }
    assert response["Cache-Control"] == "no-store"


def test_a_registered_grant_raises_oauth_errors_as_usual(client, toy, toy_client):
    data = {"grant_type": TOY, "x": "1", "fail": "1"}
    response = post_token(client, data, **basic_auth(toy_client.client_id))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_grant"


def test_a_client_must_be_allowed_the_registered_grant(client, toy, client_app):
    response = post_token(client, {"grant_type": TOY, "x": "1"}, **basic_auth(client_app.client_id))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "unauthorized_client"


def test_an_unregistered_grant_is_neither_published_nor_served(client, toy_client):
    grants.register(TOY, toy_grant)
    grants.unregister(TOY)
    assert TOY not in published(client)
    response = post_token(client, {"grant_type": TOY, "x": "1"}, **basic_auth(toy_client.client_id))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "unsupported_grant_type"
    assert grants.supported() == BUILT_IN
