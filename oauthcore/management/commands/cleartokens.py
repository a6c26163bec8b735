"""Delete what has expired: ``cleartokens [--batch-size N] [--max-seconds S] [--pause S]``.

Safe to run from cron on many hosts at once, and beside live traffic (``ops/housekeeping.py``).
"""

import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from oauthcore.jose import keyring
from oauthcore.ops import housekeeping

PROGRESS_INTERVAL = 5.0  # seconds between two progress lines of one target
# After each batch (≈ 20 ms for 1,000 rows): deletes at a third of the database's pace or less,
# so that a backlog of millions beside live traffic keeps the token endpoint's p99 within 1.5x
# (bench/README.md, "At scale"); ≈ 14,000 rows/s, 10^7 rows in ≈ 12 minutes.
DEFAULT_PAUSE = 0.05


class Command(BaseCommand):
    help = (
        "Delete expired authorization codes, refresh-token families, pushed authorization "
        "requests, deny-list entries, token exchange records, spent one-time identifiers, "
        "retired signing keys whose tokens have all expired, audit events older than "
        "AUDIT_LOG_RETENTION, and self-registered clients never used within "
        "REGISTRATION_UNUSED_LIFETIME. Each batch is one short transaction; stopping at any "
        "point loses nothing: run it again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000, help="Rows per DELETE.")
        parser.add_argument(
            "--max-seconds",
            type=float,
            help="Start no batch after this many seconds (the next run goes on from there).",
        )
        parser.add_argument(
            "--pause",
            type=float,
            default=DEFAULT_PAUSE,
            help=(
                "Seconds to sleep after each batch, to leave the database to live traffic "
                f"(default {DEFAULT_PAUSE:g}; 0: as fast as the database goes)."
            ),
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            help="Write each kind's progress to stderr (every few seconds and when it is done).",
        )

    def handle(
        self,
        *args,
        batch_size=1000,
        max_seconds=None,
        pause=DEFAULT_PAUSE,
        progress=False,
        **options,
    ):
        began = time.monotonic()
        deadline = None if max_seconds is None else began + max_seconds
        report = self.reporter() if progress else None
        counts = {}
        for target in housekeeping.targets(timezone.now()):
            done = housekeeping.sweep(
                target,
                batch_size=max(1, batch_size),
                deadline=deadline,
                pause=max(0.0, pause),
                report=report,
            )
            counts[target.name] = done.deleted
        keyring.forget()
        if deadline is not None and time.monotonic() >= deadline:
            self.stderr.write(f"Stopped after {max_seconds:g} s: run again to delete the rest.")
        self.stdout.write(
            "Deleted " + ", ".join(f"{count} {name}" for name, count in counts.items()) + "."
        )

    def reporter(self):
        """Return a callback writing a target's progress to stderr now and then, and at its end."""
        last = {"name": None, "at": 0.0}

        def report(progress: housekeeping.Progress, final: bool) -> None:
            now = time.monotonic()
            if progress.name != last["name"]:
                last.update(name=progress.name, at=now)
            if not final and now - last["at"] < PROGRESS_INTERVAL:
                return
            last["at"] = now
            state = ("done" if progress.done else "stopped") if final else "so far"
            rate = progress.deleted / progress.seconds if progress.seconds else 0.0
            self.stderr.write(
                f"{progress.name}: {progress.deleted} deleted {state} in {progress.batches} "
                f"batches, {rate:.0f} rows/s, slowest batch {progress.slowest * 1000:.0f} ms"
            )

        return report
