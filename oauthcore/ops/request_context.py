"""The address of the client whose request is being served, for logs and audit rows.

Remembered at Django's ``request_started`` from the WSGI environ or the ASGI scope, so neither
views nor a middleware have to pass it along; None outside a request (management commands). It is
``oauthcore.client_address``'s answer, the address the rate limiter uses too: ``REMOTE_ADDR``, or
behind ``TRUSTED_PROXIES`` the address they forwarded (docs/deployment.md).
"""

from __future__ import annotations

import contextvars

from django.core.signals import request_finished, request_started

from oauthcore import client_address

_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "oauthcore_client_ip", default=None
)


def client_ip() -> str | None:
    """Return the address of the client of the request being served, if any."""
    return _ip.get()


def remember(sender, *, environ=None, scope=None, **kwargs) -> None:
    """Keep the address of the request being served (``request_started``)."""
    if environ is not None:
        _ip.set(client_address.resolve(environ))
    elif scope is not None:
        _ip.set(client_address.resolve(client_address.meta_of_scope(scope)))
    else:
        _ip.set(None)


def forget(sender, **kwargs) -> None:
    """Drop the address once the response is sent (``request_finished``)."""
    _ip.set(None)


def connect() -> None:
    """Connect the receivers (called once from ``AppConfig.ready()``)."""
    request_started.connect(remember, dispatch_uid="oauthcore.ops.request_context.remember")
    request_finished.connect(forget, dispatch_uid="oauthcore.ops.request_context.forget")
