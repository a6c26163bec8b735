"""End everything a user is signed in with: their browser sessions on this site, every
refresh-token family and live access token, and the relying parties told by a logout token.

Used by the admin's "End all sessions" action and ``manage.py endsessions``.

Browser sessions are found only where the session backend keeps them in a table it can list
(``db``, ``cached_db``, or a subclass of theirs): each live row is read once and the sessions of
the users are deleted. Other backends (``cache``, ``file``, ``signed_cookies``) cannot be listed:
``sessions`` is then None, the tokens and logout tokens are still handled, and
docs/backchannel-logout.md says how a site ends those sessions too.
"""

from __future__ import annotations

import binascii
import zlib
from dataclasses import dataclass, field
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core import signing
from django.utils import timezone

from oauthcore import signals
from oauthcore.oidc import backchannel, id_tokens
from oauthcore.server import revocation

CHUNK = 2000  # session rows read per query while looking for the users' sessions


@dataclass
class Ended:
    """What ending the sessions of some users did."""

    users: int = 0
    sessions: int | None = 0  # None: the session backend cannot list its sessions
    families: int = 0
    clients: set[str] = field(default_factory=set)  # client_ids told by a logout token

    def add(self, other: Ended) -> None:
        self.users += other.users
        self.families += other.families
        self.clients |= other.clients
        if self.sessions is None or other.sessions is None:
            self.sessions = None
        else:
            self.sessions += other.sessions


def session_store():
    """Return the ``SessionStore`` class of ``SESSION_ENGINE``."""
    return import_module(settings.SESSION_ENGINE).SessionStore


def can_list_sessions() -> bool:
    """Tell whether the session backend keeps its sessions in a table (``db``, ``cached_db``)."""
    return hasattr(session_store(), "get_model_class")


def _needles(owners: set[str]) -> tuple[bytes, ...] | None:
    """Return what the JSON of a session of one of ``owners`` contains, or None when sessions
    are not Django's JSON (another ``SESSION_SERIALIZER``): every row is then decoded."""
    if settings.SESSION_SERIALIZER != "django.contrib.sessions.serializers.JSONSerializer":
        return None
    return tuple(f'"{SESSION_KEY}":"{owner}"'.encode() for owner in owners)


def _may_be_theirs(data: str, needles: tuple[bytes, ...] | None) -> bool:
    """Tell cheaply whether a session row may belong to one of the users: its payload, read
    without checking the signature (``signing.dumps``: ``[.]base64:timestamp:signature``, the
    dot for zlib). A row that may is decoded in full, signature checked."""
    if needles is None:
        return True
    payload = data.split(":", 1)[0]
    try:
        raw = signing.b64_decode(payload.removeprefix(".").encode())
        raw = zlib.decompress(raw) if payload.startswith(".") else raw
    except (binascii.Error, ValueError, zlib.error):
        return False
    return any(needle in raw for needle in needles)


def find_sessions(users) -> dict[str, list[tuple[str, str]]] | None:
    """Return user pk (as sessions store it) -> (session key, sid) of each live session, or None
    when the backend cannot list sessions. Reads every live session once, ``CHUNK`` at a time."""
    if not can_list_sessions():
        return None
    store = session_store()
    wanted = {user._meta.pk.value_to_string(user) for user in users}
    needles = _needles(wanted)
    rows = store.get_model_class().objects.filter(expire_date__gt=timezone.now())
    found: dict[str, list[tuple[str, str]]] = {}
    decoder = store()
    for key, data in rows.values_list("session_key", "session_data").iterator(CHUNK):
        if not _may_be_theirs(data, needles):
            continue
        session = decoder.decode(data)
        owner = session.get(SESSION_KEY)
        if owner in wanted:
            found.setdefault(owner, []).append((key, session.get(id_tokens.SESSION_KEY) or ""))
    return found


def _end_one(user, sessions: list[tuple[str, str]] | None, *, by) -> Ended:
    """Delete ``user``'s ``sessions``, revoke their tokens, queue the logout tokens."""
    store = session_store()
    for key, _sid in sessions or ():
        store(session_key=key).delete()  # cached_db forgets its cached copy too
    families = revocation.revoke_user(user, by=by)
    sids = None if sessions is None else [sid for _key, sid in sessions]
    told = backchannel.notify_ended(user=user, sids=sids, families=families)
    ended = Ended(
        users=1,
        sessions=None if sessions is None else len(sessions),
        families=len(families),
        clients={client.client_id for client in told},
    )
    signals.sessions_ended.send(
        get_user_model(),
        user=user,
        by=by,
        sessions=ended.sessions,
        families=ended.families,
        clients=sorted(ended.clients),
    )
    return ended


def end(users, *, by=None) -> Ended:
    """End every session of each of ``users``; ``by`` is the staff user (None from a command)."""
    users = list(users)
    found = find_sessions(users)
    total = Ended(sessions=None if found is None else 0)
    for user in users:
        key = user._meta.pk.value_to_string(user)
        sessions = None if found is None else found.get(key, [])
        total.add(_end_one(user, sessions, by=by))
    return total
