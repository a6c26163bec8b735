"""Reading the parameters of an authorization request (RFC 6749 3.1, Appendix A).

Parameters arrive as ``dict[str, list[str]]`` (``dict(request.GET.lists())``), so repetitions show.
"""

from __future__ import annotations

import re

from oauthcore import errors

Params = dict[str, list[str]]

# RFC 6749 Appendix A: client_id, state = *VSCHAR / 1*VSCHAR.
VSCHAR = re.compile(r"[\x20-\x7e]+")
MAX_STATE_LENGTH = 1024


def one(params: Params, name: str) -> str | None:
    """Return the single value of ``name`` (None if absent or empty); refuse repetitions (3.1)."""
    values = params.get(name) or []
    if len(values) > 1:
        raise errors.InvalidRequest(f"The {name} parameter is repeated.")
    return values[0] if values and values[0] else None


def bounded(params: Params, name: str, limit: int) -> str | None:
    """Return the single value of ``name`` if it is at most ``limit`` visible ASCII characters."""
    value = one(params, name)
    if value is not None and (len(value) > limit or not VSCHAR.fullmatch(value)):
        raise errors.InvalidRequest(f"The {name} parameter is too long or malformed.")
    return value


def state(params: Params) -> str | None:
    return bounded(params, "state", MAX_STATE_LENGTH)
