"""Redirect URI matching at the authorization endpoint (RFC 6749 3.1.2.3, RFC 9700 2.1, 4.1.3).

URIs are compared as raw strings, never parsed: a parser strips spaces and controls, folds the
scheme's case, drops an empty ``?`` or ``#`` and reads ``08765`` as ``8765``, and each of those
made a different URI match. The one tolerated difference is the port of a loopback IP URI
(RFC 8252 7.3); ``localhost`` is matched exactly (RFC 8252 8.3 does not recommend it).
"""

from __future__ import annotations

import re

# RFC 8252 7.3: "http://127.0.0.1:{port}/{path}" and "http://[::1]:{port}/{path}".
LOOPBACK_URI = re.compile(r"(http://(?:127\.0\.0\.1|\[::1\]))(?::([0-9]+))?([/?].*)?", re.DOTALL)
PORT = re.compile(r"[1-9][0-9]{0,4}")  # RFC 3986 3.2.3 without leading zeros; at most 65535
MAX_PORT = 65535


def matches(uri: str, registered: str) -> bool:
    """Tell whether ``uri`` is ``registered``, or ``registered`` on another loopback port."""
    if uri == registered:
        return True
    asked = _without_loopback_port(uri)
    return asked is not None and asked == _without_loopback_port(registered)


def _without_loopback_port(uri: str) -> tuple[str, str] | None:
    """Cut a loopback IP URI into (scheme and host, the rest) around a well-formed port.

    Case, spaces, controls and an empty ``?`` or ``#`` stay in one of the two parts, which must
    then equal the registered URI's byte for byte.
    """
    match = LOOPBACK_URI.fullmatch(uri)
    if match is None:
        return None
    origin, port, rest = match.groups()
    if port is not None and not (PORT.fullmatch(port) and int(port) <= MAX_PORT):
        return None
    return origin, rest or ""
