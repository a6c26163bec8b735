"""Delete what has expired, a bounded batch at a time, beside live traffic (``cleartokens``).

Each batch is one short transaction: lock up to ``batch_size`` expired rows in the order of an
indexed column, skipping rows another run holds (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite
has a single writer and ignores it), delete them by primary key, commit. Hence:

- every statement reads one batch of one index: the next batch starts where the last one ended,
  not at the start of the index, which after a large delete is full of dead entries until vacuum;
- traffic never waits: the only locks taken are on expired rows, which no request uses, and a row
  locked by anyone else is left for a later run;
- runs on several machines at once share the work and delete each row once;
- a run stopped anywhere (a crash, ``--max-seconds``) has lost nothing: every committed batch is
  done, the rest is still expired, and the next run takes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, models, transaction

from oauthcore.conf import oauth_settings
from oauthcore.models import (
    AuditEvent,
    AuthorizationCode,
    Client,
    DeviceAuthorization,
    PushedAuthorizationRequest,
    RefreshToken,
    RevokedAccessToken,
    SigningKey,
    SpentIdentifier,
    TokenExchange,
)


@dataclass(frozen=True)
class Target:
    """Rows to delete, and the indexed column their filter bounds (batches walk it in order)."""

    name: str
    queryset: models.QuerySet
    column: str


@dataclass
class Progress:
    """What one run did to one target so far."""

    name: str
    deleted: int = 0
    batches: int = 0
    seconds: float = 0.0
    slowest: float = 0.0  # the longest batch, in seconds
    done: bool = False


def targets(now: datetime) -> list[Target]:
    """Return everything ``cleartokens`` deletes at ``now``, in the order of its summary."""
    unused_clients = Client.objects.exclude(origin=Client.Origin.STAFF).filter(
        first_used_at__isnull=True,
        created_at__lte=now - oauth_settings.REGISTRATION_UNUSED_LIFETIME,
    )
    retired_keys = SigningKey.objects.filter(state=SigningKey.State.RETIRED, expires_at__lte=now)
    retention = now - oauth_settings.AUDIT_LOG_RETENTION
    return [
        Target("authorization codes", AuthorizationCode.objects.expired(now), "expires_at"),
        Target("refresh tokens", RefreshToken.objects.expired(now), "expires_at"),
        Target(
            "pushed authorization requests",
            PushedAuthorizationRequest.objects.expired(now),
            "expires_at",
        ),
        Target(
            "revoked access tokens",
            RevokedAccessToken.objects.filter(expires_at__lte=now),
            "expires_at",
        ),
        Target(
            "token exchanges",
            TokenExchange.objects.filter(issued_expires_at__lte=now),
            "issued_expires_at",
        ),
        Target("signing keys", retired_keys, "expires_at"),
        Target("unused self-registered clients", unused_clients, "created_at"),
        Target(
            "device authorizations",
            DeviceAuthorization.objects.filter(expires_at__lte=now),
            "expires_at",
        ),
        Target(
            "spent identifiers", SpentIdentifier.objects.filter(expires_at__lte=now), "expires_at"
        ),
        Target("audit events", AuditEvent.objects.filter(created_at__lte=retention), "created_at"),
    ]


def delete_batch(target: Target, batch_size: int, start=None) -> tuple[int, object]:
    """Delete up to ``batch_size`` rows of ``target`` from ``start`` on (its column's value).

    Return how many rows of the target's model were deleted and where the next batch starts;
    (0, None) when none is left (or every one left is locked by another run).
    """
    rows = target.queryset.order_by(target.column)
    if start is not None:
        rows = rows.filter(**{f"{target.column}__gte": start})
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Deleting expired rows needs no durable commit (a lost batch is redone by the next
            # run): this transaction does not wait for its WAL flush, and traffic's commits
            # share fewer flushes with it.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        found = list(
            rows.select_for_update(skip_locked=True).values_list("pk", target.column)[:batch_size]
        )
        if not found:
            return 0, None
        # The filter is checked again; a client takes its cascade along.
        _, by_model = target.queryset.filter(pk__in=[pk for pk, _ in found]).delete()
    return by_model.get(target.queryset.model._meta.label, 0), found[-1][1]


def sweep(
    target: Target,
    *,
    batch_size: int,
    deadline: float | None = None,
    pause: float = 0.0,
    report: Callable[[Progress, bool], None] | None = None,
) -> Progress:
    """Delete ``target``'s rows batch by batch until none is left or ``deadline`` (monotonic).

    ``pause`` seconds are slept after each batch (a throttle: the database's writes and WAL
    flushes are shared with traffic). ``report(progress, final)`` is called after every
    batch, and once more at the end (final).
    """
    progress, start, began = Progress(target.name), None, time.monotonic()
    while deadline is None or time.monotonic() < deadline:
        batch_began = time.monotonic()
        deleted, start = delete_batch(target, batch_size, start)
        took = time.monotonic() - batch_began
        progress.slowest = max(progress.slowest, took)
        progress.seconds = time.monotonic() - began
        if start is None:
            progress.done = True
            break
        progress.deleted += deleted
        progress.batches += 1
        if report:
            report(progress, False)
        time.sleep(pause)
    if report:
        report(progress, True)
    return progress
