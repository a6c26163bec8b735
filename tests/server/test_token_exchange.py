"""Token exchange (RFC 8693) happy paths: impersonation, delegation, narrowing, DPoP, metadata."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from oauthcore.models import RefreshToken, TokenExchange
from tests import factories
from tests.dpop_kit import TOKEN_URL, DPoPKey
from tests.exchange_kit import ACCESS, API, GRANT, ID_TOKEN, MCP, assert_error, exchange, service
from tests.protocol import (
    basic_auth,
    claims_of,
    client_credentials,
    introspect,
    post_token,
    tokens_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _resources(settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "RESOURCES": [API, MCP]}


@pytest.fixture
def user_token(client, client_app, user):
    return tokens_for(client, client_app, user, scope="read:profile read:email write:profile")


def test_impersonation_keeps_the_subject_and_narrows_scope_and_audience(client, user_token):
    app = service()
    response = exchange(client, app, user_token["access_token"], scope="read:profile")
    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert body["issued_token_type"] == ACCESS
    assert body["token_type"] == "Bearer"
    assert "refresh_token" not in body
    claims, subject = claims_of(body["access_token"]), claims_of(user_token["access_token"])
    assert claims["sub"] == subject["sub"]
    assert claims["client_id"] == app.client_id
    assert claims["scope"] == "read:profile"
    assert claims["aud"] == API
    assert "act" not in claims
    assert claims["exp"] <= subject["exp"]
    row = TokenExchange.objects.get()
    assert row.subject_jti == subject["jti"]
    assert row.subject_family_id == RefreshToken.objects.get().family_id
    api = client.get("/api/profile/", HTTP_AUTHORIZATION="Bearer " + body["access_token"])
    assert api.status_code == HTTPStatus.OK
    assert api.json()["sub"] == subject["sub"]


def test_without_scope_the_token_gets_the_subjects_scopes_within_policy(client, user_token):
    body = exchange(client, service(), user_token["access_token"]).json()
    assert claims_of(body["access_token"])["scope"] == "read:profile read:email"


def test_delegation_names_the_actor_in_act(client, user_token):
    app = service()
    actor = client_credentials(client, app, scope="read:profile").json()["access_token"]
    response = exchange(
        client, app, user_token["access_token"], actor_token=actor, actor_token_type=ACCESS
    )
    assert response.status_code == HTTPStatus.OK, response.content
    claims = claims_of(response.json()["access_token"])
    assert claims["act"] == {"sub": app.client_id}
    seen = introspect(client, app, response.json()["access_token"]).json()
    assert seen["active"] is True
    assert seen["act"] == {"sub": app.client_id}


def test_a_second_delegation_nests_the_first_actor(client, user_token):
    first, second = service(), service()
    actor = client_credentials(client, first, scope="read:profile").json()["access_token"]
    once = exchange(
        client, first, user_token["access_token"], actor_token=actor, actor_token_type=ACCESS
    ).json()["access_token"]
    actor2 = client_credentials(client, second, scope="read:profile").json()["access_token"]
    response = exchange(client, second, once, actor_token=actor2, actor_token_type=ACCESS)
    assert response.status_code == HTTPStatus.OK, response.content
    act = claims_of(response.json()["access_token"])["act"]
    assert act == {"sub": second.client_id, "act": {"sub": first.client_id}}


def test_resource_and_audience_name_a_target_within_policy(client, user_token):
    app = service(token_exchange_audiences=[API, MCP])
    by_resource = exchange(client, app, user_token["access_token"], resource=MCP)
    assert claims_of(by_resource.json()["access_token"])["aud"] == MCP
    by_audience = exchange(client, app, user_token["access_token"], audience=API)
    assert claims_of(by_audience.json()["access_token"])["aud"] == API
    unnamed = exchange(client, app, user_token["access_token"])
    assert_error(unnamed, "invalid_target")


def test_several_audiences_give_a_list_audience(client, user_token):
    app = service(token_exchange_audiences=[API, MCP])
    form = [
        ("grant_type", GRANT),
        ("subject_token", user_token["access_token"]),
        ("subject_token_type", ACCESS),
        ("audience", API),
        ("audience", MCP),
    ]
    response = post_token(client, form, **basic_auth(app.client_id))
    assert response.status_code == HTTPStatus.OK, response.content
    assert claims_of(response.json()["access_token"])["aud"] == [API, MCP]


def test_a_dpop_proof_binds_the_exchanged_token(client, user_token):
    key = DPoPKey()
    response = exchange(
        client, service(), user_token["access_token"], extra=key.header("POST", TOKEN_URL)
    )
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["token_type"] == "DPoP"
    assert claims_of(response.json()["access_token"])["cnf"] == {"jkt": key.jkt}


def test_an_id_token_is_a_subject_only_when_enabled(client, settings, user):
    app = service(grant_types=["authorization_code", GRANT])
    id_token = tokens_for(client, app, user, scope="openid read:profile")["id_token"]
    refused = exchange(client, app, id_token, subject_type=ID_TOKEN)
    assert_error(refused, "invalid_request")
    settings.OAUTHCORE = {**settings.OAUTHCORE, "TOKEN_EXCHANGE_ID_TOKENS": True}
    response = exchange(client, app, id_token, subject_type=ID_TOKEN, scope="read:email")
    assert response.status_code == HTTPStatus.OK, response.content
    assert claims_of(response.json()["access_token"])["sub"] == claims_of(id_token)["sub"]
    other = factories.ClientFactory(grant_types=[GRANT], token_exchange_audiences=[API])
    assert_error(exchange(client, other, id_token, subject_type=ID_TOKEN), "invalid_request")


def test_the_metadata_lists_the_grant(client):
    metadata = client.get(reverse("oauthcore:oauth-authorization-server")).json()
    assert GRANT in metadata["grant_types_supported"]


def test_cleartokens_deletes_expired_exchange_records(client, user_token, capsys):
    exchange(client, service(), user_token["access_token"])
    TokenExchange.objects.create(
        issued_jti="old",
        issued_expires_at=timezone.now() - timedelta(seconds=1),
        subject_jti="older",
        client=service(),
    )
    call_command("cleartokens")
    assert "1 token exchanges" in capsys.readouterr().out
    assert TokenExchange.objects.get().issued_jti != "old"
