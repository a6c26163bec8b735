"""The seed's story through HTTP, with no browser: authorize → login → consent → code → token →
API call → refresh → reuse detection → the family is dead."""

import base64
import secrets
from http import HTTPStatus
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from oauthcore.server import pkce
from tests import browser

pytestmark = pytest.mark.django_db

REDIRECT_URI = "https://app.example.com/callback"


def post_form(client, url, data, **extra):
    """POST ``data`` (a dict or pairs) as application/x-www-form-urlencoded, as browsers and apps do."""
    return client.post(
        url, urlencode(data), content_type="application/x-www-form-urlencoded", **extra
    )


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def follow_to_client(client, response, *, limit=10):
    """Follow redirects inside the site until one leaves for the client's redirect URI."""
    for _ in range(limit):
        assert response.status_code == HTTPStatus.FOUND, response.content[:500]
        location = response["Location"]
        if location.startswith(REDIRECT_URI):
            return location
        response = client.get(location)
    raise AssertionError("Too many redirects")


def log_in(client, response, *, username="alice", password="pw"):
    """From a redirect to the login page, sign in with the site's form; return the next response."""
    login_url = response["Location"]
    assert urlsplit(login_url).path == "/accounts/login/"
    page = client.get(login_url)
    form = browser.form_with_button(page.content.decode(), "Sign in")
    data = dict(form.data("Sign in"))
    data.update(username=username, password=password)
    return post_form(client, login_url, data)


def test_code_flow_end_to_end(client, user, client_app, secret):
    verifier = secrets.token_urlsafe(48)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_app.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "read:profile read:email",
            "state": "xyz-state",
            "code_challenge": pkce.s256(verifier),
            "code_challenge_method": "S256",
        }
    )
    # 1. The app sends the user to /authorize; anonymous, so the site's login page comes first.
    response = client.get(f"/oauth/authorize/?{query}")
    assert response.status_code == HTTPStatus.FOUND
    response = log_in(client, response)
    # 2. Back at /authorize: the consent screen, naming the app and each scope.
    response = client.get(response["Location"])
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert client_app.name in page
    assert "Read your profile info" in page and "Read your email address" in page
    consent = browser.form_with_button(page, "Allow")
    # 3. Allow: back to the app with a one-time code, the state and the issuer (RFC 9207).
    response = post_form(client, consent.action or "/oauth/authorize/", consent.data("Allow"))
    callback = follow_to_client(client, response)
    params = parse_qs(urlsplit(callback).query)
    assert params["state"] == ["xyz-state"]
    assert params["iss"] == ["http://testserver"]
    code = params["code"][0]

    # 4. The app exchanges the code, its PKCE verifier and its secret for tokens.
    token_request = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    auth = basic(client_app.client_id, secret)
    response = post_form(client, "/oauth/token/", token_request, HTTP_AUTHORIZATION=auth)
    assert response.status_code == HTTPStatus.OK, response.content
    assert response["Cache-Control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"
    assert set(tokens["scope"].split()) == {"read:profile", "read:email"}

    # 5. The app calls the API with the JWT; scopes are checked locally.
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    response = client.get("/api/profile/", **bearer)
    assert response.status_code == HTTPStatus.OK
    assert response.json()["sub"] == str(user.pk)
    response = client.get("/api/contacts/", **bearer)
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]

    # The code is single-use: a replay fails and revokes what it issued.
    response = post_form(client, "/oauth/token/", token_request, HTTP_AUTHORIZATION=auth)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_grant"
    response = client.get("/api/profile/", **bearer)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_refresh_rotation_and_reuse_detection(client, user, client_app, secret):
    verifier = secrets.token_urlsafe(48)
    client.force_login(user)
    response = client.get(
        "/oauth/authorize/?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": client_app.client_id,
                "redirect_uri": REDIRECT_URI,
                "scope": "read:profile",
                "code_challenge": pkce.s256(verifier),
                "code_challenge_method": "S256",
            }
        )
    )
    consent = browser.form_with_button(response.content.decode(), "Allow")
    callback = follow_to_client(
        client, post_form(client, "/oauth/authorize/", consent.data("Allow"))
    )
    code = parse_qs(urlsplit(callback).query)["code"][0]
    auth = basic(client_app.client_id, secret)
    first = post_form(
        client,
        "/oauth/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        HTTP_AUTHORIZATION=auth,
    ).json()

    # Refresh: a new access token and a new refresh token; the old refresh token is spent.
    response = post_form(
        client,
        "/oauth/token/",
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        HTTP_AUTHORIZATION=auth,
    )
    assert response.status_code == HTTPStatus.OK, response.content
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {second['access_token']}"}
    assert client.get("/api/profile/", **bearer).status_code == HTTPStatus.OK

    # Reuse of the spent refresh token: refused, and the whole family dies, access tokens too.
    response = post_form(
        client,
        "/oauth/token/",
        {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        HTTP_AUTHORIZATION=auth,
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_grant"
    response = post_form(
        client,
        "/oauth/token/",
        {"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
        HTTP_AUTHORIZATION=auth,
    )
    assert response.json()["error"] == "invalid_grant"
    assert client.get("/api/profile/", **bearer).status_code == HTTPStatus.UNAUTHORIZED
