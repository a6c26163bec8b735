"""A FAPI 2.0 client for tests: private_key_jwt on every back-channel request, DPoP at the token
endpoint and the API, pushed authorization requests (RFC 9126)."""

from __future__ import annotations

from django.urls import reverse

from oauthcore.models import Client
from tests import client_jwt, protocol
from tests.dpop_kit import TOKEN_URL, DPoPKey

PAR_URL = "http://testserver/oauth/par/"
API_URL = "http://testserver/api/profile/"
FAPI = {"SECURITY_PROFILE": "fapi2", "SIGNING_ALGORITHM": "ES256"}


def enable(settings, **more) -> None:
    """Turn the FAPI 2.0 profile on (with an ES256 signing key, as it requires)."""
    settings.OAUTHCORE = {**settings.OAUTHCORE, **FAPI, **more}


def fapi_client(pair: client_jwt.KeyPair, **fields) -> Client:
    """Register a private_key_jwt client of ``pair`` for the code and refresh grants."""
    fields.setdefault("grant_types", ["authorization_code", "refresh_token"])
    return client_jwt.key_client(pair, **fields)


def authenticated(app: Client, pair: client_jwt.KeyPair, data: dict, **claims) -> dict:
    """Return ``data`` with a fresh private_key_jwt assertion of ``app`` (aud: the issuer)."""
    return client_jwt.form(client_jwt.assertion(app.client_id, pair, **claims), **data)


def push(http, app, pair, *, claims=None, extra=None, **overrides):
    """POST a valid authorization request of ``app`` to the PAR endpoint with private_key_jwt."""
    data = authenticated(app, pair, protocol.authorize_params(app, **overrides), **(claims or {}))
    return protocol.post_form(http, reverse("oauthcore:par"), data, **(extra or {}))


def token(http, app, pair, data: dict, key: DPoPKey | None, **claims):
    """POST ``data`` to the token endpoint with private_key_jwt and, given ``key``, a proof."""
    extra = key.header("POST", TOKEN_URL) if key is not None else {}
    return protocol.post_token(http, authenticated(app, pair, data, **claims), **extra)


def code_grant(app, code: str) -> dict:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": app.redirect_uris[0],
        "code_verifier": protocol.VERIFIER,
    }


def api_call(http, access_token: str, key: DPoPKey):
    """GET the example API with ``Authorization: DPoP`` and a proof of ``key`` (RFC 9449 7)."""
    proof = key.proof("GET", API_URL, access_token=access_token)
    return http.get(API_URL, HTTP_AUTHORIZATION=f"DPoP {access_token}", HTTP_DPOP=proof)
