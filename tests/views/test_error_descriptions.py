"""error_description stays within RFC 6749 5.2's characters and never echoes the caller's text.

Parameter names and values carrying ``"``, ``\\``, non-ASCII and CR/LF are sent to every kind of
error answer: JSON (token, revocation, introspection), the redirect to the client, the
WWW-Authenticate challenge (RFC 6750 3) and the error page.
"""

import html
import re
from http import HTTPStatus
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest

from oauthcore import errors
from oauthcore.resource_server import bearer
from oauthcore.server import pkce
from oauthcore.testing import authorization_header
from tests.factories import REDIRECT_URI, VERIFIER
from tests.integration.test_end_to_end import basic

pytestmark = pytest.mark.django_db

# RFC 6749 5.2: error_description = 1*( %x20-21 / %x23-5B / %x5D-7E )
DESCRIPTION = re.compile(r"[\x20-\x21\x23-\x5b\x5d-\x7e]+")
MARK = "EVIL"
NASTY = [
    f'{MARK}"q',
    f"{MARK}\\b",
    f"{MARK}\u00e9\u2028",
    f"{MARK}\r\nX-Injected: 1",
    f"{MARK}\x00",
]


def assert_safe(description: str) -> None:
    assert DESCRIPTION.fullmatch(description), repr(description)
    assert MARK not in description


def raw_form(pairs) -> str:
    """Percent-encode names and values exactly as given (no normalisation)."""
    return "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in pairs)


@pytest.mark.parametrize("name", NASTY)
@pytest.mark.parametrize("url", ["/oauth/token/", "/oauth/revoke/", "/oauth/introspect/"])
def test_a_repeated_parameter_name_is_not_echoed(client, client_app, secret, url, name):
    body = raw_form(
        [("token", "t"), ("grant_type", "client_credentials"), (name, "1"), (name, "2")]
    )
    response = client.post(
        url,
        body,
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=basic(client_app.client_id, secret),
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_request"
    assert_safe(response.json()["error_description"])


@pytest.mark.parametrize("scope", [f"{MARK}-unknown", f"read:profile {MARK}:x", *NASTY])
def test_a_requested_scope_is_not_echoed_by_the_token_endpoint(client, client_app, secret, scope):
    body = raw_form([("grant_type", "client_credentials"), ("scope", scope)])
    response = client.post(
        "/oauth/token/",
        body,
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=basic(client_app.client_id, secret),
    )
    assert response.json()["error"] == "invalid_scope"
    assert_safe(response.json()["error_description"])


def authorize(client, client_app, **params):
    query = {
        "response_type": "code",
        "client_id": client_app.client_id,
        "redirect_uri": REDIRECT_URI,
        "code_challenge": pkce.s256(VERIFIER),
        "code_challenge_method": "S256",
        **params,
    }
    return client.get(f"/oauth/authorize/?{urlencode(query)}")


@pytest.mark.parametrize("scope", [f"{MARK}-unknown", *NASTY])
def test_the_redirect_to_the_client_carries_no_echo(client, user, client_app, scope):
    client.force_login(user)
    response = authorize(client, client_app, scope=scope)
    assert response.status_code == HTTPStatus.FOUND
    params = parse_qs(urlsplit(response["Location"]).query)
    assert params["error"] == ["invalid_scope"]
    assert_safe(params["error_description"][0])


@pytest.mark.parametrize("value", NASTY)
def test_the_error_page_carries_no_echo(client, client_app, value):
    response = authorize(client, client_app, client_id=value)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    shown = re.search(r'<p class="oauthcore-error">(.*?)</p>', response.content.decode(), re.S)
    assert_safe(html.unescape(shown.group(1)))


@pytest.mark.parametrize("method", ['EVIL"Q', "EVIL\\B", "EVIL\u00c9"])
def test_the_challenge_does_not_name_the_callers_method(client, user, method):
    header = authorization_header(user=user, scopes=["read:profile", "write:profile"])
    response = client.generic(method, "/api/profile/", **header)
    assert response.status_code == HTTPStatus.FORBIDDEN
    challenge = response["WWW-Authenticate"]
    description = re.search(r'error_description="([^"]*)"', challenge).group(1)
    assert_safe(description)
    assert_safe(response.json()["error_description"])


@pytest.mark.parametrize("text", NASTY)
def test_no_caller_can_put_a_forbidden_character_on_the_wire(text):
    """OAuthError enforces the set itself, whatever its caller writes (or sets later)."""
    error = errors.InvalidRequest(text)
    assert DESCRIPTION.fullmatch(error.as_dict()["error_description"])
    error.description = text + "\t\x7f"
    assert DESCRIPTION.fullmatch(error.description)
    challenge = bearer.challenge(errors.InsufficientScope(text, scope="a b"))
    assert "\r" not in challenge and "\n" not in challenge
    for value in re.findall(r'="([^"]*)"', challenge):
        assert DESCRIPTION.fullmatch(value)
    # realm, error, error_description, scope, and the DPoP challenge's algs: each quoted once
    assert challenge.count('"') == 10
