"""Client authentication at the token, revocation and introspection endpoints (RFC 6749 2.3).

Methods: ``client_secret_basic``, ``client_secret_post`` and ``none`` (public clients, client_id
only). Every failure looks the same, so a caller cannot tell an unknown client from a bad secret.

Each process remembers the clients it looked up (``CLIENT_CACHE_TTL``), so the token endpoint
makes no query for the client. A remembered client is used only while the generation is the one
it was read at (``generation.py``): saving or deleting any client (its secret rotated, a redirect
URI added, deactivated) moves it, so every process reads the client afresh within
``SYNC_INTERVAL``. The TTL bounds what nothing announces: a queryset ``update()`` or raw SQL.
"""

from __future__ import annotations

import base64
import binascii
import copy
import time
from typing import Any
from urllib.parse import unquote_plus

from django.db.models.signals import post_delete, post_save

from oauthcore import crypto, errors, generation
from oauthcore.conf import oauth_settings
from oauthcore.models import Client

MAX_CLIENT_ID_LENGTH = 100  # Client.client_id max_length
# The hash of no real secret (under the preferred algorithm when this module was loaded): checked
# against for an unknown client so it costs the same work.
UNKNOWN_CLIENT_HASH = crypto.hash_token("oauthcore: no such client")
MAX_REMEMBERED = 1000
# client_id -> (generation, monotonic time read, the client as read)
_remembered: dict[str, tuple[int, float, Client]] = {}


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


def _read(client_id: str) -> Client | None:
    return Client.objects.active().lookup(client_id)


def find(client_id: str | None) -> Client | None:
    """Return the active client named ``client_id``, or None.

    One query when this process has no current copy of the client, else none.
    """
    if not client_id or len(client_id) > MAX_CLIENT_ID_LENGTH or not client_id.isprintable():
        return None
    ttl = oauth_settings.CLIENT_CACHE_TTL.total_seconds()
    if ttl <= 0:
        return _read(client_id)
    version, now = generation.current(), time.monotonic()
    remembered = _remembered.get(client_id)
    if remembered and remembered[0] == version and now - remembered[1] < ttl:
        return copy.copy(remembered[2])
    client = _read(client_id)
    if client is not None and version is not None:  # None: this transaction changed something
        if len(_remembered) >= MAX_REMEMBERED:
            _remembered.clear()
        _remembered[client_id] = (version, now, copy.copy(client))
    return client


def forget(**kwargs: Any) -> None:
    """Forget the clients this process remembers (a client changed here)."""
    _remembered.clear()


def connect() -> None:
    """Forget remembered clients, here at once and everywhere else, when a client changes."""
    generation.connect(Client)
    post_save.connect(forget, sender=Client, dispatch_uid="oauthcore.server.client_auth.saved")
    post_delete.connect(forget, sender=Client, dispatch_uid="oauthcore.server.client_auth.deleted")


def verify(client: Client | None, secret: str | None, *, basic: bool) -> Client:
    """Return ``client`` if ``secret`` fits how it authenticates, else raise ``InvalidClient``."""
    if client is None:
        crypto.matches(secret or "", UNKNOWN_CLIENT_HASH)  # spend the work a real check costs
        raise failure(basic=basic)
    if client.is_public:
        if secret is not None or basic:
            raise failure(basic=basic)  # a public client has no secret to present
        return client
    stored = client.secret_hash, client.previous_secret_hash
    if not secret or not client.check_secret(secret):
        raise failure(basic=basic)
    if (client.secret_hash, client.previous_secret_hash) != stored:
        generation.bump()  # stored under a newer algorithm now: every process reads it afresh
    return client


def authenticate(request, params: dict[str, str]) -> Client:
    """Authenticate the client of a back-channel request (RFC 6749 2.3, 3.2.1), else raise."""
    client_id, secret, basic = credentials(request, params)
    return verify(find(client_id), secret, basic=basic)
