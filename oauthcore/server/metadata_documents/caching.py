"""How long a fetched metadata document is used before it is fetched again (draft 4.3, RFC 9111).

Its freshness lifetime comes from ``Cache-Control: max-age`` (less ``Age``), else ``Expires``
(against ``Date``); ``no-store`` and ``no-cache`` mean none. Whatever the headers say, the result
is kept within ``CLIENT_METADATA_MIN_CACHE`` and ``CLIENT_METADATA_MAX_CACHE``: a document asking
not to be cached is still kept the minimum, so a busy client cannot make every request a fetch.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import Message
from email.utils import parsedate_to_datetime

from oauthcore.conf import oauth_settings


def _directives(headers: Message) -> dict[str, str]:
    found = {}
    for header in headers.get_all("Cache-Control") or []:
        for part in header.split(","):
            name, _, value = part.strip().partition("=")
            found[name.strip().lower()] = value.strip().strip('"')
    return found


def _seconds(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _date(value: str | None) -> datetime | None:
    try:
        return parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None


def freshness(headers: Message) -> timedelta | None:
    """Return the freshness lifetime the response's headers give (RFC 9111 4.2.1), if any."""
    directives = _directives(headers)
    if "no-store" in directives or "no-cache" in directives:
        return timedelta(0)
    max_age = _seconds(directives.get("max-age"))
    if max_age is not None:
        age = _seconds(headers.get("Age")) or 0
        return timedelta(seconds=max(max_age - age, 0))
    expires, date = _date(headers.get("Expires")), _date(headers.get("Date"))
    if headers.get("Expires") is not None and expires is None:
        return timedelta(0)  # an invalid Expires means already expired (RFC 9111 5.3)
    if expires is not None and date is not None and expires.tzinfo and date.tzinfo:
        return max(expires - date, timedelta(0))
    return None


def expires_at(headers: Message, now: datetime) -> datetime:
    """Return when to fetch the document again: its freshness, within the configured bounds."""
    lifetime = freshness(headers)
    low, high = oauth_settings.CLIENT_METADATA_MIN_CACHE, oauth_settings.CLIENT_METADATA_MAX_CACHE
    if lifetime is None:
        lifetime = low
    return now + min(max(lifetime, low), high)
