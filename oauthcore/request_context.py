"""The address of the client whose request is being served, for logs and audit rows.

Remembered at Django's ``request_started`` (``REMOTE_ADDR`` under WSGI, the scope's client under
ASGI), so neither views nor a middleware have to pass it along; None outside a request (management
commands). Behind a proxy, set ``REMOTE_ADDR`` from a header you trust (docs/deployment.md).
"""

from __future__ import annotations

import contextvars
import ipaddress
from typing import Any

from django.core.signals import request_finished, request_started

_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "oauthcore_client_ip", default=None
)


def _valid_ip(value: Any) -> str | None:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip() -> str | None:
    """Return the address of the client of the request being served, if any."""
    return _ip.get()


def remember(sender, *, environ=None, scope=None, **kwargs) -> None:
    """Keep the address of the request being served (``request_started``)."""
    if environ is not None:
        _ip.set(_valid_ip(environ.get("REMOTE_ADDR")))
    elif scope is not None and scope.get("client"):
        _ip.set(_valid_ip(scope["client"][0]))
    else:
        _ip.set(None)


def forget(sender, **kwargs) -> None:
    """Drop the address once the response is sent (``request_finished``)."""
    _ip.set(None)


def connect() -> None:
    """Connect the receivers (called once from ``AppConfig.ready()``)."""
    request_started.connect(remember, dispatch_uid="oauthcore.request_context.remember")
    request_finished.connect(forget, dispatch_uid="oauthcore.request_context.forget")
