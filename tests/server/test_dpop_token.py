"""DPoP at the token endpoint (RFC 9449 5, 6, 8, 10): bound tokens, bound refresh tokens, nonces."""

import time
from http import HTTPStatus

import pytest

from oauthcore.conf import oauth_settings
from oauthcore.jose import dpop
from oauthcore.models import AuthorizationCode, RefreshToken
from tests import factories
from tests.dpop_kit import TOKEN_URL, DPoPKey
from tests.protocol import (
    authorization_response,
    authorize,
    basic_auth,
    claims_of,
    introspect,
    post_token,
    refresh,
)

pytestmark = pytest.mark.django_db

GRANT = {"grant_type": "client_credentials", "scope": "publish"}


def client_credentials(http, app, key=None, **proof):
    extra = key.header("POST", TOKEN_URL, **proof) if key else {}
    return post_token(http, GRANT, **basic_auth(app.client_id), **extra)


def test_client_credentials_with_a_proof_gives_a_dpop_bound_token(client, client_app):
    key = DPoPKey()
    response = client_credentials(client, client_app, key)
    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert body["token_type"] == "DPoP"
    assert claims_of(body["access_token"])["cnf"] == {"jkt": key.jkt}


def test_without_a_proof_the_token_is_a_bearer_token(client, client_app):
    body = client_credentials(client, client_app).json()
    assert body["token_type"] == "Bearer"
    assert "cnf" not in claims_of(body["access_token"])


@pytest.mark.parametrize("algorithm", ["ES256", "PS256", "RS256", "EdDSA"])
def test_every_advertised_algorithm_works(client, client_app, algorithm):
    response = client_credentials(client, client_app, DPoPKey(algorithm))
    assert response.json()["token_type"] == "DPoP"


def test_metadata_advertises_the_proof_algorithms(client, settings):
    document = client.get("/.well-known/oauth-authorization-server").json()
    assert document["dpop_signing_alg_values_supported"] == ["ES256", "EdDSA", "PS256", "RS256"]
    settings.OAUTHCORE = {**settings.OAUTHCORE, "DPOP_SIGNING_ALGORITHMS": ["ES256", "HS256"]}
    document = client.get("/.well-known/oauth-authorization-server").json()
    assert document["dpop_signing_alg_values_supported"] == ["ES256"]  # never HS256


def test_a_malformed_proof_is_invalid_dpop_proof(client, client_app):
    response = post_token(client, GRANT, **basic_auth(client_app.client_id), HTTP_DPOP="x.y")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_dpop_proof"


def test_a_client_registered_for_dpop_must_send_a_proof(client, client_factory):
    app = client_factory(dpop_bound_access_tokens=True)
    response = client_credentials(client, app)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_dpop_proof"
    assert client_credentials(client, app, DPoPKey()).status_code == HTTPStatus.OK


def test_confidential_clients_refresh_tokens_are_not_bound(client, client_app, user):
    key = DPoPKey()
    code = authorize(client, client_app, user)
    data = {"grant_type": "authorization_code", "code": code, "code_verifier": factories.VERIFIER}
    data["redirect_uri"] = client_app.redirect_uris[0]
    response = post_token(client, data, **basic_auth(client_app.client_id), **key.header())
    body = response.json()
    assert body["token_type"] == "DPoP"
    assert RefreshToken.objects.get().dpop_jkt == ""
    again = refresh(client, client_app, body["refresh_token"])
    assert again.json()["token_type"] == "Bearer"  # RFC 9449 5: not bound, no proof needed


def _public_tokens(http, app, user, key):
    code = authorize(http, app, user)
    data = {"grant_type": "authorization_code", "code": code, "client_id": app.client_id}
    data |= {"code_verifier": factories.VERIFIER, "redirect_uri": app.redirect_uris[0]}
    response = post_token(http, data, **key.header())
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


