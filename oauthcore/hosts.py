"""Which hosts and URLs may be plain http: loopback only (RFC 8252 8.3), https everywhere else."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback_host(host: str | None) -> bool:
    """Tell whether ``host`` is localhost or a loopback IP address (RFC 8252 8.3)."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_secure_url(url: str | None) -> bool:
    """Tell whether ``url`` is https with a host, or http on a loopback host (development)."""
    parts = urlsplit(url or "")
    if parts.scheme == "http":
        return is_loopback_host(parts.hostname)
    return parts.scheme == "https" and bool(parts.hostname)
