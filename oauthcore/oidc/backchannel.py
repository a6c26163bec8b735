"""OpenID Connect Back-Channel Logout 1.0: tell each relying party a session signed in to that
it has ended, by a ``logout_token`` POSTed to the client's ``backchannel_logout_uri``.

Which clients a browser session signed in to is read from the codes and refresh tokens issued
with its ``sid`` (``session_id``). ``notify_session()`` (a user signs out: RP-initiated logout or
the site's own logout), ``notify_user()`` (a user or staff withdraws an app) and
``notify_ended()`` (staff end all of a user's sessions: ``oauthcore.ops.end_sessions``) only
queue a delivery task per client (``oauthcore.oidc.tasks``): the sign-out never waits for a
relying party.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from django.contrib.auth.signals import user_logged_out
from django.db.models import Q

from oauthcore import signals
from oauthcore.models import AuthorizationCode, Client, RefreshToken
from oauthcore.oidc import id_tokens, tasks

logger = logging.getLogger(__name__)


def _listening(client_ids) -> list[Client]:
    """Return the active clients among ``client_ids`` that registered a back-channel URI."""
    found = (
        Client.objects.active().filter(pk__in=set(client_ids)).exclude(backchannel_logout_uri="")
    )
    return list(found.order_by("pk"))


def session_clients(sid: str) -> list[Client]:
    """Return the clients the browser session ``sid`` signed in to that listen for logouts."""
    if not sid:
        return []
    codes = AuthorizationCode.objects.filter(session_id=sid).values_list("client_id", flat=True)
    refresh = RefreshToken.objects.filter(session_id=sid).values_list("client_id", flat=True)
    return _listening([*codes, *refresh])


def _queue(client: Client, user, sid: str) -> None:
    if client.backchannel_logout_session_required and not sid:
        return  # the client only understands sid (Back-Channel Logout 2.2)
    try:
        tasks.deliver.enqueue(client.pk, getattr(user, "pk", None), sid, 1)
    except Exception:  # a queue that is down must not stop the user's sign-out
        logger.exception("A back-channel logout for %s could not be queued.", client.client_id)


def notify_session(*, sid: str, user) -> int:
    """Queue a logout token for every client the session ``sid`` signed in to; return how many."""
    clients = session_clients(sid)
    for client in clients:
        _queue(client, user, sid)
    return len(clients)


def _notify_pairs(user, pairs: set[tuple[int, str]]) -> list[Client]:
    """Queue a logout token per (client pk, sid) pair; return the listening clients told."""
    clients = {found.pk: found for found in _listening(pk for pk, _ in pairs)}
    for pk, sid in sorted(pairs):
        if pk in clients:
            _queue(clients[pk], user, sid)
    return [clients[pk] for pk in sorted({pk for pk, _ in pairs} & set(clients))]


def _pairs(user, rows_filter: Q, refresh_filter: Q | None = None) -> set[tuple[int, str]]:
    """Return the (client pk, sid) pairs of ``user``'s codes and refresh tokens that match."""
    pairs: set[tuple[int, str]] = set()
    for model, match in ((AuthorizationCode, rows_filter), (RefreshToken, refresh_filter)):
        rows = model.objects.filter(user=user).filter(rows_filter if match is None else match)
        pairs |= set(rows.values_list("client_id", "session_id"))
    return pairs


def notify_user(*, user, client: Client | None = None) -> int:
    """Queue logout tokens for all of ``user``'s sessions (of ``client`` only, when given):
    one per session with its ``sid``, since each session ends (Back-Channel Logout 2.6)."""
    pairs = _pairs(user, Q(client=client) if client is not None else Q())
    clients = {found.pk for found in _notify_pairs(user, pairs)}
    return sum(1 for pk, _ in pairs if pk in clients)


def notify_ended(
    *, user, sids: Iterable[str] | None, families: Iterable[uuid.UUID] = ()
) -> list[Client]:
    """Queue logout tokens once staff ended ``user``'s sessions; return the clients told.

    Told: each client a browser session in ``sids`` signed in to (with ``None``, the session
    backend could not list them: every session the user ever signed in to a client with), and
    each client whose refresh-token family in ``families`` was just revoked.
    """
    by_session = Q() if sids is None else Q(session_id__in={sid for sid in sids if sid})
    return _notify_pairs(user, _pairs(user, by_session, by_session | Q(family_id__in=families)))


def on_logged_out(sender, request=None, user=None, **kwargs) -> None:
    """Notify the clients of the session that is ending (``user_logged_out`` receiver)."""
    session = getattr(request, "session", None)
    sid = session.get(id_tokens.SESSION_KEY) if session is not None else None
    if sid and user is not None:
        notify_session(sid=sid, user=user)


def on_consent_revoked(sender, client=None, user=None, **kwargs) -> None:
    """Notify a client whose access a user (or staff) withdrew: its sessions of that user end."""
    if client is not None and user is not None:
        notify_user(user=user, client=client)


def connect() -> None:
    """Send logout tokens whenever a user signs out of this site (any logout view) and when
    an app's access is withdrawn (connected-apps page, the admin's "Revoke access")."""
    user_logged_out.connect(on_logged_out, dispatch_uid="oauthcore.oidc.backchannel.logout")
    signals.consent_revoked.connect(
        on_consent_revoked, dispatch_uid="oauthcore.oidc.backchannel.consent"
    )
