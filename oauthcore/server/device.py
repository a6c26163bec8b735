"""The device authorization grant's records (RFC 8628 3.1-3.5): codes, the user's decision.

The device code is a random bearer secret stored hashed. The user code is eight characters of
base-20 consonants (``BCDFGHJKLMNPQRSTVWXZ``: no vowels, so no words, and nothing that looks alike),
shown as ``XXXX-XXXX`` and stored normalized (RFC 8628 6.1): 20**8 (about 2**34.6) codes, so a
guess is hopeless while guessing is bounded (docs/device.md).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from oauthcore import crypto, errors
from oauthcore.conf import oauth_settings
from oauthcore.models import Client, DeviceAuthorization

USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
MAX_TYPED_LENGTH = 64  # anything longer is not a user code, whatever its separators
SLOW_DOWN_SECONDS = 5  # RFC 8628 3.5: the interval grows by 5 seconds on each slow_down
NEW_CODE_ATTEMPTS = 5  # user-code collisions with a live one before giving up

Status = DeviceAuthorization.Status


@dataclass(frozen=True)
class Started:
    """A new device authorization: the raw device code and the user code as shown."""

    authorization: DeviceAuthorization
    device_code: str
    user_code: str


def new_user_code() -> str:
    """Return a new user code, normalized (eight consonants, no separator)."""
    return "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))


def display(user_code: str) -> str:
    """Return the user code as people read it: ``XXXX-XXXX``."""
    half = len(user_code) // 2
    return f"{user_code[:half]}-{user_code[half:]}"


def normalize(typed: str | None) -> str | None:
    """Return the user code typed, upper case without separators or spaces; None if it cannot be one."""
    if not typed or len(typed) > MAX_TYPED_LENGTH:
        return None
    code = "".join(ch for ch in typed.upper() if ch.isalnum())
    if len(code) != USER_CODE_LENGTH or any(ch not in USER_CODE_ALPHABET for ch in code):
        return None
    return code


def start(
    client: Client, *, scope: list[str], resources: list[str], now: datetime | None = None
) -> Started:
    """Store a new device authorization for ``client`` (RFC 8628 3.2); return its codes."""
    now = now or timezone.now()
    device_code = crypto.new_token()
    expires_at = now + oauth_settings.DEVICE_CODE_LIFETIME
    for _ in range(NEW_CODE_ATTEMPTS):
        user_code = new_user_code()
        live = DeviceAuthorization.objects.filter(user_code=user_code, expires_at__gt=now)
        if live.exists():
            continue
        try:
            with transaction.atomic():
                row = DeviceAuthorization.objects.create(
                    device_code_hash=crypto.hash_token(device_code),
                    user_code=user_code,
                    client=client,
                    scope=" ".join(scope),
                    resources=resources,
                    created_at=now,
                    expires_at=expires_at,
                    interval=oauth_settings.DEVICE_POLL_INTERVAL,
                )
        except IntegrityError:  # pragma: no cover - a device code collision
            continue
        return Started(row, device_code, display(user_code))
    raise errors.TemporarilyUnavailable("No free user code; try again.")  # pragma: no cover


def pending(typed: str | None, *, now: datetime | None = None) -> DeviceAuthorization | None:
    """Return the live, undecided authorization of a typed user code, else None."""
    code = normalize(typed)
    if code is None:
        return None
    now = now or timezone.now()
    return (
        DeviceAuthorization.objects.select_related("client")
        .filter(user_code=code, status=Status.PENDING, expires_at__gt=now, client__is_active=True)
        .order_by("-created_at")
        .first()
    )


def decide(
    authorization: DeviceAuthorization,
    *,
    user,
    approved: bool,
    scope: list[str] | None = None,
    now: datetime | None = None,
) -> bool:
    """Record the user's decision once (a conditional UPDATE); False if it was already decided.

    Approving binds ``user``: only they are the subject of the tokens (RFC 8628 3.3).
    """
    now = now or timezone.now()
    fields = {"status": Status.APPROVED if approved else Status.DENIED, "decided_at": now}
    if approved:
        fields["user"] = user
        fields["scope"] = " ".join(scope if scope is not None else authorization.scope.split())
    undecided = DeviceAuthorization.objects.filter(
        pk=authorization.pk, status=Status.PENDING, expires_at__gt=now
    )
    return bool(undecided.update(**fields))


def by_device_code(raw: str) -> DeviceAuthorization | None:
    """Return the authorization of a raw device code (one query over every stored hash form)."""
    forms = crypto.stored_forms(raw)
    return (
        DeviceAuthorization.objects.select_related("user")
        .filter(device_code_hash__in=forms)
        .first()
    )
