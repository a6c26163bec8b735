"""Clients of the RFC 7523 methods, registered every way a client comes to be: dynamic
registration, ``createclient --metadata``, the admin and client ID metadata documents."""

import json
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from oauthcore.models import Client
from tests import browser, protocol
from tests.client_jwt import assertion, form, hmac_assertion, key_pair
from tests.document_server import DocumentServer
from tests.factories import VERIFIER
from tests.ops.test_admin import ADD_URL, client_form
from tests.registration_requests import (  # noqa: F401 (open_registration: a fixture)
    WEB,
    client_of,
    oauth_error,
    open_registration,
    register,
    registered,
)
from tests.security.kit import redirect_query

pytestmark = pytest.mark.django_db

GRANT = {"grant_type": "client_credentials", "scope": "publish"}


def code_grant(code, redirect_uri=WEB):
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": VERIFIER,
    }


# Dynamic registration (RFC 7591)


@pytest.mark.usefixtures("open_registration")
def test_a_registered_private_key_jwt_client_has_no_secret_and_uses_its_key(client, user):
    pair = key_pair("EdDSA")
    document = {"redirect_uris": [WEB], "token_endpoint_auth_method": "private_key_jwt"}
    info = registered(client, {**document, "jwks": pair.jwks})
    assert "client_secret" not in info and info["jwks"] == pair.jwks
    stored = client_of(info)
    assert stored.jwks == pair.jwks and not stored.secret_hash and not stored.is_public
    code = protocol.authorize(client, stored, user, scope="read:profile", redirect_uri=WEB)
    data = {**code_grant(code), **form(assertion(stored.client_id, pair))}
    assert protocol.post_token(client, data).status_code == HTTPStatus.OK


@pytest.mark.usefixtures("open_registration")
def test_a_registered_client_secret_jwt_client_gets_its_secret_once(client):
    info = registered(
        client, {"redirect_uris": [WEB], "token_endpoint_auth_method": "client_secret_jwt"}
    )
    stored = client_of(info)
    assert stored.check_secret(info["client_secret"])
    assert info["client_secret"] not in stored.secret_ciphertext


@pytest.mark.usefixtures("open_registration")
@pytest.mark.parametrize(
    "members, text",
    [
        ({}, "needs the client's keys"),
        ({"jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}}, "public keys only"),
        (
            {"jwks": {"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": "AQ"}]}},
            "public keys only",
        ),
        ({"jwks_uri": "http://keys.example/jwks.json"}, "jwks_uri cannot be fetched"),
        ({"jwks_uri": "https://keys.example/jwks.json", "jwks": key_pair().jwks}, "not both"),
    ],
)
def test_a_private_key_jwt_client_needs_public_keys(client, members, text):
    document = {"redirect_uris": [WEB], "token_endpoint_auth_method": "private_key_jwt", **members}
    body = oauth_error(register(client, document))
    assert body["error"] == "invalid_client_metadata"
    assert text in body["error_description"].replace("'", "'")
    assert not Client.objects.exists()


# createclient --metadata


def createclient(capsys, document) -> dict:
    call_command("createclient", "--metadata", json.dumps(document), "--json")
    return json.loads(capsys.readouterr().out)


def test_createclient_prints_a_null_secret_for_a_private_key_jwt_client(capsys, client):
    pair = key_pair()
    document = {
        "client_name": "Cron",
        "grant_types": ["client_credentials"],
        "scope": "publish",
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": pair.jwks,
    }
    out = createclient(capsys, document)
    assert out["client_secret"] is None and out["token_endpoint_auth_method"] == "private_key_jwt"
    response = protocol.post_token(client, {**GRANT, **form(assertion(out["client_id"], pair))})
    assert response.status_code == HTTPStatus.OK


def test_createclient_prints_the_secret_of_a_client_secret_jwt_client(capsys, client):
    document = {
        "client_name": "HMAC cron",
        "grant_types": ["client_credentials"],
        "scope": "publish",
        "token_endpoint_auth_method": "client_secret_jwt",
    }
    out = createclient(capsys, document)
    token = hmac_assertion(out["client_id"], out["client_secret"])
    assert protocol.post_token(client, {**GRANT, **form(token)}).status_code == HTTPStatus.OK


