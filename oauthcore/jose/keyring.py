"""The signing keys in use: load them, rotate them, find one by kid, publish the JWKS (RFC 7517).

Keys come from (first match wins): ``HS256_SECRET``; ``SIGNING_KEYS`` (PEM in settings, files or
the environment); the ``SigningKey`` table. Each process keeps the parsed keys for
``KEY_CACHE_TTL``, and rereads them early when the generation moved (a key saved or deleted
anywhere: ``rotatekeys``, the admin; within ``SYNC_INTERVAL``) or when a token names a kid it
does not know, so a rotation or a removed key reaches every process without a restart.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.signals import setting_changed
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from oauthcore import generation
from oauthcore.conf import oauth_settings
from oauthcore.jose.keys import (
    Key,
    from_pem,
    from_private_key,
    from_setting,
    generate_private_key,
    hs256_key,
    private_pem,
)

FORCED_RELOAD_INTERVAL = 1.0  # seconds between rereads caused by unknown kids


@dataclass
class KeyRing:
    signing: Key | None
    by_kid: dict[str, Key] = field(default_factory=dict)
    loaded_at: float = 0.0
    generation: int | None = None  # of the database when read; None: read it again next time


def _from_row(row) -> Key:
    return from_pem(row.private_key, algorithm=row.algorithm, kid=row.kid)


def create_key(algorithm: str | None = None, *, state: str = "active"):
    """Store a new signing key; make it the active one when ``state`` is active."""
    from oauthcore.models import SigningKey

    algorithm = algorithm or oauth_settings.SIGNING_ALGORITHM
    key = from_private_key(generate_private_key(algorithm), algorithm=algorithm)
    now = timezone.now()
    return SigningKey.objects.create(
        kid=key.kid,
        algorithm=algorithm,
        private_key=private_pem(key.private_key),
        state=state,
        activated_at=now if state == "active" else None,
    )


def longest_token_lifetime():
    """Return the longest lifetime any token signed now can have, plus the clock skew."""
    from oauthcore.models import Client

    longest = Client.objects.aggregate(m=Max("access_token_lifetime"))["m"]
    lifetime = max(filter(None, [longest, oauth_settings.ACCESS_TOKEN_LIFETIME]))
    return lifetime + oauth_settings.CLOCK_SKEW


def rotate(algorithm: str | None = None, *, now: datetime | None = None, by=None):
    """Make a new key (or the staged ``next`` one) sign from now on; retire the active one.

    The retired key stays in the JWKS until every token it signed has expired. Sends
    ``signing_key_rotated`` (``by``: the staff user who asked, if any).
    """
    from oauthcore import signals
    from oauthcore.models import SigningKey

    now = now or timezone.now()
    with transaction.atomic():
        active = SigningKey.objects.select_for_update().filter(state="active")
        retired = list(active.values_list("kid", flat=True))
        active.update(state="retired", retired_at=now, expires_at=now + longest_token_lifetime())
        staged = SigningKey.objects.filter(state="next")
        if algorithm:
            staged = staged.filter(algorithm=algorithm)
        row = staged.order_by("created_at").first()
        if row:
            row.state, row.activated_at = "active", now
            row.save(update_fields=["state", "activated_at"])
        else:
            row = create_key(algorithm)
    forget()
    signals.signing_key_rotated.send(
        SigningKey, kid=row.kid, algorithm=row.algorithm, retired=retired, by=by
    )
    return row


def _database_ring() -> KeyRing:
    from oauthcore.models import SigningKey

    generation.before_reading()
    rows = list(SigningKey.objects.published())
    if not any(row.state == "active" for row in rows):
        try:
            with transaction.atomic():
                create_key()
        except IntegrityError:  # another process made one first
            pass
        rows = list(SigningKey.objects.published())
    loaded = {row.kid: (row, _from_row(row)) for row in rows}
    active = next((key for row, key in loaded.values() if row.state == "active"), None)
    return KeyRing(signing=active, by_kid={kid: key for kid, (_row, key) in loaded.items()})


def load() -> KeyRing:
    """Read every trusted key from settings or the database."""
    if oauth_settings.HS256_SECRET:
        key = hs256_key(oauth_settings.HS256_SECRET)
        ring = KeyRing(signing=key, by_kid={key.kid: key})
    elif oauth_settings.SIGNING_KEYS:
        static = [from_setting(spec) for spec in oauth_settings.SIGNING_KEYS]
        ring = KeyRing(signing=static[0], by_kid={key.kid: key for key in static})
    else:
        ring = _database_ring()
    ring.loaded_at = time.monotonic()
    return ring


_cache: dict[str, Any] = {"ring": None, "forced_at": 0.0}


def forget() -> None:
    """Drop this process's copy of the keys; the next use rereads them."""
    _cache["ring"] = None


def _from_database() -> bool:
    return not (oauth_settings.HS256_SECRET or oauth_settings.SIGNING_KEYS)


def ring() -> KeyRing:
    """Return the trusted keys, reread after ``KEY_CACHE_TTL`` or when the generation moved."""
    current = _cache["ring"]
    ttl = oauth_settings.KEY_CACHE_TTL.total_seconds()
    version = generation.current() if _from_database() else 0
    if (
        current is None
        or time.monotonic() - current.loaded_at >= ttl
        or version is None
        or current.generation != version
    ):
        current = _cache["ring"] = load()
        current.generation = version
    return current


def signing_key() -> Key:
    """Return the key that signs new tokens."""
    key = ring().signing
    if key is None:
        raise LookupError("No active signing key.")
    return key


def find(kid: str) -> Key | None:
    """Return the trusted key named ``kid``, rereading the keys (at most once a second) if unknown."""
    key = ring().by_kid.get(kid)
    if key is None and time.monotonic() - _cache["forced_at"] >= FORCED_RELOAD_INTERVAL:
        _cache["forced_at"] = time.monotonic()
        forget()
        key = ring().by_kid.get(kid)
    return key


def jwks() -> dict[str, list[dict[str, str]]]:
    """Return the public JWK Set (RFC 7517 5): the signing key first, never a shared secret."""
    current = ring()
    published = [key.jwk for key in current.by_kid.values() if key.jwk]
    if current.signing and current.signing.jwk:
        published.sort(key=lambda jwk: jwk["kid"] != current.signing.kid)
    return {"keys": published}


def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "OAUTHCORE":
        forget()


setting_changed.connect(_settings_changed, dispatch_uid="oauthcore.jose.keyring")
