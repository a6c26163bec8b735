"""The example resource API of PRODUCT.md, endpoint by endpoint, through HTTP."""

import json
from http import HTTPStatus

import pytest

from oauthcore.testing import authorization_header
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(user):
    user.first_name, user.last_name = "Alice", "Liddell"
    user.save()
    return user


def bearer(user=None, *scopes, client=None):
    return authorization_header(user=user, client=client, scopes=scopes)


def test_get_profile(client, alice):
    response = client.get("/api/profile/", **bearer(alice, "read:profile"))
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "sub": str(alice.pk),
        "username": "alice",
        "name": "Alice Liddell",
        "first_name": "Alice",
        "last_name": "Liddell",
    }


def test_patch_profile(client, alice):
    response = client.patch(
        "/api/profile/",
        json.dumps({"first_name": "Al", "last_name": "Ice", "username": "mallory"}),
        content_type="application/json",
        **bearer(alice, "write:profile"),
    )
    assert response.status_code == HTTPStatus.OK
    assert response.json()["name"] == "Al Ice"
    alice.refresh_from_db()
    assert (alice.first_name, alice.last_name, alice.username) == ("Al", "Ice", "alice")


def test_patch_profile_validates(client, alice):
    response = client.patch(
        "/api/profile/",
        json.dumps({"first_name": "x" * 500}),
        content_type="application/json",
        **bearer(alice, "write:profile"),
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "first_name" in response.json()


@pytest.mark.parametrize(
    "method,scope",
    [("get", "write:profile"), ("patch", "read:profile")],
)
def test_profile_scopes_per_method(client, alice, method, scope):
    response = getattr(client, method)("/api/profile/", **bearer(alice, scope))
    assert response.status_code == HTTPStatus.FORBIDDEN
    needed = "write:profile" if method == "patch" else "read:profile"
    assert f'scope="{needed}"' in response["WWW-Authenticate"]


def test_profile_refuses_other_methods(client, alice):
    everything = bearer(alice, "read:profile", "write:profile")
    assert client.delete("/api/profile/", **everything).status_code == HTTPStatus.FORBIDDEN


def test_email(client, alice):
    response = client.get("/api/email/", **bearer(alice, "read:email"))
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"sub": str(alice.pk), "email": "alice@example.com"}


def test_contacts(client, alice):
    response = client.get("/api/contacts/", **bearer(alice, "read:contacts"))
    assert response.status_code == HTTPStatus.OK
    assert len(response.json()["contacts"]) == 3
    assert client.get("/api/contacts/", **bearer(alice, "read:email")).status_code == 403


def test_publish_with_client_credentials(client):
    machine = ClientFactory(client_id="publisher")
    response = client.post(
        "/api/publish/",
        {"content": "hello"},
        content_type="application/json",
        **bearer(None, "publish", client=machine),
    )
    assert response.status_code == HTTPStatus.CREATED
    assert response.json() == {"published": True, "content": "hello", "client_id": "publisher"}


def test_publish_needs_the_scope(client, alice):
    response = client.post("/api/publish/", **bearer(alice, "read:profile"))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert 'error="insufficient_scope", ' in response["WWW-Authenticate"]
    assert 'scope="publish"' in response["WWW-Authenticate"]


def test_a_client_token_has_no_profile(client):
    machine = bearer(None, "read:profile", client=ClientFactory())
    assert client.get("/api/profile/", **machine).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize(
    "method,url",
    [
        ("get", "/api/profile/"),
        ("patch", "/api/profile/"),
        ("get", "/api/email/"),
        ("get", "/api/contacts/"),
        ("post", "/api/publish/"),
    ],
)
def test_every_endpoint_needs_a_token(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    metadata = 'resource_metadata="http://testserver/.well-known/oauth-protected-resource/api/"'
    assert response["WWW-Authenticate"] == (  # RFC 6750 3 and RFC 9449 7.1, both schemes
        f'Bearer realm="http://testserver", {metadata}, '
        f'DPoP algs="ES256 EdDSA PS256 RS256", {metadata}'
    )
