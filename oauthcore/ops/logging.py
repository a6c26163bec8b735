"""Structured logs of what the authorization server does, and a JSON formatter for them.

Every record goes to the ``oauthcore`` logger with ``extra`` fields: ``event`` (a stable name),
``client_id``, ``user_id``, ``jti``, ``family_id``, ``grant_type``, ``scope``, ``kid`` and ``ip``
as they apply. Never a token, a code or a secret: the receivers below read only the identifiers
the signals carry (see ``oauthcore.signals``). They are connected in ``AppConfig.ready()``.

``ip`` is the client's address of the request being served (``oauthcore.ops.request_context``:
``REMOTE_ADDR``, or behind ``TRUSTED_PROXIES`` the one they forwarded).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from django.db.models.signals import post_save

from oauthcore import signals
from oauthcore.ops import request_context

logger = logging.getLogger("oauthcore")

# The attributes every LogRecord has; anything else on a record came from ``extra``.
STANDARD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}


class JSONFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, message and the extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in record.__dict__.items():
            if name not in STANDARD_ATTRIBUTES and not name.startswith("_"):
                data[name] = value
        if record.exc_info:
            data["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def _fields(event: str, client=None, user=None, **values: Any) -> dict[str, Any]:
    """Return the ``extra`` of one event: identifiers only, None values left out."""
    fields = {
        "event": event,
        "client_id": getattr(client, "client_id", None),
        "user_id": str(user.pk) if user is not None else None,
        "ip": request_context.client_ip(),
        **values,
    }
    return {name: str(value) for name, value in fields.items() if value is not None}


def token_issued(sender, *, client, user, scopes, jti, family_id, grant_type, **kwargs) -> None:
    extra = _fields("token_issued", client, user, jti=jti, family_id=family_id)
    extra.update(grant_type=str(grant_type), scope=" ".join(scopes))
    logger.info("Access token issued.", extra=extra)


def token_refreshed(sender, *, client, user, jti, family_id, **kwargs) -> None:
    extra = _fields("token_refreshed", client, user, jti=jti, family_id=family_id)
    logger.info("Refresh token rotated.", extra=extra)


def refresh_token_reused(sender, *, client, user, family_id, **kwargs) -> None:
    extra = _fields("refresh_token_reused", client, user, family_id=family_id)
    logger.warning("Refresh token reused: its family was revoked.", extra=extra)


def token_revoked(sender, *, client, user, token_type, jti, family_id, **kwargs) -> None:
    extra = _fields("token_revoked", client, user, jti=jti, family_id=family_id)
    extra["token_type"] = token_type
    logger.info("Token revoked.", extra=extra)


def token_denied(sender, *, client_id, grant_type, error, **kwargs) -> None:
    extra = _fields("token_denied", client_id=client_id, grant_type=grant_type, error=error)
    logger.info("Token request refused.", extra=extra)


def consent_granted(sender, *, client, user, scopes, **kwargs) -> None:
    extra = _fields("consent_granted", client, user, scope=" ".join(scopes))
    logger.info("Consent granted.", extra=extra)


def consent_revoked(sender, *, client, user, scopes, **kwargs) -> None:
    extra = _fields("consent_revoked", client, user, scope=" ".join(scopes))
    logger.info("Consent revoked.", extra=extra)


def signing_key_saved(sender, *, instance, created, **kwargs) -> None:
    """Log a key that starts signing (a rotation) or is published ahead (``rotatekeys --stage``)."""
    if instance.state == "active":
        event, message = "signing_key_activated", "Signing key activated."
    elif instance.state == "next" and created:
        event, message = "signing_key_staged", "Signing key staged."
    else:
        return
    logger.info(message, extra=_fields(event, kid=instance.kid, algorithm=instance.algorithm))


RECEIVERS = {
    signals.token_issued: token_issued,
    signals.token_refreshed: token_refreshed,
    signals.refresh_token_reused: refresh_token_reused,
    signals.token_revoked: token_revoked,
    signals.token_denied: token_denied,
    signals.consent_granted: consent_granted,
    signals.consent_revoked: consent_revoked,
}


def connect() -> None:
    """Connect the log receivers (called once from ``AppConfig.ready()``)."""
    from oauthcore.models import SigningKey

    for signal, receiver in RECEIVERS.items():
        signal.connect(receiver, dispatch_uid=f"oauthcore.ops.logging.{receiver.__name__}")
    post_save.connect(
        signing_key_saved, sender=SigningKey, dispatch_uid="oauthcore.ops.logging.keys"
    )
