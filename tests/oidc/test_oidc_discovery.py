"""OpenID Connect Discovery 1.0 (3): the provider metadata names what is really implemented."""

from http import HTTPStatus

import jwt
import pytest
from django.urls import reverse

from oauthcore.jose import keyring
from tests import oidc_flow

pytestmark = pytest.mark.django_db

ISSUER = "http://testserver"
URL = "/.well-known/openid-configuration"
# OpenID Connect Discovery 1.0, section 3: REQUIRED for every OpenID Provider.
REQUIRED = [
    "issuer",
    "authorization_endpoint",
    "token_endpoint",  # REQUIRED unless only the implicit flow is used
    "jwks_uri",
    "response_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
]


@pytest.fixture
def doc(client):
    response = client.get(URL)
    assert response.status_code == HTTPStatus.OK
    assert response["Access-Control-Allow-Origin"] == "*"
    return response.json()


def test_required_members_are_present(doc):
    for name in REQUIRED:
        assert doc.get(name), name
    assert doc["issuer"] == ISSUER  # Discovery 4.3: the same as the URL it came from
    assert doc["subject_types_supported"] == ["public"]
    assert doc["response_types_supported"] == ["code"]  # "code" is required of dynamic OPs


def test_oidc_endpoints_are_advertised_and_answer(client, doc):
    assert doc["userinfo_endpoint"] == ISSUER + reverse("oauthcore:userinfo")
    assert doc["end_session_endpoint"] == ISSUER + reverse("oauthcore:end-session")
    path = doc["userinfo_endpoint"].removeprefix(ISSUER)
    assert client.get(path).status_code == HTTPStatus.UNAUTHORIZED
    assert client.get(doc["end_session_endpoint"].removeprefix(ISSUER)).status_code == 200


def test_scopes_and_claims(doc):
    assert {"openid", "profile", "email", "read:profile"} <= set(doc["scopes_supported"])
    claims = set(doc["claims_supported"])
    assert {"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "sid"} <= claims
    assert {"name", "preferred_username", "email", "email_verified"} <= claims


def test_unsupported_features_are_declared_off(doc):
    # Discovery 3: request_uri_parameter_supported defaults to true, so it must be said.
    assert doc["request_uri_parameter_supported"] is False
    assert doc["request_parameter_supported"] is True  # RFC 9101 by value: request objects
    assert doc["claims_parameter_supported"] is False
    assert doc["prompt_values_supported"] == ["none", "login", "consent"]
    assert "none" not in doc["id_token_signing_alg_values_supported"]


@pytest.mark.parametrize("algorithm", ["RS256", "PS256", "ES256", "EdDSA"])
def test_the_signing_algorithm_is_the_active_keys(client, settings, algorithm):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "SIGNING_ALGORITHM": algorithm}
    doc = client.get(URL).json()
    assert doc["id_token_signing_alg_values_supported"] == [algorithm]


def test_every_published_key_algorithm_is_listed_signing_one_first(client):
    client.get(URL)  # makes the first (RS256) key
    keyring.create_key("ES256", state="next")
    keyring.forget()
    doc = client.get(URL).json()
    assert doc["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]


def test_hs256_deployments_say_so(client, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "HS256_SECRET": "x" * 40}
    assert client.get(URL).json()["id_token_signing_alg_values_supported"] == ["HS256"]


def test_an_rp_can_run_the_flow_from_the_document_alone(client, client_app, user, doc):
    body = oidc_flow.sign_in(client, client_app, user)
    claims = oidc_flow.verify(client, body["id_token"], audience=client_app.client_id)
    assert claims["iss"] == doc["issuer"]
    assert (
        jwt.get_unverified_header(body["id_token"])["alg"]
        in doc["id_token_signing_alg_values_supported"]
    )
    path = doc["userinfo_endpoint"].removeprefix(ISSUER)
    info = client.get(path, HTTP_AUTHORIZATION=f"Bearer {body['access_token']}").json()
    assert info["sub"] == claims["sub"]  # OIDC Core 5.3.2: the same sub as the ID token
