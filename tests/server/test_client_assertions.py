"""JWT client authentication (RFC 7523 2.2): private_key_jwt and client_secret_jwt at the token,
revocation and introspection endpoints."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from oauthcore.models import Client
from tests import client_jwt
from tests.client_jwt import assertion, form, hmac_assertion, key_pair
from tests.document_server import DocumentServer
from tests.protocol import claims_of, post_form, post_token

pytestmark = pytest.mark.django_db

GRANT = {"grant_type": "client_credentials", "scope": "publish"}


def post(http, name, data):
    return post_form(http, reverse(f"oauthcore:{name}"), data)


@pytest.fixture
def docs(settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "FETCH_ALLOW_LOOPBACK": True}
    server = DocumentServer()
    yield server
    server.close()


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "PS256", "RS256"])
def test_private_key_jwt_gets_a_token(client, alg):
    pair = key_pair(alg)
    app = client_jwt.key_client(pair)
    response = post_token(client, {**GRANT, **form(assertion(app.client_id, pair))})
    assert response.status_code == HTTPStatus.OK, response.content
    assert claims_of(response.json()["access_token"])["client_id"] == app.client_id


def test_client_id_may_be_sent_beside_the_assertion(client):
    pair = key_pair()
    app = client_jwt.key_client(pair)
    data = {**GRANT, **form(assertion(app.client_id, pair), client_id=app.client_id)}
    assert post_token(client, data).status_code == HTTPStatus.OK


@pytest.mark.parametrize("audience", ["issuer", "token", "list"])
def test_the_audience_may_be_the_issuer_or_the_token_endpoint(client, audience):
    pair = key_pair()
    app = client_jwt.key_client(pair)
    token_url = "http://testserver" + reverse("oauthcore:token")
    aud = {"issuer": "http://testserver", "token": token_url, "list": ["x", token_url]}[audience]
    data = {**GRANT, **form(assertion(app.client_id, pair, aud=aud))}
    assert post_token(client, data).status_code == HTTPStatus.OK


def test_a_strict_audience_is_the_issuer_only(client, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "CLIENT_ASSERTION_STRICT_AUDIENCE": True}
    pair = key_pair()
    app = client_jwt.key_client(pair)
    token_url = "http://testserver" + reverse("oauthcore:token")
    refused = post_token(client, {**GRANT, **form(assertion(app.client_id, pair, aud=token_url))})
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    accepted = post_token(client, {**GRANT, **form(assertion(app.client_id, pair))})
    assert accepted.status_code == HTTPStatus.OK


def test_private_key_jwt_with_a_jwks_uri(client, docs):
    pair = key_pair()
    url = docs.serve("/jwks.json", pair.jwks)
    app = client_jwt.key_client(jwks_uri=url)
    assert app.jwks_uri == url and not app.jwks
    response = post_token(client, {**GRANT, **form(assertion(app.client_id, pair))})
    assert response.status_code == HTTPStatus.OK, response.content
    again = post_token(client, {**GRANT, **form(assertion(app.client_id, pair))})
    assert again.status_code == HTTPStatus.OK
    assert docs.paths() == ["/jwks.json"]  # fetched once, then cached


def test_client_secret_jwt_gets_a_token_and_its_secret_is_stored_encrypted(client):
    app, secret = client_jwt.secret_jwt_client()
    stored = Client.objects.get(pk=app.pk)
    assert stored.secret_ciphertext.startswith("fernet$") and secret not in stored.secret_ciphertext
    response = post_token(client, {**GRANT, **form(hmac_assertion(app.client_id, secret))})
    assert response.status_code == HTTPStatus.OK, response.content


def test_client_secret_jwt_with_another_secret_is_refused(client):
    app, _ = client_jwt.secret_jwt_client()
    data = {**GRANT, **form(hmac_assertion(app.client_id, "another-secret-of-32-bytes-or-more!!"))}
    response = post_token(client, data)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_client"


def test_a_client_secret_jwt_secret_survives_a_rotated_secret_key_with_fallbacks(client, settings):
    app, secret = client_jwt.secret_jwt_client()
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-django-secret-key-" + "x" * 40
    response = post_token(client, {**GRANT, **form(hmac_assertion(app.client_id, secret))})
    assert response.status_code == HTTPStatus.OK


def test_configured_encryption_keys_rotate(client, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "SECRET_ENCRYPTION_KEYS": ["old-key-" + "a" * 40]}
    app, secret = client_jwt.secret_jwt_client()
    new = ["new-key-" + "b" * 40]
    settings.OAUTHCORE = {
        **settings.OAUTHCORE,
        "SECRET_ENCRYPTION_KEYS": [*new, "old-key-" + "a" * 40],
    }
    data = {**GRANT, **form(hmac_assertion(app.client_id, secret))}
    assert post_token(client, data).status_code == HTTPStatus.OK
    settings.OAUTHCORE = {**settings.OAUTHCORE, "SECRET_ENCRYPTION_KEYS": new}  # old key dropped
    data = {**GRANT, **form(hmac_assertion(app.client_id, secret))}
    assert post_token(client, data).status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize("method", ["private_key_jwt", "client_secret_jwt"])
def test_revocation_and_introspection_accept_assertions(client, method):
    if method == "private_key_jwt":
        pair = key_pair()
        app = client_jwt.key_client(pair)
        make = lambda: assertion(app.client_id, pair)  # noqa: E731
    else:
        app, secret = client_jwt.secret_jwt_client()
        make = lambda: hmac_assertion(app.client_id, secret)  # noqa: E731
    token = post_token(client, {**GRANT, **form(make())}).json()["access_token"]
    introspected = post(client, "introspect", {"token": token, **form(make())})
    assert introspected.status_code == HTTPStatus.OK
    assert introspected.json()["active"] is True
    assert post(client, "revoke", {"token": token, **form(make())}).status_code == HTTPStatus.OK
    after = post(client, "introspect", {"token": token, **form(make())})
    assert after.json() == {"active": False}


def test_a_key_client_cannot_use_a_secret_and_a_secret_client_cannot_use_a_key(client, secret):
    pair = key_pair()
    keyed = client_jwt.key_client(pair)
    data = {**GRANT, "client_id": keyed.client_id, "client_secret": secret}
    assert post_token(client, data).status_code == HTTPStatus.UNAUTHORIZED
    hmac_app, _ = client_jwt.secret_jwt_client()
    stolen = {**GRANT, **form(assertion(hmac_app.client_id, pair))}
    assert post_token(client, stolen).status_code == HTTPStatus.UNAUTHORIZED


def test_a_secret_client_presenting_an_assertion_is_refused(client, client_app):
    pair = key_pair()
    data = {**GRANT, **form(assertion(client_app.client_id, pair))}
    assert post_token(client, data).status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize(
    "data, error",
    [
        ({"client_assertion": "x.y.z"}, "invalid_request"),  # no client_assertion_type
        ({"client_assertion_type": "urn:other", "client_assertion": "x.y.z"}, "invalid_request"),
        ({"client_assertion_type": client_jwt.ASSERTION_TYPE}, "invalid_request"),
        (
            {"client_assertion_type": client_jwt.ASSERTION_TYPE, "client_assertion": "junk"},
            "invalid_client",
        ),
    ],
)
def test_a_malformed_presentation_is_refused(client, data, error):
    response = post_token(client, {**GRANT, **data})
    assert response.json()["error"] == error
