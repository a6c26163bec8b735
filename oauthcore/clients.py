"""Client authentication at the token, revocation and introspection endpoints (RFC 6749 2.3).

Methods: ``client_secret_basic``, ``client_secret_post`` and ``none`` (public clients, client_id
only). Every failure looks the same, so a caller cannot tell an unknown client from a bad secret.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus

from oauthcore import crypto, errors
from oauthcore.conf import oauth_settings
from oauthcore.models import Client

MAX_CLIENT_ID_LENGTH = 100  # Client.client_id max_length
# The hash of no real secret: checked against for an unknown client so it costs the same work.
UNKNOWN_CLIENT_HASH = crypto.hash_token("oauthcore: no such client")


def failure(*, basic: bool) -> errors.InvalidClient:
    """Return the one invalid_client error; with a Basic challenge when Basic was used (RFC 6749 5.2)."""
    headers = {"WWW-Authenticate": f'Basic realm="{oauth_settings.realm}"'} if basic else {}
    return errors.InvalidClient("Client authentication failed.", headers=headers)


def basic_credentials(header: str) -> tuple[str, str]:
    """Return (client_id, secret) from an HTTP Basic Authorization header (RFC 6749 2.3.1)."""
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise failure(basic=True)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        client_id, colon, secret = decoded.partition(":")
        if not colon:
            raise ValueError("no colon")
        # RFC 6749 2.3.1: both parts are application/x-www-form-urlencoded before encoding.
        return unquote_plus(client_id, errors="strict"), unquote_plus(secret, errors="strict")
    except (binascii.Error, ValueError) as e:  # UnicodeDecodeError is a ValueError
        raise failure(basic=True) from e


def credentials(request, params: dict[str, str]) -> tuple[str | None, str | None, bool]:
    """Return (client_id, secret, used Basic) from the one method the request uses."""
    header = request.META.get("HTTP_AUTHORIZATION")
    if header is None:
        return params.get("client_id"), params.get("client_secret"), False
    if "client_secret" in params:
        raise errors.InvalidRequest("Use only one client authentication method.")
    client_id, secret = basic_credentials(header)
    if params.get("client_id", client_id) != client_id:
        raise errors.InvalidRequest("client_id does not match the authenticated client.")
    return client_id, secret, True


def find(client_id: str | None) -> Client | None:
    """Return the active client named ``client_id``, or None (one query at most)."""
    if not client_id or len(client_id) > MAX_CLIENT_ID_LENGTH or not client_id.isprintable():
        return None
    # [:1], not first(): client_id is unique, and ORDER BY costs the ORM ~25% more per call.
    return next(iter(Client.objects.active().filter(client_id=client_id)[:1]), None)


def verify(client: Client | None, secret: str | None, *, basic: bool) -> Client:
    """Return ``client`` if ``secret`` fits how it authenticates, else raise ``InvalidClient``."""
    if client is None:
        crypto.matches(secret or "", UNKNOWN_CLIENT_HASH)  # spend the work a real check costs
        raise failure(basic=basic)
    if client.is_public:
        if secret is not None or basic:
            raise failure(basic=basic)  # a public client has no secret to present
        return client
    if not secret or not client.check_secret(secret):
        raise failure(basic=basic)
    return client


def authenticate(request, params: dict[str, str]) -> Client:
    """Authenticate the client of a back-channel request (RFC 6749 2.3, 3.2.1), else raise."""
    client_id, secret, basic = credentials(request, params)
    return verify(find(client_id), secret, basic=basic)
