"""Shared tools of the hostile suite: requests as an attacker sends them, and "nothing changed"."""

from __future__ import annotations

import base64
import json
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit

from django.urls import reverse

from oauthcore.models import AuthorizationCode, Consent, RefreshToken, RevokedAccessToken
from tests import protocol

ISSUER = "http://testserver"


authorize = protocol.authorization_request  # the attacker's request, sent as it is


def snapshot() -> dict:
    """Return what an attack must not change: grants, consents and the deny-list."""
    return {
        "codes": sorted(AuthorizationCode.objects.values_list("pk", "used_at")),
        "refresh": sorted(RefreshToken.objects.values_list("pk", "rotated_at", "revoked_at")),
        "consents": sorted(Consent.objects.values_list("pk", "scopes")),
        "denied": RevokedAccessToken.objects.count(),
    }


def assert_error_page(response, error="invalid_request"):
    """An error shown on our own page: 400, no redirect anywhere, not cached."""
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Location" not in response
    assert "oauthcore/error.html" in [t.name for t in response.templates]
    assert response["Cache-Control"] == "no-store"
    assert f"Error code: {error}" in response.content.decode()


def redirect_query(response, uri: str) -> dict[str, str]:
    """Assert a redirect to exactly ``uri`` (query aside) and return its query parameters."""
    assert response.status_code == HTTPStatus.FOUND, response.content[:300]
    location = urlsplit(response["Location"])
    assert location._replace(query="").geturl() == uri
    return dict(parse_qsl(location.query, keep_blank_values=True))


def assert_json_error(response, status, error):
    """A back-channel error (RFC 6749 5.2): exact status and code, JSON, never cached."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == error
    assert response["Cache-Control"] == "no-store"


def b64(data) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def jwt_parts(raw: str) -> tuple[dict, dict, str]:
    """Return (header, claims, signature segment) of a compact JWS, without checking anything."""
    head, payload, signature = raw.split(".")
    return json.loads(unb64(head)), json.loads(unb64(payload)), signature


# Bearer tokens at the example API


def call_api(http, raw: str, url: str = "/api/profile/"):
    return http.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}")


def assert_invalid_token(response, description: str):
    """RFC 6750 3.1: 401 invalid_token with the exact reason, body and challenge agreeing."""
    assert response.status_code == HTTPStatus.UNAUTHORIZED, response.content
    assert response.json() == {"error": "invalid_token", "error_description": description}
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def sign_input(signing_input: str, key=None, alg: str | None = None) -> str:
    """Return ``signing_input`` with its signature by ``key`` (default: our signing key)."""
    import jwt

    from oauthcore.jose import keyring

    key = key or keyring.signing_key()
    algorithm = jwt.get_algorithm_by_name(alg or key.algorithm)
    return f"{signing_input}.{b64(algorithm.sign(signing_input.encode(), key.private_key))}"


def signed(header: dict, claims, key=None) -> str:
    """Sign ``claims`` under ``header`` by hand, so only the part under test is wrong."""
    return sign_input(f"{b64(header)}.{b64(claims)}", key, header.get("alg"))


# Registration, as staff and scripts do it


def createclient_with_redirect_uri(uri: str) -> None:
    """Run ``createclient`` for a code-grant client registering ``uri``."""
    from django.core.management import call_command

    call_command(
        "createclient", "--name", "x", "--grant-types", "authorization_code", "--redirect-uris", uri
    )


def admin_add_client(admin_client, redirect_uris: str):
    """POST the admin's "add client" form with ``redirect_uris`` (one per line)."""
    data = {
        "name": "Admin App",
        "client_id": "",
        "client_type": "confidential",
        "grant_types": ["authorization_code"],
        "redirect_uris": redirect_uris,
        "allowed_scopes": ["read:profile"],
        "is_active": "on",
        "metadata": "{}",
    }
    return admin_client.post(reverse("admin:oauthcore_client_add"), data)
