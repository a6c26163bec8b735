"""When this browser session signed in: ``auth_time`` and ``max_age`` (OIDC Core 2, 3.1.2.1).

``user.last_login`` is shared by every session of a user, so it says nothing of this one: the
time is recorded in the session on ``user_logged_in``. A re-authentication (``prompt=login``, a
stale ``max_age``) never signs anyone out: the login page is shown with a signed marker of when
it was asked for, and a login of this session after that time satisfies the request.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime

from django.contrib.auth.signals import user_logged_in
from django.core import signing

SESSION_KEY = "oauthcore.auth_time"  # epoch seconds of this session's last sign-in
MARKER_PARAM = "oauthcore_reauth"  # added to the authorization request sent to the login page
MARKER_SALT = "oauthcore.logins.reauth"  # unchanged by the move: signed values stay valid
MARKER_MAX_AGE = 600  # seconds the login page may take


def connect() -> None:
    """Record the time of every sign-in in its session."""
    user_logged_in.connect(record, dispatch_uid="oauthcore.oidc.logins.record")


def record(sender, request=None, user=None, **kwargs) -> None:
    """Store now as the time this session signed in (``user_logged_in`` receiver)."""
    session = getattr(request, "session", None)
    if session is not None:
        session[SESSION_KEY] = time.time()


def signed_in_at(session) -> float | None:
    """Return when this session signed in (epoch seconds), or None if it was never recorded."""
    value = session.get(SESSION_KEY)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def auth_time(session, user) -> datetime | None:
    """Return the ``auth_time`` of this session (OIDC Core 2).

    A session that signed in before the time was recorded falls back to ``user.last_login``, as
    oauthcore did then; ``max_age`` treats such a session as stale, so it signs in afresh.
    """
    at = signed_in_at(session)
    return user.last_login if at is None else datetime.fromtimestamp(at, tz=UTC)


def is_stale(session, max_age: int | None, *, now: float | None = None) -> bool:
    """Tell whether this session signed in more than ``max_age`` seconds ago (or at no known time)."""
    if max_age is None:
        return False
    at = signed_in_at(session)
    return at is None or (time.time() if now is None else now) - at > max_age


def _digest(params: dict[str, list[str]]) -> str:
    """Return a digest of an authorization request's parameters, the marker left out."""
    pairs = sorted((name, values) for name, values in params.items() if name != MARKER_PARAM)
    return hashlib.sha256(json.dumps(pairs).encode()).hexdigest()


def ask_again(params: dict[str, list[str]], *, now: float | None = None) -> dict[str, list[str]]:
    """Return ``params`` marked: a re-authentication for this very request is asked for now."""
    marker = signing.dumps([time.time() if now is None else now, _digest(params)], salt=MARKER_SALT)
    return {**params, MARKER_PARAM: [marker]}


def signed_in_since(session, params: dict[str, list[str]]) -> bool:
    """Tell whether this session signed in after the marker of ``params`` asked it to.

    The marker is signed, bound to the other parameters and short-lived, so it cannot be
    forged, moved to another request or replayed later.
    """
    marker = (params.get(MARKER_PARAM) or [""])[0]
    try:
        asked, digest = signing.loads(marker, salt=MARKER_SALT, max_age=MARKER_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError):
        return False
    at = signed_in_at(session)
    fresh = isinstance(asked, int | float) and at is not None and at > asked
    return fresh and digest == _digest(params)
