"""``importdot [--commit]``: carry django-oauth-toolkit's applications, refresh tokens and grants
over to oauthcore (docs/migrating-from-dot.md). A dry run unless ``--commit``."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from oauthcore.ops import dot_import

TABLES = [
    ("applications", ["imported", "already clients", "skipped"]),
    ("refresh tokens", ["imported", "already families", "expired", "skipped"]),
    ("refresh tokens", ["revoked since imported", "families reused at both servers"]),
    ("consents", ["created", "widened", "already there"]),
    ("left in DOT", ["live access tokens", "authorization codes"]),
]
BAR_WIDTH = 30
BAR_MIN_ROWS = 1000  # a table this large gets a progress bar


class Command(BaseCommand):
    help = (
        "Import django-oauth-toolkit's applications (as clients), live refresh tokens (as "
        "refresh-token families) and users' grants (as consents). Dry run unless --commit."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--commit", action="store_true", help="Write (without it, nothing is written)."
        )

    def handle(self, *args, commit=False, **options):
        try:
            report = dot_import.run(commit=commit, progress=self.progress)
        except ImproperlyConfigured as e:
            raise CommandError(str(e)) from e
        for line in report.lines(TABLES):
            self.stdout.write(line)
        for note in report.notes:
            self.stdout.write(self.style.WARNING(f"- {note}"))
        if commit:
            self.stdout.write(self.style.SUCCESS("Committed."))
        else:
            self.stdout.write(self.style.NOTICE("Dry run: nothing was written (use --commit)."))

    def progress(self, label: str, total: int):
        """Return what draws a progress bar on stderr for a table of ``total`` rows."""

        def tell(done: int) -> None:
            if total < BAR_MIN_ROWS:
                return
            filled = BAR_WIDTH * done // total
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            self.stderr.write(f"\r{label}: [{bar}] {done}/{total}", ending="")
            if done >= total:
                self.stderr.write("")

        return tell