def test_a_public_clients_refresh_token_is_bound_to_its_key(client, public_client, user):
    key = DPoPKey()
    body = _public_tokens(client, public_client, user, key)
    assert RefreshToken.objects.get().dpop_jkt == key.jkt
    data = {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    data["client_id"] = public_client.client_id
    without = post_token(client, data)
    assert without.json()["error"] == "invalid_dpop_proof"
    other = post_token(client, data, **DPoPKey().header())
    assert other.json()["error"] == "invalid_dpop_proof"
    same = post_token(client, data, **key.header())
    assert same.status_code == HTTPStatus.OK
    assert same.json()["token_type"] == "DPoP"
    assert RefreshToken.objects.get(rotated_at__isnull=True).dpop_jkt == key.jkt


def test_dpop_jkt_at_authorize_binds_the_code(client, client_app, user):
    key = DPoPKey()
    code = authorize(client, client_app, user, dpop_jkt=key.jkt)
    assert AuthorizationCode.objects.get().dpop_jkt == key.jkt
    data = {"grant_type": "authorization_code", "code": code, "code_verifier": factories.VERIFIER}
    data["redirect_uri"] = client_app.redirect_uris[0]
    auth = basic_auth(client_app.client_id)
    assert post_token(client, data, **auth).json()["error"] == "invalid_dpop_proof"
    other = post_token(client, data, **auth, **DPoPKey().header())
    assert other.json()["error"] == "invalid_dpop_proof"
    good = post_token(client, data, **auth, **key.header())
    assert good.status_code == HTTPStatus.OK  # the refusals above did not burn the code
    assert claims_of(good.json()["access_token"])["cnf"]["jkt"] == key.jkt


def test_a_malformed_dpop_jkt_is_refused_at_authorize(client, client_app, user):
    response = authorization_response(client, client_app, user, dpop_jkt="not a thumbprint")
    assert response.status_code == HTTPStatus.FOUND
    assert "error=invalid_request" in response["Location"]


def test_introspection_shows_the_binding(client, client_app):
    key = DPoPKey()
    access = client_credentials(client, client_app, key).json()["access_token"]
    body = introspect(client, client_app, access).json()
    assert body["active"] is True
    assert body["token_type"] == "DPoP"
    assert body["cnf"] == {"jkt": key.jkt}


@pytest.fixture
def nonces(settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "DPOP_NONCES": True}


def test_with_nonces_on_a_proof_without_one_gets_use_dpop_nonce(client, client_app, nonces):
    key = DPoPKey()
    response = client_credentials(client, client_app, key)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "use_dpop_nonce"
    nonce = response["DPoP-Nonce"]
    retried = client_credentials(client, client_app, key, nonce=nonce)
    assert retried.status_code == HTTPStatus.OK, retried.content
    assert retried["DPoP-Nonce"]  # the next nonce (RFC 9449 8.2)


def test_a_stale_or_made_up_nonce_is_refused(client, client_app, nonces):
    lifetime = oauth_settings.DPOP_NONCE_LIFETIME.total_seconds()
    stale = dpop.new_nonce(now=time.time() - 3 * lifetime)
    for nonce in (stale, "made-up"):
        response = client_credentials(client, client_app, DPoPKey(), nonce=nonce)
        assert response.json()["error"] == "use_dpop_nonce"
        assert response["DPoP-Nonce"] != nonce


def test_htu_may_be_the_url_seen_through_a_proxy(client, client_app, settings):
    settings.USE_X_FORWARDED_HOST = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "auth.example.com"]
    proxied = {"HTTP_X_FORWARDED_HOST": "auth.example.com", "HTTP_X_FORWARDED_PROTO": "https"}
    key = DPoPKey()
    proof = key.header("POST", "https://AUTH.example.com:443/oauth/token/")
    response = post_token(client, GRANT, **basic_auth(client_app.client_id), **proxied, **proof)
    assert response.status_code == HTTPStatus.OK, response.content
    wrong = key.header("POST", "http://auth.example.com/oauth/token/")  # not the scheme used
    response = post_token(client, GRANT, **basic_auth(client_app.client_id), **proxied, **wrong)
    assert response.json()["error"] == "invalid_dpop_proof"
