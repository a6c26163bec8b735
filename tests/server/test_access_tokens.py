"""RFC 9068 JWT access tokens as the token endpoint issues them, verified with PyJWT and the JWKS."""

from datetime import timedelta
from http import HTTPStatus

import jwt
import pytest
from django.urls import reverse

from oauthcore.adapter import Adapter
from oauthcore.models import AuthorizationCode
from tests import factories
from tests.protocol import basic_auth, post_token, redeem

pytestmark = pytest.mark.django_db

ISSUER = "http://testserver"


class ClaimsAdapter(Adapter):
    """Adds project claims, and tries (in vain) to overwrite registered ones."""

    def get_access_token_claims(self, *, client, user, scopes):
        return {
            "name": user.username if user else client.name,
            "role": "editor",
            "permissions": ["articles.read", "articles.write"],
            "sub": "admin",
            "iss": "https://evil.example",
            "aud": "evil",
            "exp": 9999999999,
            "scope": "everything",
            "client_id": "someone-else",
            "jti": "fixed",
        }


def verify(http, access_token, *, audience=ISSUER):
    """Verify a token the way an outside resource server would: JWKS over HTTP, then PyJWT."""
    header = jwt.get_unverified_header(access_token)
    jwks = jwt.PyJWKSet.from_dict(http.get(reverse("oauthcore:jwks")).json())
    key = jwks[header["kid"]]
    claims = jwt.decode(
        access_token,
        key=key.key,
        algorithms=[key.algorithm_name],
        audience=audience,
        issuer=ISSUER,
        options={"require": ["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id"]},
    )
    return header, claims


def code_token(http, app, user, **fields):
    response = redeem(http, app, user, **fields)
    assert response.status_code == HTTPStatus.OK
    return response.json()["access_token"]


def client_token(http, app, scope="publish"):
    data = {"grant_type": "client_credentials", "scope": scope}
    response = post_token(http, data, **basic_auth(app.client_id))
    assert response.status_code == HTTPStatus.OK
    return response.json()["access_token"]


@pytest.mark.parametrize("algorithm", ["RS256", "ES256", "EdDSA", "PS256"])
def test_a_user_token_verifies_against_the_jwks(client, settings, client_app, user, algorithm):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "SIGNING_ALGORITHM": algorithm}
    token = code_token(client, client_app, user, scope="read:profile read:email")
    header, claims = verify(client, token)
    assert header["typ"] == "at+jwt"
    assert header["alg"] == algorithm
    assert header["kid"]
    assert claims["iss"] == ISSUER
    assert claims["sub"] == str(user.pk)
    assert claims["aud"] == ISSUER
    assert claims["client_id"] == client_app.client_id
    assert claims["scope"] == "read:profile read:email"
    assert claims["exp"] - claims["iat"] == 900
    assert claims["nbf"] == claims["iat"]
    code = AuthorizationCode.objects.get()
    assert claims["jti"] == code.access_token_jti
    assert claims["auth_time"] == int(code.auth_time.timestamp())


def test_rs256_is_the_default(client, client_app):
    header, _claims = verify(client, client_token(client, client_app))
    assert header["alg"] == "RS256"


def test_a_client_token_acts_for_the_client(client, client_app):
    _header, claims = verify(client, client_token(client, client_app))
    assert claims["sub"] == claims["client_id"] == client_app.client_id
    assert claims["scope"] == "publish"
    assert "auth_time" not in claims


def test_jtis_are_unique(client, client_app):
    jtis = {verify(client, client_token(client, client_app))[1]["jti"] for _ in range(5)}
    assert len(jtis) == 5


def test_the_client_audience_and_lifetime_apply(client, user):
    app = factories.ClientFactory(
        audience="https://api.example.com", access_token_lifetime=timedelta(minutes=5)
    )
    token = code_token(client, app, user)
    _header, claims = verify(client, token, audience="https://api.example.com")
    assert claims["exp"] - claims["iat"] == 300
    with pytest.raises(jwt.InvalidAudienceError):
        verify(client, token)


def test_the_global_lifetime_and_audience_are_settings(client, settings, client_app):
    settings.OAUTHCORE = {
        **settings.OAUTHCORE,
        "ACCESS_TOKEN_LIFETIME": timedelta(minutes=1),
        "AUDIENCE": "https://resources.example.com",
    }
    token = client_token(client, client_app)
    _header, claims = verify(client, token, audience="https://resources.example.com")
    assert claims["exp"] - claims["iat"] == 60


@pytest.mark.parametrize("grant", ["authorization_code", "client_credentials"])
def test_adapter_claims_are_added_but_cannot_replace_registered_ones(
    client, settings, client_app, user, grant
):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ADAPTER": f"{__name__}.ClaimsAdapter"}
    if grant == "authorization_code":
        token = code_token(client, client_app, user, scope="read:profile")
    else:
        token = client_token(client, client_app, scope="read:profile")
    _header, claims = verify(client, token)
    assert claims["name"] == (user.username if grant == "authorization_code" else client_app.name)
    assert claims["role"] == "editor"
    assert claims["permissions"] == ["articles.read", "articles.write"]
    expected_sub = str(user.pk) if grant == "authorization_code" else client_app.client_id
    assert claims["sub"] == expected_sub
    assert claims["iss"] == ISSUER
    assert claims["aud"] == ISSUER
    assert claims["scope"] == "read:profile"
    assert claims["client_id"] == client_app.client_id
    assert claims["jti"] != "fixed"
    assert claims["exp"] - claims["iat"] == 900


def test_the_refreshed_token_keeps_auth_time(client, client_app, user):
    first = redeem(client, client_app, user).json()
    data = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    second = post_token(client, data, **basic_auth(client_app.client_id)).json()
    _h, before = verify(client, first["access_token"])
    _h, after = verify(client, second["access_token"])
    assert after["auth_time"] == before["auth_time"]
    assert after["sub"] == before["sub"]
    assert after["jti"] != before["jti"]
