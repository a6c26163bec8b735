"""The table of client authentication methods, keyed by Client.token_endpoint_auth_method."""

import base64
from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError

from oauthcore.errors import InvalidClientMetadata
from oauthcore.models import Client
from oauthcore.server import client_auth, registration
from tests import factories
from tests.protocol import basic_auth, post_token

pytestmark = pytest.mark.django_db

GRANT = {"grant_type": "client_credentials", "scope": "publish"}
Method = Client.TokenEndpointAuthMethod


def assert_invalid_client(response):
    assert response.status_code == HTTPStatus.UNAUTHORIZED, response.content
    assert response.json()["error"] == "invalid_client"


def test_a_public_client_gets_none_and_a_confidential_one_basic(public_client, client_app):
    assert public_client.token_endpoint_auth_method == Method.NONE
    assert client_app.token_endpoint_auth_method == Method.CLIENT_SECRET_BASIC


def test_a_none_client_presenting_a_secret_in_the_form_is_refused(client, public_client, secret):
    data = {**GRANT, "client_id": public_client.client_id, "client_secret": secret}
    assert_invalid_client(post_token(client, data))


def test_a_none_client_presenting_basic_is_refused(client, public_client, secret):
    response = post_token(client, GRANT, **basic_auth(public_client.client_id, secret))
    assert_invalid_client(response)
    assert response["WWW-Authenticate"].startswith("Basic ")


def test_a_confidential_client_presenting_nothing_is_refused(client, client_app):
    response = post_token(client, {**GRANT, "client_id": client_app.client_id})
    assert_invalid_client(response)
    assert "WWW-Authenticate" not in response


@pytest.mark.parametrize("method", [Method.CLIENT_SECRET_BASIC, Method.CLIENT_SECRET_POST])
@pytest.mark.parametrize("presented", ["basic", "post"])
def test_a_secret_client_may_present_its_secret_either_way(client, secret, method, presented):
    """RFC 6749 2.3.1: both presentations of a secret work for either registered secret method."""
    app = factories.ClientFactory(token_endpoint_auth_method=method)
    if presented == "basic":
        response = post_token(client, GRANT, **basic_auth(app.client_id, secret))
    else:
        response = post_token(
            client, {**GRANT, "client_id": app.client_id, "client_secret": secret}
        )
    assert response.status_code == HTTPStatus.OK, response.content


def test_a_client_with_an_unknown_method_is_refused(client, client_app, secret):
    Client.objects.filter(pk=client_app.pk).update(token_endpoint_auth_method="tls_client_auth")
    client_auth.forget()
    assert_invalid_client(post_token(client, GRANT, **basic_auth(client_app.client_id, secret)))


def test_the_metadata_comes_from_the_table(client):
    document = client.get("/.well-known/oauth-authorization-server").json()
    authenticating = [
        "client_secret_basic",
        "client_secret_post",
        "client_secret_jwt",
        "private_key_jwt",
    ]
    assert client_auth.supported() == [*authenticating, "none"]
    assert document["token_endpoint_auth_methods_supported"] == client_auth.supported()
    assert document["revocation_endpoint_auth_methods_supported"] == client_auth.supported()
    assert document["introspection_endpoint_auth_methods_supported"] == authenticating
    for endpoint in ("token", "revocation", "introspection"):
        algorithms = document[f"{endpoint}_endpoint_auth_signing_alg_values_supported"]
        assert algorithms == ["ES256", "EdDSA", "PS256", "RS256", "HS256"]


@pytest.mark.parametrize(
    "client_type, method",
    [
        (Client.ClientType.PUBLIC, Method.CLIENT_SECRET_BASIC),
        (Client.ClientType.PUBLIC, Method.CLIENT_SECRET_POST),
        (Client.ClientType.CONFIDENTIAL, Method.NONE),
    ],
)
def test_the_model_keeps_public_and_none_together(client_type, method):
    with pytest.raises(ValidationError):
        factories.ClientFactory(client_type=client_type, token_endpoint_auth_method=method)
    with pytest.raises(InvalidClientMetadata):
        registration.validate_auth_method(client_type, method)


def test_registration_refuses_an_unknown_method():
    with pytest.raises(InvalidClientMetadata, match="Unknown token_endpoint_auth_method"):
        registration.validate_auth_method(Client.ClientType.CONFIDENTIAL, "magic")


@pytest.mark.parametrize("method", ["private_key_jwt", "client_secret_jwt"])
def test_registration_accepts_the_rfc_7523_methods_now_in_the_table(method):
    assert registration.validate_auth_method(Client.ClientType.CONFIDENTIAL, method) == method
    with pytest.raises(InvalidClientMetadata):  # still never a public client's
        registration.validate_auth_method(Client.ClientType.PUBLIC, method)


def test_create_client_stores_the_chosen_method():
    client, secret = registration.create_client(
        name="Poster",
        grant_types=["client_credentials"],
        scope="publish",
        token_endpoint_auth_method=Method.CLIENT_SECRET_POST,
    )
    assert secret
    stored = Client.objects.get(pk=client.pk)
    assert stored.token_endpoint_auth_method == Method.CLIENT_SECRET_POST


def test_basic_with_a_bad_header_is_still_a_basic_failure(client, client_app):
    bad = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"no colon").decode()}
    response = post_token(client, GRANT, **bad)
    assert_invalid_client(response)
    assert response["WWW-Authenticate"].startswith("Basic ")
