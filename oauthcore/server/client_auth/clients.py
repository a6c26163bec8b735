"""The clients this process remembers, so the token endpoint makes no query for the client.

Each process remembers the clients it looked up (``CLIENT_CACHE_TTL``). A remembered client is
used only while the generation is the one it was read at (``generation.py``): saving or deleting
any client (its secret rotated, a redirect URI added, deactivated) moves it, so every process
reads the client afresh within ``SYNC_INTERVAL``. The TTL bounds what nothing announces: a
queryset ``update()`` or raw SQL.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from django.db.models.signals import post_delete, post_save

from oauthcore import generation
from oauthcore.conf import oauth_settings
from oauthcore.models import MAX_CLIENT_ID_LENGTH, Client

MAX_REMEMBERED = 1000
# client_id -> (generation, monotonic time read, the client as read)
_remembered: dict[str, tuple[int, float, Client]] = {}
# Steps that bring a found client up to date, or raise InvalidClient: a client ID metadata
# document fetched again once expired (server/metadata_documents connects it in ``ready()``).
_renewers: list[Callable[[Client], Client]] = []


def add_renewer(renewer: Callable[[Client], Client]) -> None:
    """Run ``renewer`` on every client found with ``renew=True`` (once, however often added)."""
    if renewer not in _renewers:
        _renewers.append(renewer)


def _read(client_id: str) -> Client | None:
    return Client.objects.active().lookup(client_id)


def find(client_id: str | None, *, renew: bool = False) -> Client | None:
    """Return the active client named ``client_id``, or None.

    One query when this process has no current copy of the client, else none. With ``renew``
    (client authentication), the renewers run on it first and may raise ``InvalidClient``.
    """
    client = _find(client_id)
    if renew and client is not None:
        for renewer in _renewers:
            client = renewer(client)
    return client


def _find(client_id: str | None) -> Client | None:
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
