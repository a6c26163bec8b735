"""The example API's protected resource metadata (RFC 9728), as PRODUCT.md fixes it.

``{issuer}/.well-known/oauth-protected-resource/api/`` describes ``{issuer}/api/``; every 401 of
the API names it; a client that knows nothing but the API's URL discovers its way to a token.
"""

import re
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from oauthcore.testing import authorization_header
from tests.factories import ClientFactory
from tests.protocol import claims_of, client_credentials

pytestmark = pytest.mark.django_db

ISSUER = "http://testserver"
RESOURCE = f"{ISSUER}/api/"
METADATA = f"{ISSUER}/.well-known/oauth-protected-resource/api/"
ENDPOINTS = [
    ("get", "/api/profile/"),
    ("patch", "/api/profile/"),
    ("get", "/api/email/"),
    ("get", "/api/contacts/"),
    ("post", "/api/publish/"),
]


def params(challenge: str) -> dict[str, str]:
    scheme, _, rest = challenge.partition(" ")
    assert scheme == "Bearer"
    return dict(re.findall(r'([A-Za-z_]+)="([^"\\]*)"', rest))


def get(client, url: str):
    """GET an absolute URL of the issuer through the test client."""
    assert url.startswith(ISSUER + "/")
    return client.get(urlsplit(url).path)


def test_the_metadata_document(client):
    response = client.get("/.well-known/oauth-protected-resource/api/")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "resource": RESOURCE,
        "authorization_servers": [ISSUER],
        "scopes_supported": [
            "read:profile",
            "write:profile",
            "read:email",
            "read:contacts",
            "publish",
        ],
        "bearer_methods_supported": ["header"],
    }
    assert reverse("api-resource-metadata") == "/.well-known/oauth-protected-resource/api/"


@pytest.mark.parametrize("method,url", ENDPOINTS)
def test_every_401_names_the_metadata(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    challenge = response["WWW-Authenticate"]
    assert params(challenge) == {
        "realm": ISSUER,
        "resource_metadata": METADATA,
        "algs": "ES256 EdDSA PS256 RS256",  # the DPoP challenge beside Bearer (RFC 9449 7.1)
    }
    assert challenge.count(f'resource_metadata="{METADATA}"') == 2  # in both challenges
    bad = getattr(client, method)(url, HTTP_AUTHORIZATION="Bearer e30.e30.e30")
    assert bad.status_code == HTTPStatus.UNAUTHORIZED
    assert params(bad["WWW-Authenticate"])["error"] == "invalid_token"
    assert params(bad["WWW-Authenticate"])["resource_metadata"] == METADATA


def test_a_403_names_it_too(client, user):
    response = client.get("/api/email/", **authorization_header(user=user, scopes=["read:profile"]))
    assert response.status_code == HTTPStatus.FORBIDDEN
    found = params(response["WWW-Authenticate"])
    assert (found["error"], found["scope"]) == ("insufficient_scope", "read:email")
    assert found["resource_metadata"] == METADATA


def test_the_host_header_does_not_change_the_url(client):
    response = client.get("/api/email/", HTTP_HOST="localhost")
    assert params(response["WWW-Authenticate"])["resource_metadata"] == METADATA


@pytest.mark.parametrize("aud", [RESOURCE, ISSUER, [RESOURCE, "https://calendar.example.com/"]])
def test_tokens_for_the_api_and_the_default_audience_are_accepted(client, user, aud):
    header = authorization_header(user=user, scopes=["read:email"], aud=aud)
    assert client.get("/api/email/", **header).status_code == HTTPStatus.OK


@pytest.mark.parametrize("aud", ["https://calendar.example.com/", f"{ISSUER}/api", f"{ISSUER}/"])
def test_a_token_for_another_resource_is_refused(client, user, aud):
    header = authorization_header(user=user, scopes=["read:email"], aud=aud)
    response = client.get("/api/email/", **header)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    found = params(response["WWW-Authenticate"])
    assert found["error"] == "invalid_token"
    assert found["resource_metadata"] == METADATA


def test_the_document_follows_the_issuer(client, settings):
    issuer = "https://auth.example.com"
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ISSUER": issuer}
    document = client.get("/.well-known/oauth-protected-resource/api/").json()
    assert (document["resource"], document["authorization_servers"]) == (f"{issuer}/api/", [issuer])
    challenge = params(client.get("/api/email/")["WWW-Authenticate"])
    assert challenge["resource_metadata"] == f"{issuer}/.well-known/oauth-protected-resource/api/"


def test_a_client_discovers_its_way_from_a_401_to_a_token(client, settings):
    """RFC 9728 5: 401 → resource metadata → authorization server metadata → token → call."""
    # the example registers {issuer}/api/ from its environment; the tests' issuer is testserver
    settings.OAUTHCORE = {**settings.OAUTHCORE, "RESOURCES": [RESOURCE]}
    refused = client.post("/api/publish/", {"content": "hello"})
    document = get(client, params(refused["WWW-Authenticate"])["resource_metadata"]).json()
    assert document["resource"] == RESOURCE  # RFC 9728 3.3
    (issuer,) = document["authorization_servers"]
    server = get(client, f"{issuer}/.well-known/oauth-authorization-server").json()
    assert server["issuer"] == issuer
    assert urlsplit(server["token_endpoint"]).path == reverse("oauthcore:token")
    machine = ClientFactory(grant_types=["client_credentials"])
    response = client_credentials(client, machine, scope="publish", resource=document["resource"])
    assert response.status_code == HTTPStatus.OK, response.content
    access_token = response.json()["access_token"]
    assert claims_of(access_token)["aud"] == RESOURCE
    published = client.post(
        "/api/publish/", {"content": "hello"}, HTTP_AUTHORIZATION=f"Bearer {access_token}"
    )
    assert published.status_code == HTTPStatus.CREATED, published.content


def test_the_example_publishes_every_resource_its_views_serve():
    from django.core.checks import run_checks

    assert [m for m in run_checks() if m.id == "oauthcore.W101"] == []
