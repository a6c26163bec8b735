"""A client registers itself over real HTTP (RFC 7591), then runs the code flow with Authlib."""

from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from tests.integration.test_live_authlib import REDIRECT_URI, approve_in_browser, verify

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def issuer(live_server, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ISSUER": live_server.url, "REGISTRATION": "open"}
    return live_server.url


def test_register_then_authorize_refresh_and_delete(issuer, user):
    metadata = requests.get(f"{issuer}/.well-known/oauth-authorization-server", timeout=10).json()
    document = {
        "client_name": "Registered over HTTP",
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"],
        "scope": "read:profile read:email",
    }
    response = requests.post(metadata["registration_endpoint"], json=document, timeout=10)
    assert response.status_code == HTTPStatus.CREATED, response.text
    info = response.json()

    session = OAuth2Session(
        info["client_id"],
        info["client_secret"],
        scope="read:profile",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
        token_endpoint_auth_method=info["token_endpoint_auth_method"],
    )
    verifier = generate_token(64)
    url, _state = session.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier
    )
    callback = approve_in_browser(url)  # the consent page is shown: never pre-trusted
    assert "code" in parse_qs(urlsplit(callback).query)
    token = session.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    assert verify(token["access_token"], metadata)["client_id"] == info["client_id"]
    assert session.get(f"{issuer}/api/profile/").status_code == HTTPStatus.OK
    assert session.refresh_token(metadata["token_endpoint"])["access_token"]

    manage = {"Authorization": f"Bearer {info['registration_access_token']}"}
    read = requests.get(info["registration_client_uri"], headers=manage, timeout=10)
    assert read.status_code == HTTPStatus.OK and read.json()["client_id"] == info["client_id"]
    deleted = requests.delete(info["registration_client_uri"], headers=manage, timeout=10)
    assert deleted.status_code == HTTPStatus.NO_CONTENT
    refused = session.get(f"{issuer}/api/profile/")
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
