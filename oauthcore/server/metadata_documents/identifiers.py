"""Which client_id is a Client Identifier URL to fetch (draft-ietf-oauth-client-id-metadata-document 3).

A Client Identifier URL is https, has a host and a path, and no user information, fragment or
dot segment; plain http only on a loopback host with ``FETCH_ALLOW_LOOPBACK`` (development). On
top of the draft: the host must pass ``CLIENT_METADATA_ALLOWED_HOSTS`` and
``CLIENT_METADATA_DENIED_HOSTS`` (denied wins), and is never this server's own origin.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from oauthcore.conf import oauth_settings
from oauthcore.hosts import is_loopback_host


def is_client_id_url(client_id: str) -> bool:
    """Tell whether ``client_id`` has the form of a Client Identifier URL (draft 3)."""
    development = oauth_settings.FETCH_ALLOW_LOOPBACK and client_id.startswith("http://")
    if not (client_id.startswith("https://") or development) or not client_id.isprintable():
        return False
    if any(char in client_id for char in " \\#"):
        return False
    try:
        parts = urlsplit(client_id)
        host, _port = parts.hostname, parts.port  # port: ValueError when not 0-65535
    except ValueError:
        return False
    if not host or parts.username is not None or parts.password is not None:
        return False
    if parts.scheme == "http" and not is_loopback_host(host):
        return False
    return bool(parts.path) and not any(_is_dot_segment(s) for s in parts.path.split("/"))


def _is_dot_segment(segment: str) -> bool:
    """Tell whether a path segment is ``.`` or ``..``, percent-encoded or not."""
    for _ in range(4):  # each round undoes one layer of percent-encoding
        segment, before = unquote(segment), segment
        if segment == before:
            break
    return segment.split(";", 1)[0] in (".", "..")


def enabled() -> bool:
    """Tell whether this server fetches client ID metadata documents at all."""
    return bool(oauth_settings.CLIENT_ID_METADATA_DOCUMENTS)


def applies(client_id: str | None) -> bool:
    """Tell whether ``client_id`` names a metadata document this server would fetch."""
    return bool(client_id) and enabled() and is_client_id_url(client_id)


def _listed(host: str, entries: list[str]) -> bool:
    """Tell whether ``host`` is in ``entries``: "example.com" itself, ".example.com" and below."""
    for entry in entries:
        entry = entry.lower().rstrip(".")
        if entry.startswith("."):
            if host == entry[1:] or host.endswith(entry):
                return True
        elif host == entry:
            return True
    return False


def _origin(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    return (parts.hostname or "").rstrip("."), parts.port or default


def host_refusal(client_id: str) -> str | None:
    """Return why the host of ``client_id`` may not serve a metadata document, or None."""
    host, port = _origin(client_id)
    if (host, port) == _origin(oauth_settings.ISSUER):
        return "A client_id URL must not point at this server itself."
    if _listed(host, oauth_settings.CLIENT_METADATA_DENIED_HOSTS):
        return f"Metadata documents from {host} are not accepted here."
    allowed = oauth_settings.CLIENT_METADATA_ALLOWED_HOSTS
    if allowed and not _listed(host, allowed):
        return f"Metadata documents from {host} are not accepted here."
    return None
