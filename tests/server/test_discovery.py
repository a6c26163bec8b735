"""JWKS (RFC 7517), RFC 8414 metadata and OpenID discovery, as published."""

from http import HTTPStatus

import jwt
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ISSUER = "http://testserver"


@pytest.mark.parametrize(
    "path", ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]
)
def test_metadata_names_real_endpoints(client, path):
    response = client.get(path)
    assert response.status_code == HTTPStatus.OK
    doc = response.json()
    # RFC 8414 3.3: the issuer in the document is the issuer the document was fetched for.
    assert doc["issuer"] == ISSUER
    assert doc["authorization_endpoint"] == ISSUER + reverse("oauthcore:authorize")
    assert doc["token_endpoint"] == ISSUER + reverse("oauthcore:token")
    assert doc["jwks_uri"] == ISSUER + reverse("oauthcore:jwks")
    assert doc["revocation_endpoint"] == ISSUER + reverse("oauthcore:revoke")
    assert doc["introspection_endpoint"] == ISSUER + reverse("oauthcore:introspect")
    assert "none" in doc["revocation_endpoint_auth_methods_supported"]  # public clients revoke
    assert "none" not in doc["introspection_endpoint_auth_methods_supported"]
    assert doc["response_types_supported"] == ["code"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert set(doc["grant_types_supported"]) == {
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:device_code",
        "urn:ietf:params:oauth:grant-type:token-exchange",
    }
    assert "read:email" in doc["scopes_supported"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "none" not in doc["id_token_signing_alg_values_supported"]
    assert doc["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
        "client_secret_jwt",
        "private_key_jwt",
        "none",
    ]
    # OpenID Discovery 3: these are REQUIRED.
    for name in ("subject_types_supported", "response_types_supported", "jwks_uri"):
        assert name in doc


def test_jwks_publishes_public_members_only(client):
    response = client.get(reverse("oauthcore:jwks"))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/jwk-set+json"
    assert "max-age" in response["Cache-Control"]
    (jwk,) = response.json()["keys"]
    assert jwk["kty"] == "RSA"
    assert jwk["alg"] == "RS256"
    assert jwk["use"] == "sig"
    assert jwk["kid"]
    private_members = {"d", "p", "q", "dp", "dq", "qi", "k"}
    assert not private_members & set(jwk)
    # A standard library reads it.
    key = jwt.PyJWK(jwk)
    assert key.key_id == jwk["kid"]


@pytest.mark.parametrize("alg,kty", [("ES256", "EC"), ("EdDSA", "OKP"), ("PS256", "RSA")])
def test_jwks_for_each_algorithm(client, settings, alg, kty):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "SIGNING_ALGORITHM": alg}
    (jwk,) = client.get(reverse("oauthcore:jwks")).json()["keys"]
    assert (jwk["kty"], jwk["alg"]) == (kty, alg)
    assert "d" not in jwk
    assert jwt.PyJWK(jwk).algorithm_name == alg


def test_hs256_secret_is_never_published(client, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "HS256_SECRET": "x" * 40}
    assert client.get(reverse("oauthcore:jwks")).json() == {"keys": []}


def test_discovery_refuses_post(client):
    response = client.post("/.well-known/oauth-authorization-server")
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
