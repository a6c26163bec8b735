"""Fill the benchmark database: clients of both contenders, API tokens, codes and refresh tokens.

Rows are written directly in each system's tables (as their authorization endpoints would), so
the load generator can consume every code and refresh token exactly once.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

SECRET = "bench-secret-0123456789abcdefghijklmnopqrstuvwxyz"
REDIRECT_URI = "http://127.0.0.1:8199/callback"
VERIFIER = "v" * 43 + "-._~0123456789"  # a PKCE code_verifier (RFC 7636 4.1)


def basic(client_id: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{SECRET}".encode()).decode()


def _dpop_token(client, user) -> tuple[str, str]:
    """Return an RS256 access token bound to a new ES256 DPoP key (RFC 9449 6.1), and the key."""
    from oauthcore.jose import keys
    from oauthcore.server import issuance

    private_key = keys.generate_private_key("ES256")
    jkt = keys.thumbprint(keys.public_jwk(private_key.public_key()))
    token = issuance.issue(client=client, user=user, scope=["read"], jkt=jkt).value
    return token, keys.private_pem(private_key)


def write_client(client_id: str, scopes: list[str], **fields):
    """Write a confidential client of every grant, its secret ``SECRET``; return it."""
    from oauthcore import crypto
    from oauthcore.models import Client

    return Client.objects.create(
        client_id=client_id,
        name=client_id,
        secret_hash=crypto.hash_token(SECRET),
        redirect_uris=[REDIRECT_URI],
        grant_types=["authorization_code", "refresh_token", "client_credentials"],
        allowed_scopes=scopes,
        **fields,
    )


def write_codes(client, user, count: int, *, scope: str) -> list[str]:
    """Write ``count`` authorization codes of ``client`` (PKCE ``VERIFIER``); return them raw."""
    from oauthcore import crypto
    from oauthcore.models import AuthorizationCode
    from oauthcore.server import pkce

    now, codes = timezone.now(), [secrets.token_urlsafe(32) for _ in range(count)]
    AuthorizationCode.objects.bulk_create(
        (
            AuthorizationCode(
                token_hash=crypto.hash_token(raw),
                client=client,
                user=user,
                redirect_uri=REDIRECT_URI,
                scope=scope,
                code_challenge=pkce.s256(VERIFIER),
                auth_time=now,
                expires_at=now + timedelta(hours=1),
            )
            for raw in codes
        ),
        batch_size=2000,
    )
    return codes


def write_refresh_tokens(client, user, count: int, *, scope: str, **fields) -> list[str]:
    """Write ``count`` refresh tokens of ``client``, each its own family; return them raw."""
    from oauthcore import crypto
    from oauthcore.models import RefreshToken

    now, tokens = timezone.now(), [secrets.token_urlsafe(32) for _ in range(count)]
    RefreshToken.objects.bulk_create(
        (
            RefreshToken(
                token_hash=crypto.hash_token(raw),
                family_id=uuid.uuid4(),
                client=client,
                user=user,
                scope=scope,
                auth_time=now,
                expires_at=now + timedelta(days=14),
                **{name: value() if callable(value) else value for name, value in fields.items()},
            )
            for raw in tokens
        ),
        batch_size=2000,
    )
    return tokens


def _ours(user, counts: dict[str, int]) -> dict:
    from oauthcore.jose import keyring
    from oauthcore.server import issuance

    client = write_client("ours", ["read"])
    api = {}
    for alg in ("EdDSA", "ES256", "RS256"):  # RS256 last: it signs at the token endpoint
        keyring.rotate(alg)
        api[alg] = "Bearer " + issuance.issue(client=client, user=user, scope=["read"]).value
    api["DPoP"], api["DPoP key"] = _dpop_token(client, user)
    codes = write_codes(client, user, counts["code"], scope="read")
    refresh = write_refresh_tokens(client, user, counts["refresh"], scope="read")
    return {"auth": basic("ours"), "api": api, "code": codes, "refresh": refresh}


def _dot(user, name: str, hashed: bool, counts: dict[str, int]) -> dict:
    from oauth2_provider.models import AccessToken, Application, Grant, RefreshToken

    from oauthcore.server import pkce

    common = {"user": user, "client_type": Application.CLIENT_CONFIDENTIAL}
    common.update(client_secret=SECRET, hash_client_secret=hashed, redirect_uris=REDIRECT_URI)
    Application.objects.create(
        name=name, client_id=f"{name}-cc", authorization_grant_type="client-credentials", **common
    )
    app = Application.objects.create(
        name=name, client_id=f"{name}-code", authorization_grant_type="authorization-code", **common
    )
    later = timezone.now() + timedelta(hours=1)
    codes = [secrets.token_urlsafe(32) for _ in range(counts["code"])]
    Grant.objects.bulk_create(
        Grant(
            user=user,
            code=raw,
            application=app,
            expires=later,
            redirect_uri=REDIRECT_URI,
            scope="read",
            code_challenge=pkce.s256(VERIFIER),
            code_challenge_method="S256",
        )
        for raw in codes
    )
    refresh = [secrets.token_urlsafe(32) for _ in range(counts["refresh"])]
    access = AccessToken.objects.bulk_create(
        AccessToken(user=user, application=app, token=secrets.token_urlsafe(32), expires=later)
        for _ in refresh
    )
    RefreshToken.objects.bulk_create(
        RefreshToken(user=user, application=app, token=raw, access_token=at)
        for raw, at in zip(refresh, access, strict=True)
    )
    api = secrets.token_urlsafe(32)
    AccessToken.objects.create(user=user, application=app, token=api, expires=later, scope="read")
    return {
        "auth_cc": basic(f"{name}-cc"),
        "auth": basic(f"{name}-code"),
        "api": "Bearer " + api,
        "code": codes,
        "refresh": refresh,
    }


def seed(counts: dict[str, dict[str, int]]) -> dict:
    """Migrate and fill the database; return what the load generator sends, per contender.

    ``counts``: contender ("ours", "dot", "dot-hashed") -> {"code": N, "refresh": N}.
    """
    from django.contrib.auth.models import User

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench", password=None)
    return {
        "ours": _ours(user, counts["ours"]),
        "dot": _dot(user, "dot", False, counts["dot"]),
        "dot-hashed": _dot(user, "dot-hashed", True, counts["dot-hashed"]),
    }
