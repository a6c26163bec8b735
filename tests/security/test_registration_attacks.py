"""Hostile registration (RFC 7591 5, RFC 7592 5): policy, tokens, floods, malformed input."""

import json
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from oauthcore import crypto
from oauthcore.models import Client, InitialAccessToken
from tests.registration_requests import (  # noqa: F401 (fixtures)
    SELF_REGISTERED_NOTE,
    WEB,
    bearer,
    client_of,
    configuration,
    consent_page,
    oauth_error,
    open_registration,
    register,
    registered,
    token_registration,
)

pytestmark = pytest.mark.django_db


def initial_token(capsys, *args) -> str:
    call_command("createregistrationtoken", *args)
    return capsys.readouterr().out.strip()


def test_registration_off_has_no_endpoint(client):
    assert register(client).status_code == HTTPStatus.NOT_FOUND
    url = reverse("oauthcore:register-client", args=["anything"])
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert not Client.objects.exists()


@pytest.mark.usefixtures("token_registration")
@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic eDp5", "Bearer "])
def test_under_token_policy_no_token_no_registration(client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    body = oauth_error(register(client, **extra), HTTPStatus.UNAUTHORIZED)
    assert body["error"] == "invalid_token"
    assert not Client.objects.exists()


@pytest.mark.usefixtures("token_registration")
def test_a_token_allows_its_uses_and_then_no_more(client, capsys):
    raw = initial_token(capsys, "--uses", "2", "--description", "partner")
    assert registered(client, **bearer(raw))
    assert oauth_error(register(client, {}, **bearer(raw)))["error"] == "invalid_redirect_uri"
    assert InitialAccessToken.objects.get().remaining_uses == 1  # a refused request spends none
    assert registered(client, **bearer(raw))
    refused = register(client, **bearer(raw))
    assert oauth_error(refused, HTTPStatus.UNAUTHORIZED)["error"] == "invalid_token"
    assert "invalid_token" in refused["WWW-Authenticate"]
    assert Client.objects.count() == 2


@pytest.mark.usefixtures("token_registration")
def test_an_expired_token_is_refused(client, capsys):
    raw = initial_token(capsys, "--expires-in", "60")
    InitialAccessToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert register(client, **bearer(raw)).status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.usefixtures("token_registration")
def test_a_deleted_token_is_refused(client, capsys):
    raw = initial_token(capsys)
    InitialAccessToken.objects.all().delete()
    assert register(client, **bearer(raw)).status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.usefixtures("open_registration")
@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_the_token_of_client_a_cannot_manage_client_b(client, method):
    a, b = registered(client), registered(client)
    document = {"client_id": b["client_id"], "redirect_uris": ["https://evil.example/cb"]}
    document = document if method == "put" else None
    response = configuration(
        client, method, b, token=a["registration_access_token"], document=document
    )
    body = oauth_error(response, HTTPStatus.UNAUTHORIZED)
    assert body["error"] == "invalid_token" and "WWW-Authenticate" in response
    assert client_of(b).redirect_uris == [WEB]


@pytest.mark.usefixtures("open_registration")
@pytest.mark.parametrize("token", ["", "x" * 5000, "Basic"])
def test_a_missing_or_bad_registration_token_reads_nothing(client, token):
    info = registered(client)
    url = reverse("oauthcore:register-client", args=[info["client_id"]])
    extra = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = client.get(url, **extra)
    assert oauth_error(response, HTTPStatus.UNAUTHORIZED)["error"] == "invalid_token"
    assert info["client_id"] not in response.content.decode()


@pytest.mark.usefixtures("open_registration")
def test_a_staff_client_cannot_be_managed_through_the_endpoint(client, client_app):
    client_app.registration_access_token_hash = crypto.hash_token("guess")
    client_app.save()  # even with a token hash, a staff client is no dynamic registration
    response = configuration(client, "delete", {"client_id": client_app.client_id}, token="guess")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert Client.objects.filter(pk=client_app.pk).exists()


@pytest.mark.usefixtures("open_registration")
def test_the_registration_access_token_is_stored_hashed(client):
    info = registered(client)
    row = Client.objects.filter(client_id=info["client_id"]).values().get()
    assert info["registration_access_token"] not in json.dumps(row, default=str)


@pytest.mark.usefixtures("open_registration")
def test_one_address_flood_does_not_block_another(client, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "REGISTRATION_RATE_LIMIT": 3}
    for _ in range(3):
        assert register(client, REMOTE_ADDR="203.0.113.7").status_code == HTTPStatus.CREATED
    flooded = register(client, REMOTE_ADDR="203.0.113.7")
    body = oauth_error(flooded, HTTPStatus.TOO_MANY_REQUESTS)
    assert body["error"] == "temporarily_unavailable" and int(flooded["Retry-After"]) > 0
    assert register(client, REMOTE_ADDR="203.0.113.8").status_code == HTTPStatus.CREATED
    assert Client.objects.count() == 4


@pytest.mark.usefixtures("open_registration")
def test_an_ipv6_flood_counts_for_its_64(client, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "REGISTRATION_RATE_LIMIT": 2}
    for suffix in ("1", "2"):
        register(client, REMOTE_ADDR=f"2001:db8:1:1::{suffix}")
    assert register(client, REMOTE_ADDR="2001:db8:1:1::ff").status_code == 429
    assert register(client, REMOTE_ADDR="2001:db8:1:2::1").status_code == HTTPStatus.CREATED


@pytest.mark.usefixtures("open_registration")
def test_the_limit_counts_the_address_behind_a_trusted_proxy(client, settings):
    settings.OAUTHCORE = {
        **settings.OAUTHCORE,
        "REGISTRATION_RATE_LIMIT": 1,
        "TRUSTED_PROXIES": ["10.0.0.1"],
    }
    via = {"REMOTE_ADDR": "10.0.0.1"}
    assert register(client, HTTP_X_FORWARDED_FOR="198.51.100.1", **via).status_code == 201
    assert register(client, HTTP_X_FORWARDED_FOR="198.51.100.1", **via).status_code == 429
    assert register(client, HTTP_X_FORWARDED_FOR="198.51.100.2", **via).status_code == 201


@pytest.mark.usefixtures("open_registration")
def test_a_self_registered_client_is_never_pre_trusted(client, user):
    info = registered(client, {"redirect_uris": [WEB], "skip_consent": True})
    assert client_of(info).skip_consent is False
    page, _form = consent_page(client, client_of(info), user)
    assert SELF_REGISTERED_NOTE in page.content.decode()


@pytest.mark.usefixtures("open_registration")
def test_no_self_registered_client_gets_tokens_without_a_user(client):
    document = {"grant_types": ["client_credentials"], "scope": "publish"}
    assert oauth_error(register(client, document))["error"] == "invalid_client_metadata"


@pytest.mark.usefixtures("open_registration")
@pytest.mark.parametrize(
    "body, content_type",
    [
        ("{", "application/json"),
        ("[]", "application/json"),
        ('"text"', "application/json"),
        ("null", "application/json"),
        ('{"redirect_uris": NaN}', "application/json"),
        ('{"a": 1, "a": 2}', "application/json"),
        ("[" * 100_000 + "]" * 100_000, "application/json"),
        ('{"jwks": ' + "[" * 30_000 + "]" * 30_000 + "}", "application/json"),
        ('{"a":' * 30 + "1" + "}" * 30, "application/json"),
        (b"\xff\xfe{}", "application/json"),
        ('{"redirect_uris": ["https://app.example.com/cb"]}'.encode("utf-16"), "application/json"),
        ("redirect_uris=https://app.example.com/cb", "application/x-www-form-urlencoded"),
        (json.dumps({"redirect_uris": [WEB], "pad": "x" * 70_000}), "application/json"),
        (
            json.dumps({"redirect_uris": [WEB] + [f"{WEB}/{i}" for i in range(50)]}),
            "application/json",
        ),
        (json.dumps({"redirect_uris": [WEB], "client_name": "x" * 3000}), "application/json"),
    ],
)
def test_malformed_or_oversized_input_is_400_never_500(client, body, content_type):
    response = register(client, body=body, content_type=content_type)
    assert oauth_error(response)["error"] == "invalid_client_metadata"
    assert not Client.objects.exists()


@pytest.mark.usefixtures("open_registration")
def test_a_registration_cannot_choose_its_client_id_or_origin(client, client_app):
    info = registered(
        client, {"redirect_uris": [WEB], "client_id": client_app.client_id, "origin": "staff"}
    )
    assert info["client_id"] != client_app.client_id
    assert client_of(info).origin == Client.Origin.DYNAMIC
