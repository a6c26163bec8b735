"""cleartokens beside live traffic: bounded batches, progress, stopping and resuming, concurrency.

The summary line on stdout is asserted in tests/ops/test_commands.py; here, what a large run
needs: progress on stderr, ``--max-seconds`` then a rerun, and on PostgreSQL two runs at once
(each row deleted once) and a row locked by a request skipped rather than waited for.
"""

import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from oauthcore.models import AuditEvent, RefreshToken
from tests import factories

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks (SKIP LOCKED) need PostgreSQL"
)


def expired_tokens(count, client, user, *, live=0):
    """Write ``count`` expired refresh tokens (expiring a minute apart) and ``live`` live ones."""
    now = timezone.now()
    ends = [now - timedelta(minutes=count - n) for n in range(count)]
    ends += [now + timedelta(days=1)] * live
    return [factories.RefreshTokenFactory(client=client, user=user, expires_at=end) for end in ends]


def cleartokens(*args):
    out, err = StringIO(), StringIO()
    call_command("cleartokens", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def deleted(out, name):
    """The count of ``name`` in the summary line: "Deleted 3 authorization codes, 5 ..."."""
    return int(out.split(f" {name}")[0].rsplit(" ", 1)[-1])


@pytest.mark.django_db
def test_progress_goes_to_stderr_one_line_per_kind(client_app, user):
    expired_tokens(5, client_app, user, live=2)
    factories.AuditEventFactory(created_at=timezone.now() - timedelta(days=365))

    out, err = cleartokens("--batch-size", "2", "--progress")

    assert deleted(out, "refresh tokens") == 5 and deleted(out, "audit events") == 1
    lines = err.splitlines()
    assert lines[1].startswith("refresh tokens: 5 deleted done in 3 batches, ")
    assert "slowest batch" in lines[1]
    assert lines[-1].startswith("audit events: 1 deleted done in 1 batches, ")
    assert len(lines) == 10  # one per kind: each finished within the progress interval
    assert RefreshToken.objects.count() == 2


@pytest.mark.django_db
def test_without_progress_stderr_stays_empty(client_app, user):
    expired_tokens(3, client_app, user)
    out, err = cleartokens("--batch-size", "1")
    assert deleted(out, "refresh tokens") == 3
    assert err == ""


@pytest.mark.django_db
def test_a_stopped_run_loses_nothing_and_the_next_one_finishes(client_app, user):
    expired_tokens(4, client_app, user, live=1)

    out, err = cleartokens("--max-seconds", "0")
    assert deleted(out, "refresh tokens") == 0
    assert "Stopped after 0 s: run again to delete the rest." in err
    assert RefreshToken.objects.count() == 5

    out, err = cleartokens("--batch-size", "3")
    assert deleted(out, "refresh tokens") == 4
    assert err == ""
    assert RefreshToken.objects.get().expires_at > timezone.now()


@pytest.mark.django_db
def test_pause_sleeps_after_each_batch(client_app, user):
    expired_tokens(3, client_app, user)
    began = time.monotonic()
    out, _ = cleartokens("--batch-size", "1", "--pause", "0.1")
    assert deleted(out, "refresh tokens") == 3
    assert time.monotonic() - began >= 0.3


@pytest.mark.django_db
def test_batches_walk_the_expiry_order_and_keep_the_retention(settings, client_app, user):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "AUDIT_LOG_RETENTION": timedelta(days=30)}
    now = timezone.now()
    for age in range(25, 36):  # days: 25..29 kept, 30..35 past the retention
        factories.AuditEventFactory(created_at=now - timedelta(days=age, minutes=1))
    out, _ = cleartokens("--batch-size", "2")
    assert deleted(out, "audit events") == 6
    kept = sorted((now - at).days for at in AuditEvent.objects.values_list("created_at", flat=True))
    assert kept == [25, 26, 27, 28, 29]


def run_in_thread(results, *args):
    try:
        results.append(cleartokens(*args))
    except Exception as error:  # the test asserts there was none
        results.append(error)
    finally:
        connections.close_all()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_delete_each_row_once(client_app, user):
    expired_tokens(300, client_app, user, live=20)
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        AuditEvent(event="token_issued", created_at=now - timedelta(days=100, minutes=n))
        for n in range(300)
    )

    results = []
    runs = [
        threading.Thread(target=run_in_thread, args=(results, "--batch-size", "7"))
        for _ in range(2)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join(60)

    assert [type(result) for result in results] == [tuple, tuple], results
    outs = [out for out, _ in results]
    assert sum(deleted(out, "refresh tokens") for out in outs) == 300
    assert sum(deleted(out, "audit events") for out in outs) == 300
    assert RefreshToken.objects.count() == 20
    assert not AuditEvent.objects.exists()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_row_locked_by_a_request_is_skipped_not_waited_for(client_app, user):
    """A transaction holding an expired row (a request reading it FOR UPDATE) never stalls a run."""
    rows = expired_tokens(5, client_app, user)
    locked, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            RefreshToken.objects.select_for_update().get(pk=rows[2].pk)
            locked.set()
            release.wait(30)
        connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        began = time.monotonic()
        out, _ = cleartokens("--batch-size", "2")
        assert time.monotonic() - began < 5
        assert deleted(out, "refresh tokens") == 4
        assert list(RefreshToken.objects.values_list("pk", flat=True)) == [rows[2].pk]
    finally:
        release.set()
        holder.join(30)

    out, _ = cleartokens()  # the next run takes what was skipped
    assert deleted(out, "refresh tokens") == 1
