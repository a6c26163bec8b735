"""Drive the endpoints as an OAuth client does: authorize, exchange, refresh, revoke, introspect.

Each request helper returns the response, so a test asserts on what a client would see; the
``tokens_for`` and ``code_from`` readers assert the success they return. Confidential clients
authenticate with client_secret_basic (RFC 6749 2.3.1), public ones send their ``client_id``.
"""

from __future__ import annotations

import base64
from http import HTTPStatus
from urllib.parse import parse_qs, quote_plus, urlencode, urlsplit

import jwt
from django.urls import reverse

from oauthcore.models import Consent
from oauthcore.server import pkce
from tests import factories
from tests.factories import DEMO_SECRET, REDIRECT_URI, VERIFIER

FORM = "application/x-www-form-urlencoded"


def basic_auth(client_id, secret=DEMO_SECRET):
    """Return test-client headers for client_secret_basic (RFC 6749 2.3.1)."""
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(pair).decode()}


def post_form(http, url, data, **extra):
    """POST ``data`` (a dict or a list of pairs) form-encoded to ``url``."""
    return http.post(url, urlencode(data), content_type=FORM, **extra)


def post_token(http, data, **extra):
    """POST ``data`` (a dict or a list of pairs) form-encoded to the token endpoint."""
    return post_form(http, reverse("oauthcore:token"), data, **extra)


def _as_client(app, data, secret, extra):
    """Return (data, extra) authenticated as ``app``; ``None`` sends no client at all."""
    if app is None:
        return data, extra
    if app.is_public:
        return {**data, "client_id": app.client_id}, extra
    return data, {**basic_auth(app.client_id, secret), **extra}


def _client_post(http, url_name, app, data, secret, extra):
    data, extra = _as_client(app, data, secret, extra)
    return post_form(http, reverse(f"oauthcore:{url_name}"), data, **extra)


# The authorization endpoint (RFC 6749 4.1.1)


def authorize_params(client, **overrides):
    """Return the query of a valid authorization request for ``client``; None drops a parameter.

    Its code_challenge is the S256 of ``VERIFIER``.
    """
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uris[0],
        "scope": "read:profile read:email",
        "state": "xyz-state",
        "code_challenge": pkce.s256(VERIFIER),
        "code_challenge_method": "S256",
        **overrides,
    }
    return {name: value for name, value in params.items() if value is not None}


def authorization_request(http, params):
    """GET the authorization endpoint with ``params`` (a dict or a list of pairs), as they are."""
    return http.get(reverse("oauthcore:authorize") + "?" + urlencode(params, doseq=True))


def authorization_response(http, app, user, *, login=True, **params):
    """Sign ``user`` in (unless ``login`` is False), record their consent to the scope asked,
    GET /authorize with a valid request (``params`` override it); return the response."""
    if login:
        http.force_login(user)
    scope = params.pop("scope", "read:profile read:email")
    Consent.objects.update_or_create(user=user, client=app, defaults={"scopes": scope.split()})
    return http.get(reverse("oauthcore:authorize"), authorize_params(app, scope=scope, **params))


def code_from(response) -> str:
    """Assert a redirect carrying a code (RFC 6749 4.1.2) and return the code."""
    assert response.status_code == HTTPStatus.FOUND, response.content[:300]
    query = parse_qs(urlsplit(response["Location"]).query)
    assert "code" in query, query
    return query["code"][0]


def authorize(http, app, user, **params) -> str:
    """Run the authorization request of a signed-in, consenting ``user``; return the code."""
    return code_from(authorization_response(http, app, user, **params))


# The token endpoint (RFC 6749 4.1.3, 4.4, 6)


def token(http, app, code, *, secret=DEMO_SECRET, **fields):
    """Exchange ``code`` (RFC 6749 4.1.3) with ``VERIFIER``; None in ``fields`` drops a field."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": app.redirect_uris[0],
        "code_verifier": VERIFIER,
        **fields,
    }
    data = {name: value for name, value in data.items() if value is not None}
    return _client_post(http, "token", app, data, secret, {})


def redeem(http, client, user, *, secret=DEMO_SECRET, **code_fields):
    """Exchange a fresh code of ``client`` for ``user`` (stored directly); return the response."""
    raw = factories.make_code(client, user, **code_fields)
    redirect_uri = code_fields.get("redirect_uri", REDIRECT_URI)
    data = {"grant_type": "authorization_code", "code": raw, "redirect_uri": redirect_uri}
    if verifier := code_fields.get("verifier", VERIFIER):
        data["code_verifier"] = verifier
    return _client_post(http, "token", client, data, secret, {})


def tokens_for(http, app, user, scope="read:profile", **code_fields) -> dict:
    """Return the token response of a fresh code of ``user`` for ``app``, asserting it is 200."""
    response = redeem(http, app, user, scope=scope, **code_fields)
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


def refresh(http, app, refresh_token, *, secret=DEMO_SECRET, **data):
    """Use ``refresh_token`` (RFC 6749 6); ``data`` adds fields such as ``scope``."""
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, **data}
    return _client_post(http, "token", app, data, secret, {})


def client_credentials(http, app, *, secret=DEMO_SECRET, **data):
    """Ask for a token of ``app`` itself (RFC 6749 4.4); ``data`` adds fields such as ``scope``."""
    return _client_post(
        http, "token", app, {"grant_type": "client_credentials", **data}, secret, {}
    )


# Revocation (RFC 7009) and introspection (RFC 7662)


def revoke(http, app, token, secret=DEMO_SECRET, **extra):
    """POST ``token`` (a raw token, or the whole form as a dict) to the revocation endpoint."""
    data = token if isinstance(token, dict) else {"token": token}
    return _client_post(http, "revoke", app, data, secret, extra)


def introspect(http, app, token, secret=DEMO_SECRET, **extra):
    """POST ``token`` (a raw token, or the whole form as a dict) to the introspection endpoint
    with ``app``'s client_secret_basic; ``app`` None sends no credentials."""
    data = token if isinstance(token, dict) else {"token": token}
    if app is not None:
        extra = {**basic_auth(app.client_id, secret), **extra}
    return post_form(http, reverse("oauthcore:introspect"), data, **extra)


# Readers


def claims_of(access_token) -> dict:
    """Return the claims of a JWT access token, without checking anything."""
    return jwt.decode(access_token, options={"verify_signature": False})


def jti_of(access_token) -> str:
    return claims_of(access_token)["jti"]