def test_createclient_refuses_a_private_key_jwt_client_without_keys():
    document = {"client_name": "Keyless", "grant_types": ["client_credentials"]}
    with pytest.raises(CommandError, match="needs the client's keys"):
        call_command(
            "createclient",
            "--metadata",
            json.dumps({**document, "token_endpoint_auth_method": "private_key_jwt"}),
        )


# The admin


def test_the_admin_adds_a_private_key_jwt_client_without_a_secret(admin_client):
    pair = key_pair()
    data = client_form(token_endpoint_auth_method="private_key_jwt", jwks=json.dumps(pair.jwks))
    response = admin_client.post(ADD_URL, data)
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[-3000:]
    stored = Client.objects.get(name="Admin App")
    assert stored.jwks == pair.jwks and not stored.secret_hash and not stored.secret_ciphertext
    rotate = reverse("admin:oauthcore_client_rotate_secret", args=[stored.pk])
    admin_client.post(rotate, {"keep_previous_for": "0"})
    assert not Client.objects.get(pk=stored.pk).secret_hash  # it has no secret to rotate


def test_the_admin_refuses_a_private_key_in_jwks(admin_client):
    private = {"kty": "EC", "crv": "P-256", "x": "x", "y": "y", "d": "d"}
    data = client_form(
        token_endpoint_auth_method="private_key_jwt", jwks=json.dumps({"keys": [private]})
    )
    response = admin_client.post(ADD_URL, data)
    assert response.status_code == HTTPStatus.OK
    assert "public keys only" in response.content.decode()
    assert not Client.objects.exists()


def test_the_admin_shows_a_client_secret_jwt_secret_once_and_keeps_it_encrypted(
    admin_client, client
):
    data = client_form(
        token_endpoint_auth_method="client_secret_jwt",
        grant_types=["client_credentials"],
        allowed_scopes=["publish"],
        default_scopes=[],
        redirect_uris="",
    )
    response = admin_client.post(ADD_URL, data)
    assert response.status_code == HTTPStatus.OK
    secret = response.context["secret"]
    stored = Client.objects.get(name="Admin App")
    assert stored.secret_ciphertext and secret not in stored.secret_ciphertext
    token = hmac_assertion(stored.client_id, secret)
    assert protocol.post_token(client, {**GRANT, **form(token)}).status_code == HTTPStatus.OK


# Client ID metadata documents


@pytest.fixture
def docs(settings):
    settings.OAUTHCORE = {
        **settings.OAUTHCORE,
        "CLIENT_ID_METADATA_DOCUMENTS": True,
        "FETCH_ALLOW_LOOPBACK": True,
    }
    server = DocumentServer()
    yield server
    server.close()


def test_a_document_client_authenticates_with_the_keys_of_its_jwks_uri(client, user, docs):
    pair = key_pair()
    jwks_uri = docs.serve("/jwks.json", pair.jwks)
    client_id = docs.document(token_endpoint_auth_method="private_key_jwt", jwks_uri=jwks_uri)
    callback = "https://doc-app.example/callback"
    client.force_login(user)
    params = protocol.authorize_params(
        Client(client_id=client_id, redirect_uris=[callback]), scope="read:profile"
    )
    response = client.get(reverse("oauthcore:authorize") + "?" + urlencode(params))
    assert response.status_code == HTTPStatus.OK, response.content.decode()[-2000:]
    stored = Client.objects.get(client_id=client_id)
    assert stored.token_endpoint_auth_method == "private_key_jwt" and not stored.is_public
    assert stored.jwks_uri == jwks_uri
    consent = browser.form_with_button(response.content.decode(), "Allow")
    allowed = protocol.post_form(client, reverse("oauthcore:authorize"), consent.data("Allow"))
    code = redirect_query(allowed, callback)["code"]
    bare = protocol.post_token(client, {**code_grant(code, callback), "client_id": client_id})
    assert bare.status_code == HTTPStatus.UNAUTHORIZED  # a confidential client must prove itself
    data = {**code_grant(code, callback), **form(assertion(client_id, pair))}
    response = protocol.post_token(client, data)
    assert response.status_code == HTTPStatus.OK, response.content
