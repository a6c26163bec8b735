"""The address of the client of a request: ``REMOTE_ADDR``, or what trusted proxies say it is.

Behind reverse proxies (a load balancer, nginx), ``REMOTE_ADDR`` is the last proxy's address, so
every request would share it. With ``TRUSTED_PROXIES`` set, a request that comes *from* one of
them is attributed to the address the proxies appended to ``TRUSTED_PROXY_HEADER``
(``X-Forwarded-For``): read from the right, each entry written by a trusted proxy is followed
until one names an address that is not a trusted proxy, the client. Entries left of it were
written by the client itself and are never believed; a request from any other address is its
``REMOTE_ADDR``, whatever its headers say. Without ``TRUSTED_PROXIES`` no header is read.

The rate limiter (``oauthcore.server.ratelimit``), the audit log and the structured logs
(``oauthcore.ops.request_context``) all use this address.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from oauthcore.conf import oauth_settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse(value: Any) -> Address | None:
    """Return the IP address ``value`` names (a port or IPv6 brackets allowed), or None.

    An IPv4-mapped IPv6 address (``::ffff:192.0.2.1``, from dual-stack sockets) is its IPv4 one.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.startswith("["):  # "[2001:db8::1]:443"
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # "192.0.2.1:443"
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def invalid_proxies(entries: Iterable[Any]) -> list[Any]:
    """Return the entries of a ``TRUSTED_PROXIES`` value that are no address or network."""
    found = []
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except (TypeError, ValueError):
            found.append(entry)
    return found


@functools.lru_cache(maxsize=8)
def _networks(entries: tuple[Any, ...]) -> tuple[Network, ...]:
    # Entries that are no network are skipped here and reported by the system check E010.
    return tuple(
        ipaddress.ip_network(entry, strict=False)
        for entry in entries
        if not invalid_proxies([entry])
    )


def _trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def resolve(meta: Mapping[str, Any]) -> str | None:
    """Return the client's address of a request's ``META`` (or WSGI environ); None if unknown."""
    peer = parse(meta.get("REMOTE_ADDR"))
    networks = _networks(tuple(str(entry) for entry in oauth_settings.TRUSTED_PROXIES or ()))
    if peer is None or not _trusted(peer, networks):
        return str(peer) if peer is not None else None
    header = meta.get(oauth_settings.TRUSTED_PROXY_HEADER) or ""
    for entry in reversed(str(header).split(",")):
        hop = parse(entry)
        if hop is None:  # garbage: the last trusted proxy reached is all that is known
            break
        peer = hop
        if not _trusted(hop, networks):
            break
    return str(peer)


def meta_of_scope(scope: Mapping[str, Any]) -> dict[str, str]:
    """Return the ``REMOTE_ADDR`` and proxy header of an ASGI scope, as ``META`` holds them."""
    meta = {}
    if scope.get("client"):
        meta["REMOTE_ADDR"] = str(scope["client"][0])
    name = oauth_settings.TRUSTED_PROXY_HEADER.removeprefix("HTTP_").lower().replace("_", "-")
    values = [
        value.decode("latin-1")
        for key, value in scope.get("headers") or ()
        if key.decode("latin-1").lower() == name
    ]
    if values:
        meta[oauth_settings.TRUSTED_PROXY_HEADER] = ",".join(values)
    return meta
