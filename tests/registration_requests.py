"""Drive dynamic registration (RFC 7591) and the client configuration endpoint (RFC 7592)."""

from __future__ import annotations

import json
from http import HTTPStatus
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.urls import reverse

from oauthcore.models import Client
from tests import browser, protocol
from tests.factories import VERIFIER

WEB = "https://app.example.com/callback"
JSON = "application/json"


@pytest.fixture
def open_registration(settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "REGISTRATION": "open"}
    return settings


@pytest.fixture
def token_registration(settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "REGISTRATION": "token"}
    return settings


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def register(http, document=None, *, body=None, content_type=JSON, **extra):
    """POST ``document`` (or the raw ``body``) to the registration endpoint."""
    if body is None:
        body = json.dumps({"redirect_uris": [WEB]} if document is None else document)
    return http.post(reverse("oauthcore:register"), body, content_type=content_type, **extra)


def registered(http, document=None, **extra) -> dict:
    """Register, asserting 201; return the client information response."""
    response = register(http, document, **extra)
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()


def client_of(info: dict) -> Client:
    return Client.objects.get(client_id=info["client_id"])


def configuration(http, method: str, info: dict, *, token=None, document=None, client_id=None):
    """Call the client configuration endpoint of ``info`` (RFC 7592 2) with its token."""
    url = reverse("oauthcore:register-client", args=[client_id or info["client_id"]])
    headers = bearer(token or info["registration_access_token"])
    call = getattr(http, method)
    if document is None:
        return call(url, **headers)
    return call(url, json.dumps(document), content_type=JSON, **headers)


def oauth_error(response, status=HTTPStatus.BAD_REQUEST) -> dict:
    """Assert an RFC 7591 3.2.2 error response with a description; return its body."""
    assert response.status_code == status, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["error"] and body["error_description"]
    return body


SELF_REGISTERED_NOTE = "This app registered itself"


def consent_page(http, app: Client, user, scope="read:profile"):
    """Sign ``user`` in and open the consent page of ``app``; return (response, form)."""
    http.force_login(user)
    params = protocol.authorize_params(app, scope=scope)
    response = http.get(reverse("oauthcore:authorize"), params)
    assert response.status_code == HTTPStatus.OK, response.status_code
    return response, browser.form_with_button(response.content.decode(), "Allow")


def code_flow(http, info: dict, user, scope="read:profile") -> dict:
    """Run authorize, consent (Allow) and the token request for a registered client."""
    app = client_of(info)
    _page, form = consent_page(http, app, user, scope)
    body = urlencode(form.data("Allow"))
    answer = http.post(form.action, body, content_type="application/x-www-form-urlencoded")
    code = protocol.code_from(answer)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": app.redirect_uris[0],
        "code_verifier": VERIFIER,
    }
    if app.is_public:
        response = protocol.post_token(http, {**data, "client_id": app.client_id})
    else:
        auth = protocol.basic_auth(app.client_id, info["client_secret"])
        response = protocol.post_token(http, data, **auth)
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


def query_of(response) -> dict:
    return parse_qs(urlsplit(response["Location"]).query)
