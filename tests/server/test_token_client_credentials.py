"""The client_credentials grant (RFC 6749 4.4): a confidential client acting for itself."""

from datetime import timedelta
from http import HTTPStatus

import jwt
import pytest

from oauthcore.jose import keyring
from oauthcore.models import RefreshToken
from tests import factories
from tests.protocol import basic_auth, post_token

pytestmark = pytest.mark.django_db

GRANT = {"grant_type": "client_credentials"}


def claims_of(access_token):
    return jwt.decode(access_token, options={"verify_signature": False})


def test_issues_a_token_for_the_client_itself(client, client_app):
    response = post_token(client, {**GRANT, "scope": "publish"}, **basic_auth(client_app.client_id))
    assert response.status_code == HTTPStatus.OK
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "publish"
    assert body["expires_in"] == 900
    claims = claims_of(body["access_token"])
    assert claims["sub"] == claims["client_id"] == client_app.client_id
    assert "auth_time" not in claims
    assert not RefreshToken.objects.exists()


def test_client_secret_post_works(client, client_app, secret):
    data = {**GRANT, "client_id": client_app.client_id, "client_secret": secret}
    assert post_token(client, data).status_code == HTTPStatus.OK


def test_no_scope_means_the_default_scopes(client):
    app = factories.ClientFactory(default_scopes=["publish"])
    body = post_token(client, GRANT, **basic_auth(app.client_id)).json()
    assert body["scope"] == "publish"


def test_no_scope_and_no_default_means_every_allowed_scope(client):
    app = factories.ClientFactory(allowed_scopes=["publish", "read:email"])
    body = post_token(client, GRANT, **basic_auth(app.client_id)).json()
    assert body["scope"] == "publish read:email"


def test_the_client_lifetime_overrides_the_default(client):
    app = factories.ClientFactory(access_token_lifetime=timedelta(minutes=2))
    body = post_token(client, GRANT, **basic_auth(app.client_id)).json()
    assert body["expires_in"] == 120
    claims = claims_of(body["access_token"])
    assert claims["exp"] - claims["iat"] == 120


@pytest.mark.parametrize(
    "scope",
    ["write:profile", "publish read:contacts", "unknown:scope", 'bad"scope', "x" * 5000],
)
def test_scopes_stay_within_the_client(client, scope):
    app = factories.ClientFactory(allowed_scopes=["publish"])
    response = post_token(client, {**GRANT, "scope": scope}, **basic_auth(app.client_id))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_scope"


def test_a_client_without_any_scope_gets_invalid_scope(client):
    app = factories.ClientFactory(allowed_scopes=[])
    response = post_token(client, GRANT, **basic_auth(app.client_id))
    assert response.json()["error"] == "invalid_scope"


def test_a_public_client_is_unauthorized(client):
    app = factories.ClientFactory(public=True, grant_types=["client_credentials"])
    response = post_token(client, {**GRANT, "client_id": app.client_id})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "unauthorized_client"


def test_the_grant_must_be_registered(client):
    app = factories.ClientFactory(grant_types=["authorization_code"])
    response = post_token(client, GRANT, **basic_auth(app.client_id))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "unauthorized_client"


def test_a_request_costs_one_query(client, settings, client_app, django_assert_max_num_queries):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "KEY_CACHE_TTL": timedelta(hours=1)}
    auth = basic_auth(client_app.client_id)
    keyring.signing_key()  # a running server has its key
    assert post_token(client, GRANT, **auth).status_code == HTTPStatus.OK  # loads the keys
    with django_assert_max_num_queries(1):
        response = post_token(client, {**GRANT, "scope": "publish"}, **auth)
    assert response.status_code == HTTPStatus.OK
