"""The scope registry (``OAUTHCORE["SCOPES"]``): parse, check against a client, describe."""

from __future__ import annotations

import re
from collections.abc import Iterable

from oauthcore import errors
from oauthcore.conf import oauth_settings

# RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
MAX_SCOPE_LENGTH = 2048


def registered() -> dict[str, str]:
    """Return the registered scopes: name -> consent text."""
    return oauth_settings.SCOPES


def parse(value: str | None) -> list[str]:
    """Split a scope parameter into unique scope names, keeping their order (RFC 6749 3.3)."""
    if not value:
        return []
    if len(value) > MAX_SCOPE_LENGTH:
        raise errors.InvalidScope("The scope parameter is too long.")
    names = list(dict.fromkeys(value.split(" ")))
    if any(not SCOPE_TOKEN.fullmatch(name) for name in names):
        raise errors.InvalidScope("The scope parameter is malformed.")
    return names


def join(names: Iterable[str]) -> str:
    """Return the space-separated form of scope names."""
    return " ".join(names)


def unknown(names: Iterable[str]) -> list[str]:
    """Return the names that are not registered."""
    known = registered()
    return [name for name in names if name not in known]


def for_client(requested: list[str], client) -> list[str]:
    """Return the scopes to grant ``client`` for ``requested``, or raise ``InvalidScope``.

    No scope requested means the client's default scopes (RFC 6749 3.3).
    """
    names = requested or client.default_scopes or client.allowed_scopes
    if not names:
        raise errors.InvalidScope("No scope was requested and the client has no default scope.")
    if unknown(names):
        raise errors.InvalidScope("A requested scope is not registered.")
    allowed = set(client.allowed_scopes)
    if refused := [name for name in names if name not in allowed]:
        raise errors.InvalidScope(f"The client may not request: {join(refused)}.")
    return names


def narrow(requested: list[str], granted: list[str]) -> list[str]:
    """Return ``requested`` if it is within ``granted`` (RFC 6749 6), else raise ``InvalidScope``."""
    if not requested:
        return granted
    if not set(requested) <= set(granted):
        raise errors.InvalidScope("The requested scope goes beyond the original grant.")
    return requested


def describe(names: Iterable[str]) -> list[tuple[str, str]]:
    """Return (name, consent text) pairs for display."""
    known = registered()
    return [(name, known.get(name, name)) for name in names]
