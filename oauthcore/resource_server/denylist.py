"""The deny-list: is an access token revoked? Read on every API request, with no query.

The database is the truth: ``RevokedAccessToken`` rows (one per revoked ``jti``, kept until the
token's own ``exp``), ``Client.is_active`` / ``Client.deactivated_at``, and ``DeletedClient``
rows. Each process keeps a copy of all three and reads what is new whenever the generation moves
(``generation.py``): a revocation made anywhere is honoured everywhere within ``SYNC_INTERVAL``,
and checking a token costs no query and no cache lookup in between. A client's access tokens are
refused while it is inactive, whenever they were issued; after a reactivation, those issued up to
its last deactivation stay refused; after a deletion, those issued up to it.

The copy is bounded by design (docs/deployment.md, "Per-process state"): a jti stays only until
its token expires (swept at most once a ``PRUNE_INTERVAL``), so it holds at most the revocation
rate x (the longest access-token lifetime + ``PRUNE_INTERVAL``) jtis, plus one cutoff per
inactive client and per client deleted within a token lifetime. A move of the generation reads
only the rows it added; the client cutoffs only when a move was not a revocation.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone

from oauthcore import generation

PRUNE_INTERVAL = 60.0  # seconds between sweeps of expired jtis out of this process's copy

# The copy this process keeps: up to which generation, {jti: exp}, {client_id: iat cutoff}, and
# when its expired jtis were last swept out.
_local: dict[str, Any] = {"generation": None, "jtis": {}, "clients": {}, "pruned_at": 0.0}
_loading = threading.Lock()  # one thread reads the database; the others then find it current


def forget() -> None:
    """Drop this process's copy: the next check reads everything from the database."""
    _local.update(generation=None, jtis={}, clients={}, pruned_at=0.0)


def _client_cutoffs(now: datetime, client_id: str | None = None) -> dict[str, float]:
    """Return {client_id: the ``iat`` up to which its tokens are refused} (inf while inactive)."""
    from oauthcore.models import Client, DeletedClient

    changed = Client.objects.filter(
        models.Q(is_active=False) | models.Q(deactivated_at__isnull=False)
    )
    deleted = DeletedClient.objects.filter(expires_at__gt=now)
    if client_id is not None:
        changed, deleted = changed.filter(client_id=client_id), deleted.filter(client_id=client_id)
    cutoffs: dict[str, float] = {}
    for cid, active, at in changed.values_list("client_id", "is_active", "deactivated_at"):
        cutoffs[cid] = at.timestamp() if active else math.inf
    for cid, at in deleted.values_list("client_id", "deleted_at"):
        cutoffs[cid] = max(cutoffs.get(cid, -math.inf), at.timestamp())
    return cutoffs


def _new_rows(since: int | None, value: int, now: datetime) -> tuple[dict[str, float], bool]:
    """Return the unexpired deny rows after generation ``since`` (all if None), and whether every
    move up to ``value`` was a revocation (each ``deny`` adds rows under its own value)."""
    from oauthcore.models import RevokedAccessToken

    rows = RevokedAccessToken.objects.filter(expires_at__gt=now)
    if since is not None:
        rows = rows.filter(generation__gt=since)
    jtis, moves = {}, set()
    for jti, exp, moved in rows.values_list("jti", "expires_at", "generation"):
        jtis[jti] = exp.timestamp()
        moves.add(moved)
    revocations_only = since is not None and sum(since < m <= value for m in moves) == value - since
    return jtis, revocations_only


def _load(value: int) -> None:
    """Bring this process's copy up to generation ``value``: the deny rows it added, and the
    client cutoffs unless only revocations moved it."""
    generation.before_reading()
    now = timezone.now()
    known = _local["generation"]
    since = known if known is not None and known <= value else None  # else read everything
    if since is not None and value - since > 1000:
        since = None  # far behind: reading everything costs less than checking every move
    added, revocations_only = _new_rows(since, value, now)
    jtis = _local["jtis"] if since is not None else {}
    if since is None or time.monotonic() - _local["pruned_at"] >= PRUNE_INTERVAL:
        jtis = {jti: exp for jti, exp in jtis.items() if exp > now.timestamp()}
        _local["pruned_at"] = time.monotonic()
    jtis.update(added)  # in place: readers only ask ``in``, and loads take turns (``_loading``)
    if not revocations_only:
        _local["clients"] = _client_cutoffs(now)
    _local["jtis"] = jtis
    _local["generation"] = value  # last: a thread that sees it sees the rows it stands for


def _refused(cutoff: float | None, issued_at: float | None) -> bool:
    return cutoff is not None and (issued_at is None or issued_at <= cutoff)


def _is_denied_in_database(jti: str, client_id: str | None, issued_at: float | None) -> bool:
    from oauthcore.models import RevokedAccessToken

    if client_id is not None:
        cutoff = _client_cutoffs(timezone.now(), client_id).get(client_id)
        if _refused(cutoff, issued_at):
            return True
    return RevokedAccessToken.objects.filter(jti=jti).exists()


def is_denied(jti: str, *, client_id: str | None = None, issued_at: float | None = None) -> bool:
    """Tell whether an access token was revoked: its ``jti``, or its client since ``issued_at``.

    No query while this process's copy is current; inside a transaction that revoked something,
    the database answers (that transaction may yet roll back, so nothing is copied).
    """
    value = generation.current()
    if value is None:
        return _is_denied_in_database(jti, client_id, issued_at)
    if _local["generation"] != value:
        with _loading:
            if _local["generation"] != value:
                _load(value)
    cutoff = _local["clients"].get(client_id) if client_id is not None else None
    return _refused(cutoff, issued_at) or jti in _local["jtis"]


def is_token_denied(claims: dict[str, Any]) -> bool:
    """Tell whether validated access-token ``claims`` were revoked (see ``is_denied``)."""
    return is_denied(claims["jti"], client_id=claims["client_id"], issued_at=claims["iat"])
