"""Authlib's RFC 7523 client authentication (PrivateKeyJWT, ClientSecretJWT) against the example
project over real HTTP: it signs its own assertions, with the token endpoint's URL as ``aud``."""

from http import HTTPStatus

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import ClientSecretJWT, PrivateKeyJWT
from authlib.oauth2.rfc7523.assertion import client_secret_jwt_sign, private_key_jwt_sign

from oauthcore.jose import keys
from tests import client_jwt
from tests.integration.test_live_authlib import approve_in_browser, verify

pytestmark = pytest.mark.django_db(transaction=True)

REDIRECT_URI = "http://127.0.0.1:8765/callback"
LIFETIME = 60  # seconds: Authlib's default (an hour) is over CLIENT_ASSERTION_MAX_LIFETIME


class ShortPrivateKeyJWT(PrivateKeyJWT):
    def sign(self, auth, token_endpoint):
        return private_key_jwt_sign(
            auth.client_secret, auth.client_id, token_endpoint, self.alg, expires_in=LIFETIME
        )


class ShortClientSecretJWT(ClientSecretJWT):
    def sign(self, auth, token_endpoint):
        return client_secret_jwt_sign(
            auth.client_secret, auth.client_id, token_endpoint, self.alg, expires_in=LIFETIME
        )


@pytest.fixture
def metadata(live_server, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ISSUER": live_server.url}
    url = f"{live_server.url}/.well-known/oauth-authorization-server"
    return requests.get(url, timeout=10).json()


def test_private_key_jwt_code_flow_refresh_and_revocation(metadata, user):
    pair = client_jwt.key_pair("RS256")
    app = client_jwt.key_client(pair, grant_types=["authorization_code", "refresh_token"])
    app.redirect_uris = [REDIRECT_URI]
    app.save()
    assert "private_key_jwt" in metadata["token_endpoint_auth_methods_supported"]
    session = OAuth2Session(
        app.client_id,
        keys.private_pem(pair.private_key),
        token_endpoint_auth_method=ShortPrivateKeyJWT(metadata["token_endpoint"]),
        revocation_endpoint_auth_method=ShortPrivateKeyJWT(metadata["token_endpoint"]),
        scope="read:profile",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
    )
    verifier = generate_token(64)
    url, state = session.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier
    )
    token = session.fetch_token(
        metadata["token_endpoint"],
        authorization_response=approve_in_browser(url),
        code_verifier=verifier,
        state=state,
    )
    assert verify(token["access_token"], metadata)["client_id"] == app.client_id
    refreshed = session.refresh_token(metadata["token_endpoint"])
    revoked = session.revoke_token(metadata["revocation_endpoint"], refreshed["refresh_token"])
    assert revoked.status_code == HTTPStatus.OK
    with pytest.raises(Exception, match="invalid_grant"):
        session.refresh_token(metadata["token_endpoint"])


def test_client_secret_jwt_client_credentials(metadata):
    app, secret = client_jwt.secret_jwt_client()
    session = OAuth2Session(
        app.client_id,
        secret,
        token_endpoint_auth_method=ShortClientSecretJWT(metadata["token_endpoint"]),
        scope="publish",
    )
    token = session.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    assert verify(token["access_token"], metadata)["sub"] == app.client_id
