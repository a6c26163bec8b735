"""Authlib's OAuth2 client against the example project served over real HTTP (pytest-django's
live server): code + PKCE, refresh, client credentials; tokens verified with PyJWT and the JWKS."""

from http import HTTPStatus
from urllib.parse import parse_qs, urljoin, urlsplit

import jwt
import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from tests import browser

pytestmark = pytest.mark.django_db(transaction=True)

REDIRECT_URI = "http://127.0.0.1:8765/callback"


@pytest.fixture
def issuer(live_server, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ISSUER": live_server.url}
    return live_server.url


@pytest.fixture
def metadata(issuer):
    response = requests.get(f"{issuer}/.well-known/oauth-authorization-server", timeout=10)
    assert response.status_code == HTTPStatus.OK
    return response.json()


def approve_in_browser(authorization_url: str, *, username="alice", password="pw") -> str:
    """Act as the user: sign in, click Allow; return the URL the browser is sent back to."""
    agent = requests.Session()
    response = agent.get(authorization_url, timeout=10)  # follows to the login page
    login = browser.form_with_button(response.text, "Sign in")
    data = dict(login.data("Sign in"))
    data.update(username=username, password=password)
    response = agent.post(response.url, data=data, timeout=10)  # back to /authorize: consent
    consent = browser.form_with_button(response.text, "Allow")
    response = agent.post(
        urljoin(response.url, consent.action or response.url),
        data=consent.data("Allow"),
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == HTTPStatus.FOUND, response.text[:500]
    return response.headers["Location"]


def verify(token: str, metadata: dict) -> dict:
    """Verify an access token as an outsider would: PyJWT and the published JWKS."""
    jwks = jwt.PyJWKClient(metadata["jwks_uri"])
    key = jwks.get_signing_key_from_jwt(token)
    assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
    return jwt.decode(
        token,
        key,
        algorithms=[key.algorithm_name],
        audience=metadata["issuer"],
        issuer=metadata["issuer"],
    )


def test_authorization_code_pkce_and_refresh(issuer, metadata, user, client_app, secret):
    client_app.redirect_uris = [REDIRECT_URI]
    client_app.save()
    session = OAuth2Session(
        client_app.client_id,
        secret,
        scope="read:profile read:email",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
    )
    verifier = generate_token(64)
    url, state = session.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier
    )
    callback = approve_in_browser(url)
    assert parse_qs(urlsplit(callback).query)["iss"] == [issuer]

    token = session.fetch_token(
        metadata["token_endpoint"],
        authorization_response=callback,
        code_verifier=verifier,
        state=state,
    )
    claims = verify(token["access_token"], metadata)
    assert claims["sub"] == str(user.pk)
    assert claims["client_id"] == client_app.client_id
    assert set(claims["scope"].split()) == {"read:profile", "read:email"}

    response = session.get(f"{issuer}/api/profile/")
    assert response.status_code == HTTPStatus.OK
    assert response.json()["sub"] == str(user.pk)

    refreshed = session.refresh_token(metadata["token_endpoint"])
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert verify(refreshed["access_token"], metadata)["jti"] != claims["jti"]
    assert session.get(f"{issuer}/api/email/").status_code == HTTPStatus.OK


def test_client_credentials(issuer, metadata, client_app, secret):
    session = OAuth2Session(client_app.client_id, secret, scope="publish")
    token = session.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    assert "refresh_token" not in token
    claims = verify(token["access_token"], metadata)
    assert claims["sub"] == client_app.client_id
    response = session.post(f"{issuer}/api/publish/", json={"title": "hello"})
    assert response.status_code < HTTPStatus.BAD_REQUEST
    assert session.get(f"{issuer}/api/profile/").status_code == HTTPStatus.FORBIDDEN
