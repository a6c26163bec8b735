"""ID tokens (OIDC Core 2, 3.1.3.3, 3.1.3.6, 12.2): issued with openid, verified as an RP does."""

import base64
import hashlib
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import urlencode

import jwt
import pytest
from django.urls import reverse

from oauthcore.oidc import id_tokens
from tests import oidc_flow

pytestmark = pytest.mark.django_db


def left_half_hash(value: str, hash_name: str) -> str:
    """at_hash computed independently of oauthcore (OIDC Core 3.1.3.6)."""
    digest = hashlib.new(hash_name, value.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "algorithm,hash_name",
    [("RS256", "sha256"), ("PS256", "sha256"), ("ES256", "sha256"), ("EdDSA", "sha512")],
)
def test_code_flow_with_openid_returns_a_verifiable_id_token(
    client, settings, client_app, user, algorithm, hash_name
):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "SIGNING_ALGORITHM": algorithm}
    body = oidc_flow.sign_in(client, client_app, user, nonce="n-0S6_WzA2Mj")
    header = jwt.get_unverified_header(body["id_token"])
    assert header["typ"] == "JWT"
    assert header["alg"] == algorithm
    claims = oidc_flow.verify(client, body["id_token"], audience=client_app.client_id)
    access = jwt.decode(body["access_token"], options={"verify_signature": False})
    user.refresh_from_db()
    assert claims["iss"] == "http://testserver"
    assert claims["sub"] == access["sub"] == str(user.pk)
    assert claims["aud"] == client_app.client_id
    assert claims["exp"] - claims["iat"] == 300  # ID_TOKEN_LIFETIME: 5 minutes
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["auth_time"] == int(oidc_flow.session_auth_time(client).timestamp())
    assert claims["at_hash"] == left_half_hash(body["access_token"], hash_name)
    assert claims["sid"] == client.session[id_tokens.SESSION_KEY]
    assert "azp" not in claims  # one audience, the client itself (OIDC Core 2)
    assert "email" not in claims  # standard claims go to userinfo (OIDC Core 5.4)


def test_no_openid_no_id_token(client, client_app, user):
    body = oidc_flow.sign_in(client, client_app, user, scope="read:profile")
    assert "id_token" not in body


def test_nonce_is_only_echoed_when_sent(client, client_app, user):
    body = oidc_flow.sign_in(client, client_app, user)
    claims = oidc_flow.verify(client, body["id_token"], audience=client_app.client_id)
    assert "nonce" not in claims


def test_the_lifetime_is_a_setting(client, settings, client_app, user):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ID_TOKEN_LIFETIME": timedelta(minutes=1)}
    body = oidc_flow.sign_in(client, client_app, user)
    claims = oidc_flow.verify(client, body["id_token"], audience=client_app.client_id)
    assert claims["exp"] - claims["iat"] == 60


def test_refresh_returns_a_new_id_token_without_nonce(client, client_app, user):
    first = oidc_flow.sign_in(client, client_app, user, nonce="abc")
    before = oidc_flow.verify(client, first["id_token"], audience=client_app.client_id)
    second = oidc_flow.refreshed(client, client_app, first["refresh_token"])
    after = oidc_flow.verify(client, second["id_token"], audience=client_app.client_id)
    assert "nonce" not in after  # OIDC Core 12.2
    assert after["at_hash"] == left_half_hash(second["access_token"], "sha256")
    for name in ("iss", "sub", "aud", "auth_time", "sid"):
        assert after[name] == before[name]


def test_refresh_narrowed_without_openid_has_no_id_token(client, client_app, user):
    first = oidc_flow.sign_in(client, client_app, user)
    second = oidc_flow.refreshed(client, client_app, first["refresh_token"], scope="read:profile")
    assert "id_token" not in second


def test_sid_is_stable_within_a_session_and_new_after_logout(client, client_app, user):
    one = oidc_flow.sign_in(client, client_app, user)
    two = oidc_flow.sign_in(client, client_app, user, login=False)
    client.logout()
    three = oidc_flow.sign_in(client, client_app, user)
    sids = [
        oidc_flow.verify(client, body["id_token"], audience=client_app.client_id)["sid"]
        for body in (one, two, three)
    ]
    assert sids[0] == sids[1] != sids[2]


def test_hs256_deployments_sign_id_tokens_with_the_server_secret(
    client, settings, client_app, user
):
    secret = "x" * 40
    settings.OAUTHCORE = {**settings.OAUTHCORE, "HS256_SECRET": secret}
    body = oidc_flow.sign_in(client, client_app, user)
    claims = jwt.decode(
        body["id_token"], secret, algorithms=["HS256"], audience=client_app.client_id
    )
    assert claims["at_hash"] == left_half_hash(body["access_token"], "sha256")


@pytest.mark.parametrize("path", ["/api/profile/", "/api/email/"])
def test_an_id_token_is_never_an_access_token(client, client_app, user, path):
    body = oidc_flow.sign_in(client, client_app, user, scope="openid read:profile read:email")
    client.logout()
    response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {body['id_token']}")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    # The access token of the same response works: the refusal is about the type.
    ok = client.get(path, HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert ok.status_code == HTTPStatus.OK


def test_an_id_token_is_refused_at_introspection_as_inactive(client, client_app, user, secret):
    body = oidc_flow.sign_in(client, client_app, user)
    client_app.can_introspect = True
    client_app.save()
    response = client.post(
        reverse("oauthcore:introspect"),
        urlencode({"token": body["id_token"]}),
        content_type="application/x-www-form-urlencoded",
        **oidc_flow.protocol.basic_auth(client_app.client_id, secret),
    )
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"active": False}
