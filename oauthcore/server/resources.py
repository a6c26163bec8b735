"""Resource indicators (RFC 8707): which protected resources a token is for, and its ``aud``.

The server issues tokens for the resources of ``OAUTHCORE["RESOURCES"]``; a client may ask for
those its ``allowed_resources`` names (empty: every registered one). A resource asked for at the
authorization endpoint is granted with the code; the token endpoint may narrow, never widen.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from oauthcore import errors
from oauthcore.conf import oauth_settings
from oauthcore.hosts import is_loopback_host

if TYPE_CHECKING:
    from oauthcore.models import Client

PARAMETER = "resource"


def is_identifier(value: str) -> bool:
    """Tell whether ``value`` is an absolute URI without a fragment (RFC 8707 2)."""
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed IPv6 literal
        return False
    return bool(parts.scheme) and "#" not in value and bool(parts.netloc or parts.path)


def is_registrable(value: str) -> bool:
    """Tell whether ``value`` may be registered: an identifier, https unless on loopback."""
    if not (isinstance(value, str) and is_identifier(value)):
        return False
    parts = urlsplit(value)  # parses: is_identifier checked it
    if not parts.hostname:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and is_loopback_host(parts.hostname))


def registered() -> list[str]:
    """Return the resources this server issues tokens for (``OAUTHCORE["RESOURCES"]``)."""
    return list(oauth_settings.RESOURCES)


def for_client(client: Client) -> list[str]:
    """Return the registered resources ``client`` may ask for; blank ``allowed_resources``: all."""
    names = registered()
    allowed = client.allowed_resources
    return [name for name in names if name in allowed] if allowed else names


def _as_list(values: str | Iterable[str] | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    return list(dict.fromkeys(value for value in values if value))


def requested(client: Client, values: str | Iterable[str] | None) -> list[str]:
    """Return the resources asked for, each one ``client`` may have, else ``invalid_target``."""
    names = _as_list(values)
    allowed = for_client(client)
    for name in names:
        if not is_identifier(name):
            raise errors.InvalidTarget("A resource must be an absolute URI without a fragment.")
        if name not in allowed:
            raise errors.InvalidTarget("The resource is unknown or not allowed for this client.")
    return names


def narrowed(client: Client, values: str | Iterable[str] | None, granted: list[str]) -> list[str]:
    """Return the resources of a token request within ``granted`` (RFC 8707 2.2): never wider."""
    names = requested(client, values)
    current = [name for name in granted if name in for_client(client)]
    if granted and not current:
        raise errors.InvalidTarget("The granted resources are no longer served.")
    if not names:
        return current
    if any(name not in current for name in names):
        raise errors.InvalidTarget("A resource was not granted by the authorization.")
    return names


def audience(client: Client, names: list[str]) -> str | list[str]:
    """Return the ``aud`` of an access token for ``names``: one string, a list, or the default."""
    if not names:
        return client.token_audience()
    return names[0] if len(names) == 1 else list(names)


def audiences(client: Client) -> list[str]:
    """Return every ``aud`` a token of ``client`` may carry: its default and the resources."""
    return [client.token_audience(), *registered()]
