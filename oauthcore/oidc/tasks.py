"""The task that delivers a logout token (OIDC Back-Channel Logout 2.5, 2.8), retried with backoff.

It runs in a task worker (``django_tasks``: Django 6's tasks framework, backported; see
docs/backchannel-logout.md). Each attempt signs a fresh token, so a retry never sends an expired
one; a failure is sent as ``backchannel_logout_failed`` (the audit log records it).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

try:  # Django 6's tasks framework, else its backport (django-tasks)
    from django.tasks import default_task_backend, task
except ImportError:  # Django 5.2
    from django_tasks import default_task_backend, task

from oauthcore import fetch, signals
from oauthcore.conf import oauth_settings
from oauthcore.models import Client
from oauthcore.oidc import logout_tokens

BACKOFF = timedelta(seconds=10)  # the first retry's delay; each next one waits twice as long


def backoff(attempt: int) -> timedelta:
    """Return how long to wait before the try after ``attempt`` (1-based): 10 s, 20 s, 40 s..."""
    return BACKOFF * 2 ** (attempt - 1)


@task()
def deliver(client_pk: int, user_pk: int | None, sid: str, attempt: int) -> bool:
    """POST a logout token to the client's ``backchannel_logout_uri``; retry on failure."""
    client = Client.objects.filter(pk=client_pk).exclude(backchannel_logout_uri="").first()
    if client is None:
        return False
    user = get_user_model().objects.filter(pk=user_pk).first() if user_pk else None
    token = logout_tokens.logout_token(client=client, user=user, sid=sid)
    timeout = oauth_settings.BACKCHANNEL_LOGOUT_TIMEOUT.total_seconds()
    try:
        fetch.post_form(client.backchannel_logout_uri, {"logout_token": token}, timeout=timeout)
    except fetch.FetchError as e:
        retried = attempt <= oauth_settings.BACKCHANNEL_LOGOUT_RETRIES and can_defer()
        signals.backchannel_logout_failed.send(
            Client, client=client, user=user, error=e.reason, attempt=attempt, retried=retried
        )
        if retried:
            _retry(client_pk, user_pk, sid, attempt)
        return False
    return True


def can_defer() -> bool:
    """Tell whether the task backend runs tasks later: without it (the immediate backend, a
    project with no worker) a failed delivery is not retried, so sign-out never waits longer."""
    return bool(default_task_backend.supports_defer)


def _retry(client_pk: int, user_pk: int | None, sid: str, attempt: int) -> None:
    """Queue the next attempt after its backoff."""
    deliver.using(run_after=timezone.now() + backoff(attempt)).enqueue(
        client_pk, user_pk, sid, attempt + 1
    )
