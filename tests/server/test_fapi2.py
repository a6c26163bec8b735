"""The FAPI 2.0 Security Profile (``SECURITY_PROFILE = "fapi2"``, docs/fapi.md): a whole flow
through HTTP, and each rule of the authorization request, the token endpoint and the metadata
tried and shown enforced. Client authentication, algorithms and checks: test_fapi2_security.py."""

from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from oauthcore.models import RefreshToken
from tests import client_jwt, fapi_kit, protocol
from tests.dpop_kit import DPoPKey
from tests.par_kit import authorize_pushed, consent_form, decide
from tests.security import kit

pytestmark = pytest.mark.django_db


@pytest.fixture
def fapi(settings):
    fapi_kit.enable(settings)


@pytest.fixture
def pair():
    return client_jwt.key_pair("ES256")


@pytest.fixture
def app(fapi, pair):
    return fapi_kit.fapi_client(pair)


def _pushed(client, app, pair, **overrides) -> str:
    response = fapi_kit.push(client, app, pair, **overrides)
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()["request_uri"]


def _code(client, app, pair, user, **overrides) -> str:
    client.force_login(user)
    request_uri = _pushed(client, app, pair, **overrides)
    redirect = decide(client, consent_form(authorize_pushed(client, request_uri, app.client_id)))
    assert redirect.status_code == HTTPStatus.FOUND, redirect.content[:300]
    query = parse_qs(urlsplit(redirect["Location"]).query)
    assert query["iss"] == ["http://testserver"]  # RFC 9207, FAPI 2.0 5.3.2.2 7
    return query["code"][0]


def test_a_whole_fapi_flow_through_http(client, app, pair, user):
    key = DPoPKey("ES256")
    code = _code(client, app, pair, user, dpop_jkt=key.jkt)
    response = fapi_kit.token(client, app, pair, fapi_kit.code_grant(app, code), key)
    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert body["token_type"] == "DPoP"
    assert protocol.claims_of(body["access_token"])["cnf"] == {"jkt": key.jkt}
    api = fapi_kit.api_call(client, body["access_token"], key)
    assert api.status_code == HTTPStatus.OK, api.content
    as_bearer = client.get(fapi_kit.API_URL, HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert as_bearer.status_code == HTTPStatus.UNAUTHORIZED
    # The profile's clients do not rotate (5.3.2.1 9): the refresh token stays, none is sent.
    refresh = {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    for _ in range(2):
        again = fapi_kit.token(client, app, pair, refresh, key)
        assert again.status_code == HTTPStatus.OK, again.content
        assert "refresh_token" not in again.json()
        assert fapi_kit.api_call(client, again.json()["access_token"], key).status_code == 200
    assert RefreshToken.objects.live().count() == 1


def test_the_code_is_bound_to_the_pushed_dpop_jkt(client, app, pair, user):
    code = _code(client, app, pair, user, dpop_jkt=DPoPKey().jkt)
    response = fapi_kit.token(client, app, pair, fapi_kit.code_grant(app, code), DPoPKey())
    kit.assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_dpop_proof")


def test_a_token_request_without_a_dpop_proof_is_refused(client, app, pair, user):
    code = _code(client, app, pair, user)
    response = fapi_kit.token(client, app, pair, fapi_kit.code_grant(app, code), None)
    kit.assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_dpop_proof")
    # a client registered without dpop_bound_access_tokens is no exception: the code still works
    key = DPoPKey()
    assert fapi_kit.token(client, app, pair, fapi_kit.code_grant(app, code), key).status_code == 200


def test_an_unpushed_authorization_request_is_refused(client, app, user):
    client.force_login(user)
    response = kit.authorize(client, protocol.authorize_params(app))
    query = kit.redirect_query(response, app.redirect_uris[0])
    assert query["error"] == "invalid_request"
    assert query["iss"] == "http://testserver"


@pytest.mark.parametrize(
    "overrides",
    [
        {"code_challenge_method": "plain", "code_challenge": protocol.VERIFIER},
        {"code_challenge": None, "code_challenge_method": None},  # PKCE for every client
        {"redirect_uri": None},  # 5.3.2.2 6: named in the pushed request
        {"response_type": "token"},
    ],
)
def test_a_pushed_request_breaking_a_rule_is_refused(client, app, pair, overrides):
    response = fapi_kit.push(client, app, pair, **overrides)
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response.json()["error"] in ("invalid_request", "unsupported_response_type")


def test_without_the_profile_a_confidential_client_may_skip_pkce_and_par(
    client, settings, pair, user
):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "PKCE_REQUIRED": False}
    app = fapi_kit.fapi_client(pair)
    code = protocol.authorize(client, app, user, code_challenge=None, code_challenge_method=None)
    assert code


def test_a_public_client_is_refused_everywhere(client, public_client, fapi, user):
    client.force_login(user)
    response = kit.authorize(client, protocol.authorize_params(public_client))
    query = kit.redirect_query(response, public_client.redirect_uris[0])
    assert query["error"] == "unauthorized_client"
    data = {**protocol.authorize_params(public_client)}
    par = protocol.post_form(client, reverse("oauthcore:par"), data)
    kit.assert_json_error(par, HTTPStatus.UNAUTHORIZED, "invalid_client")
    code = protocol.redeem(client, public_client, user, secret=None)
    kit.assert_json_error(code, HTTPStatus.UNAUTHORIZED, "invalid_client")


def test_the_metadata_advertises_exactly_what_is_accepted(client, fapi):
    document = client.get("/.well-known/oauth-authorization-server").json()
    assert document["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["require_pushed_authorization_requests"] is True
    assert document["authorization_response_iss_parameter_supported"] is True
    fapi_algorithms = {"PS256", "ES256", "EdDSA"}
    for member in (
        "token_endpoint_auth_signing_alg_values_supported",
        "request_object_signing_alg_values_supported",
        "dpop_signing_alg_values_supported",
        "id_token_signing_alg_values_supported",
    ):
        assert document[member], member
        assert set(document[member]) <= fapi_algorithms, member
    assert document["id_token_signing_alg_values_supported"] == ["ES256"]
    assert document["introspection_endpoint_auth_methods_supported"] == ["private_key_jwt"]


def test_without_the_profile_the_metadata_is_unchanged(client):
    document = client.get("/.well-known/oauth-authorization-server").json()
    assert "client_secret_basic" in document["token_endpoint_auth_methods_supported"]
    assert "RS256" in document["dpop_signing_alg_values_supported"]
    assert document["require_pushed_authorization_requests"] is False
