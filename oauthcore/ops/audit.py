"""The audit log: every oauthcore signal becomes an ``AuditEvent`` row when ``AUDIT_LOG`` is on.

The receivers are connected in ``AppConfig.ready()`` and return at once when ``AUDIT_LOG`` is
off (no query). A row keeps the event name, the client (and its client_id string, which
survives the client's deletion), the user it concerns (or the staff user who acted: ``by``;
when both are known, ``details["by"]`` holds the staff user's username), the client's IP
address and a few identifiers from a fixed list (``DETAILS``): never a token, a code or a secret.

The IP address is the client's address of the request being served (``REMOTE_ADDR``, or behind
``TRUSTED_PROXIES`` the one they forwarded: ``oauthcore.client_address``), remembered at Django's
``request_started`` so no view has to pass it along; None for management commands.
``cleartokens`` deletes rows older than ``AUDIT_LOG_RETENTION``.
"""

from __future__ import annotations

from typing import Any

from oauthcore import signals
from oauthcore.conf import oauth_settings
from oauthcore.ops import request_context

EVENTS = (
    "token_issued",
    "token_refreshed",
    "refresh_token_reused",
    "token_revoked",
    "token_denied",
    "consent_granted",
    "consent_revoked",
    "client_created",
    "client_secret_rotated",
    "client_deactivated",
    "signing_key_rotated",
    "backchannel_logout_failed",
    "sessions_ended",
)
# The signal arguments copied into ``details``: identifiers and codes, nothing secret.
DETAILS = (
    "grant_type",
    "scopes",
    "jti",
    "family_id",
    "token_type",
    "error",
    "families",
    "previous_secret_expires_at",
    "kid",
    "algorithm",
    "retired",
    "attempt",
    "retried",
    "sessions",
    "clients",
)
MAX_CLIENT_ID_LENGTH = 100  # AuditEvent.client_identifier max_length


def _client_fields(kwargs: dict[str, Any]) -> dict[str, Any]:
    client = kwargs.get("client")
    client_id = getattr(client, "client_id", None) or kwargs.get("client_id") or ""
    return {
        "client": client if getattr(client, "pk", None) else None,
        "client_identifier": str(client_id)[:MAX_CLIENT_ID_LENGTH],
    }


def _user(kwargs: dict[str, Any]):
    user = kwargs.get("user") or kwargs.get("by")
    return user if getattr(user, "pk", None) else None


def record(event: str, **kwargs: Any):
    """Store one audit event now, from a signal's keyword arguments; return the row."""
    from oauthcore.models import AuditEvent

    details = {name: kwargs[name] for name in DETAILS if kwargs.get(name) is not None}
    by = kwargs.get("by")
    if kwargs.get("user") is not None and getattr(by, "pk", None):
        details["by"] = by.get_username()  # the row's user is whom it concerns: name who acted
    return AuditEvent.objects.create(
        event=event,
        user=_user(kwargs),
        ip=request_context.client_ip(),
        details=details,
        **_client_fields(kwargs),
    )


def _receiver(event: str):
    def receive(sender, **kwargs: Any) -> None:
        if not oauth_settings.AUDIT_LOG:
            return
        kwargs.pop("signal", None)
        record(event, **kwargs)

    receive.__name__ = f"audit_{event}"
    return receive


def connect() -> None:
    """Connect the audit receivers (called once from ``AppConfig.ready()``)."""
    for event in EVENTS:
        getattr(signals, event).connect(
            _receiver(event), weak=False, dispatch_uid=f"oauthcore.ops.audit.{event}"
        )
