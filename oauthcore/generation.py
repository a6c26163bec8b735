"""The generation: one database counter that moves with every change all processes must honour.

A revocation, a client saved or deleted, a consent deleted, a signing key saved or deleted: each
moves ``Generation.value`` in the transaction that makes the change (``bump``). Each process keeps
the value it last read and asks the database again at most once a ``SYNC_INTERVAL`` (one query by
primary key); what it derived from the database (the deny-list, remembered clients, signing keys)
is read again when the value has moved. So a change made anywhere (a worker, the admin, a shell,
cron) is honoured by every process within ``SYNC_INTERVAL``, whatever the cache backend, and
requests in between make no query. The cache plays no part: nothing it loses can revive a token.

The row's lock orders concurrent writers, so values are handed out in commit order: a process
that has loaded everything up to value N has missed nothing at or below N.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from oauthcore.conf import oauth_settings

ROW = 1
_local: dict[str, Any] = {"value": 0, "read_at": float("-inf")}
_loaded_only: ContextVar[bool] = ContextVar("oauthcore_loaded_only", default=False)


class NotLoaded(Exception):
    """Raised under ``loaded_only()`` where the database (or the network) would be read."""


@contextmanager
def loaded_only() -> Iterator[None]:
    """Answer from what this process has loaded; where a read is due, raise ``NotLoaded``.

    The async resource server validates tokens in the event loop under it, and reads what is
    due off the loop (once a ``SYNC_INTERVAL`` at most, never per request).
    """
    reset = _loaded_only.set(True)
    try:
        yield
    finally:
        _loaded_only.reset(reset)


def before_reading() -> None:
    """Call before reading the database or the network: under ``loaded_only()``, ``NotLoaded``."""
    if _loaded_only.get():
        raise NotLoaded


def forget() -> None:
    """Make this process read the generation again on its next check."""
    _local["read_at"] = float("-inf")


def bump() -> int:
    """Move the generation in the open transaction (one is opened if none is); return the value."""
    from oauthcore.models import Generation

    with transaction.atomic(savepoint=False):
        row = Generation.objects.filter(pk=ROW)
        if not row.update(value=F("value") + 1, changed_at=timezone.now()):
            Generation.objects.get_or_create(pk=ROW)  # a flushed table: start again
            row.update(value=F("value") + 1, changed_at=timezone.now())
        value = row.values_list("value", flat=True).get()
        transaction.on_commit(forget)  # also marks the transaction (moved_in_open_transaction)
    forget()  # this process reads it again at its next check: read inside this transaction,
    return value  # nothing is kept; read after it (committed or rolled back), the truth


def moved_in_open_transaction() -> bool:
    """Tell whether the open transaction moved the generation: what it reads may be rolled back.

    The blocks Django's ``TestCase`` opens around a test are not counted, as Django's own
    ``durable`` check does not count them: they end the test, not a change.
    """
    connection = transaction.get_connection()
    blocks = [block for block in connection.atomic_blocks if not block._from_testcase]
    return bool(blocks) and any(func is forget for _, func, *_ in connection.run_on_commit)


def current() -> int | None:
    """Return the generation this process may rely on, read at most once a ``SYNC_INTERVAL``.

    None inside a transaction that moved it: read the database, and remember nothing.
    """
    if moved_in_open_transaction():
        before_reading()
        return None
    now = time.monotonic()
    if now - _local["read_at"] >= oauth_settings.SYNC_INTERVAL.total_seconds():
        from oauthcore.models import Generation

        before_reading()

        found = Generation.objects.filter(pk=ROW).values_list("value", flat=True)[:1]
        _local.update(value=next(iter(found), 0), read_at=now)
    return _local["value"]


def _changed(**kwargs: Any) -> None:
    bump()


def connect(*models: type) -> None:
    """Move the generation whenever a row of one of ``models`` is saved or deleted."""
    for model in models:
        name = model._meta.label_lower
        post_save.connect(_changed, sender=model, dispatch_uid=f"oauthcore.generation.{name}.s")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"oauthcore.generation.{name}.d")
