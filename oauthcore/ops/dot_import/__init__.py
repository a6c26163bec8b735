"""Carry a django-oauth-toolkit (DOT) installation over to oauthcore (``manage.py importdot``).

Applications become clients, live refresh tokens become refresh-token families, and what users
granted becomes consents; DOT's access tokens stay where they are and are accepted by the
resource server until they expire (``ACCEPT_DOT_ACCESS_TOKENS``). A run is one transaction: a
dry run rolls it back, so its summary is exactly what ``--commit`` would write; a second run
finds everything already there and writes nothing. Whatever does not map is noted, never
silently dropped (docs/migrating-from-dot.md).
"""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from oauthcore.ops.dot_import import clients, grants
from oauthcore.ops.dot_import.report import Progress, Report

__all__ = ["Report", "run"]

DOT_APP = "oauth2_provider"


def run(*, commit: bool, progress: Callable[[str, int], Progress] | None = None) -> Report:
    """Import DOT's applications, live refresh tokens and grants; roll back unless ``commit``.

    ``progress(label, total)`` returns what is told of each row done (a progress bar).
    Raise ``ImproperlyConfigured`` when DOT is not installed.
    """
    if not apps.is_installed(DOT_APP):
        raise ImproperlyConfigured(
            "django-oauth-toolkit (oauth2_provider) is not installed: importdot reads its "
            "tables, so run it in the project that still has both apps installed."
        )
    report = Report(progress=progress)
    with transaction.atomic():
        found = clients.import_applications(report)
        grants.import_refresh_tokens(report, found)
        grants.revoke_refreshed_elsewhere(report)
        grants.import_consents(report, found)
        grants.note_left_behind(report)
        if not commit:
            transaction.set_rollback(True)
    return report
