"""Pushed authorization requests as stored rows: keep, find and consume (RFC 9126 2.2, 4).

A ``request_uri`` is ``urn:ietf:params:oauth:request_uri:`` and a random reference; only the
reference's hash is stored. It is bound to the client that pushed it, one-time (consumed by a
conditional UPDATE when the authorization completes), and short-lived: ``PAR_LIFETIME`` to
start the authorization; once opened at the authorization endpoint it lasts through sign-in and
consent (``OPENED_LIFETIME`` after it was pushed), never longer.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from oauthcore import crypto, errors
from oauthcore.conf import oauth_settings
from oauthcore.models import Client, PushedAuthorizationRequest
from oauthcore.server.authorization.consent import CONSENT_MAX_AGE
from oauthcore.server.authorization.params import Params

PREFIX = "urn:ietf:params:oauth:request_uri:"  # RFC 9126 2.2
MAX_LIFETIME = 599  # seconds: RFC 9126 2.2 wants a short life (the example: 60 to 600)
MAX_REFERENCE_LENGTH = 100


def lifetime() -> int:
    """Return ``expires_in``: ``PAR_LIFETIME`` in whole seconds, 1 to ``MAX_LIFETIME``."""
    return max(1, min(int(oauth_settings.PAR_LIFETIME.total_seconds()), MAX_LIFETIME))


def opened_lifetime() -> timedelta:
    """Return how long after its push an opened request stays usable (sign-in and consent)."""
    return timedelta(seconds=lifetime() + CONSENT_MAX_AGE)


def store(client: Client, params: Params, *, now: datetime | None = None) -> tuple[str, int]:
    """Keep ``params`` pushed by ``client``; return its ``request_uri`` and ``expires_in``."""
    now = now or timezone.now()
    reference, seconds = crypto.new_token(), lifetime()
    PushedAuthorizationRequest.objects.create(
        reference_hash=crypto.hash_token(reference),
        client=client,
        parameters=params,
        created_at=now,
        expires_at=now + timedelta(seconds=seconds),
    )
    return PREFIX + reference, seconds


def is_ours(request_uri: str) -> bool:
    """Tell whether ``request_uri`` has the form of one this server issues (RFC 9126 2.2)."""
    reference = request_uri.removeprefix(PREFIX)
    return (
        request_uri.startswith(PREFIX)
        and 0 < len(reference) <= MAX_REFERENCE_LENGTH
        and reference.isascii()
        and reference.isprintable()
    )


def _reference(request_uri: str) -> str:
    if not is_ours(request_uri):  # an outside URL: never fetched (RFC 9126 7.3, RFC 9101 10.4)
        raise errors.InvalidRequestUri("Only a request_uri from the PAR endpoint is accepted.")
    return request_uri.removeprefix(PREFIX)


def refused() -> errors.InvalidRequestUri:
    """Return the one error of an unusable request_uri: unknown, another client's, expired, used."""
    return errors.InvalidRequestUri("The request_uri is unknown, expired or already used.")


def open_request(
    request_uri: str, client_id: str | None, *, now: datetime | None = None
) -> PushedAuthorizationRequest:
    """Return the usable request ``request_uri`` names for ``client_id`` (RFC 9126 4), opened.

    Opening it (the first time) extends its life to ``opened_lifetime()`` after its push, so
    signing in and the consent page fit; reloading the page neither consumes nor extends it.
    """
    now = now or timezone.now()
    rows = PushedAuthorizationRequest.objects.by_reference(_reference(request_uri))
    pushed = rows.usable(now).select_related("client").first()
    if pushed is None or pushed.client.client_id != client_id or not pushed.client.is_active:
        raise refused()
    opened = pushed.created_at + opened_lifetime()
    if pushed.expires_at < opened:
        rows.usable(now).filter(expires_at__lt=opened).update(expires_at=opened)
    return pushed


def consume(request_uri: str, client: Client, *, now: datetime | None = None) -> None:
    """Mark the request used, once: a conditional UPDATE, so of two completions one wins."""
    now = now or timezone.now()
    rows = PushedAuthorizationRequest.objects.by_reference(_reference(request_uri))
    if not rows.usable(now).filter(client=client).update(used_at=now):
        raise refused()
