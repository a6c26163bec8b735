"""Helpers for a project's own tests of its protected API (see docs/resource-server.md).

    from oauthcore.testing import authorization_header
    response = client.get("/api/email/", **authorization_header(user=user, scopes=["read:email"]))

Tokens are really signed with this project's signing key, so they go through the same checks as
in production. Pass a claim as ``None`` to leave it out (e.g. ``exp=None``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import jwt

from oauthcore.conf import oauth_settings
from oauthcore.jose import keyring
from oauthcore.server import issuance

TEST_CLIENT_ID = "oauthcore-testing"


class _TestClient:
    """A stand-in for a registered client: tokens need only its id, lifetime and audience."""

    def __init__(self, client_id: str = TEST_CLIENT_ID) -> None:
        self.client_id = client_id

    def token_lifetime(self) -> timedelta:
        return oauth_settings.ACCESS_TOKEN_LIFETIME

    def token_audience(self) -> str:
        return oauth_settings.audience


def make_access_token(user=None, client=None, scopes: Iterable[str] = (), **claims: Any) -> str:
    """Return a signed access token for ``user`` (None: a client-credentials token) and ``scopes``.

    ``claims`` replace or add claims (``aud="other"``); a value of None removes the claim.
    """
    issued = issuance.issue(client=client or _TestClient(), user=user, scope=list(scopes))
    if not claims:
        return issued.value
    payload = {**issued.claims, **claims}
    payload = {name: value for name, value in payload.items() if value is not None}
    key = keyring.signing_key()
    headers = {"typ": "at+jwt", "kid": key.kid}
    return jwt.encode(payload, key.private_key, algorithm=key.algorithm, headers=headers)


def authorization_header(user=None, client=None, scopes: Iterable[str] = (), **claims: Any):
    """Return ``{"HTTP_AUTHORIZATION": "Bearer <token>"}`` for the Django or DRF test client."""
    token = make_access_token(user=user, client=client, scopes=scopes, **claims)
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}
