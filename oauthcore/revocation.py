"""The deny-list of revoked access tokens: the database is the truth, the cache the fast path.

Checking an access token costs one cache ``get`` of its jti. With Redis every process sees a
revocation at once; with the local-memory cache only the process that made it does, so run Redis
with several processes (docs/deployment.md).

Deactivated clients are one cache entry, ``oauthcore:clients-revoked`` ({client_id: time of its
last deactivation}), rebuilt from ``Client.deactivated_at`` (the truth) after each deactivation
commits. Access tokens a client got until then (``iat`` at or before that second) are refused,
also after a reactivation. Each process rereads that entry, and a "loaded" marker, at most once a
``LOCAL_REFRESH_INTERVAL``: the bound within which every process sees a client deactivation made
elsewhere. When the marker is missing (a new local-memory cache, a restarted Redis) the list is
reloaded from the database.

Also here: revoking what a client presents (RFC 7009) and everything a user gave a client.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.utils import timezone

from oauthcore import signals

logger = logging.getLogger(__name__)
PREFIX = "oauthcore:revoked:"
MARKER = "oauthcore:revoked:loaded"
CLIENTS = "oauthcore:clients-revoked"
LOCAL_REFRESH_INTERVAL = 1.0  # seconds a process trusts its copy of the deactivated clients
_local: dict[str, Any] = {"read_at": float("-inf"), "clients": {}}


def _timeout(expires_at: datetime, now: datetime) -> int:
    return max(1, int((expires_at - now).total_seconds()) + 1)


def deny(entries: Iterable[tuple[str, datetime | None]], *, now: datetime | None = None) -> None:
    """Deny-list access tokens given as (jti, expires_at) pairs until they expire."""
    from oauthcore.models import RevokedAccessToken

    now = now or timezone.now()
    live = {jti: exp for jti, exp in entries if jti and exp and exp > now}
    if not live:
        return
    RevokedAccessToken.objects.bulk_create(
        [RevokedAccessToken(jti=jti, expires_at=exp) for jti, exp in live.items()],
        ignore_conflicts=True,
    )
    for jti, exp in live.items():
        cache.set(PREFIX + jti, 1, _timeout(exp, now))


def forget() -> None:
    """Make this process reread the deactivated clients on its next check."""
    _local.update(read_at=float("-inf"), clients={})


def publish_deactivated_clients() -> None:
    """Store {client_id: deactivation time} of every deactivated client, from the database."""
    from oauthcore.models import Client

    rows = Client.objects.filter(deactivated_at__isnull=False)
    clients = {cid: at.timestamp() for cid, at in rows.values_list("client_id", "deactivated_at")}
    cache.set(CLIENTS, clients, None)
    _local.update(read_at=time.monotonic(), clients=clients)


def _reload(now: datetime) -> None:
    from oauthcore.models import RevokedAccessToken

    rows = RevokedAccessToken.objects.filter(expires_at__gt=now).values_list("jti", "expires_at")
    for jti, exp in rows:
        cache.set(PREFIX + jti, 1, _timeout(exp, now))
    publish_deactivated_clients()
    cache.set(MARKER, 1, None)


def _deactivated_clients() -> dict[str, float]:
    """Return this process's copy of the deactivated clients, reread once an interval."""
    now = time.monotonic()
    if now - _local["read_at"] >= LOCAL_REFRESH_INTERVAL:
        found = cache.get_many([MARKER, CLIENTS])
        if MARKER not in found:
            _reload(timezone.now())
            found = cache.get_many([MARKER, CLIENTS])
        _local.update(read_at=now, clients=found.get(CLIENTS) or {})
    return _local["clients"]


def _denied(deactivated: float | None, issued_at: float | None) -> bool:
    return deactivated is not None and (issued_at is None or issued_at <= deactivated)


def _is_denied_in_database(jti: str, client_id: str | None, issued_at: float | None) -> bool:
    from oauthcore.models import Client, RevokedAccessToken

    if client_id is not None:
        row = Client.objects.filter(client_id=client_id).values_list("deactivated_at")[:1]
        at = next(iter(row), (None,))[0]
        if _denied(at.timestamp() if at else None, issued_at):
            return True
    return RevokedAccessToken.objects.filter(jti=jti).exists()


def is_denied(jti: str, *, client_id: str | None = None, issued_at: float | None = None) -> bool:
    """Tell whether an access token was revoked: its ``jti``, or its client since ``issued_at``.

    One cache ``get`` (plus, once an interval per process, a reread of the deactivated clients).
    When the cache cannot be reached, the database (the truth) answers, in up to two queries.
    """
    try:
        deactivated = _deactivated_clients().get(client_id) if client_id is not None else None
        return _denied(deactivated, issued_at) or cache.get(PREFIX + jti) is not None
    except DatabaseError:
        raise
    except Exception:  # redis.ConnectionError, django-redis ConnectionInterrupted, ...
        logger.warning("Cache unreachable: revoked tokens are looked up in the database.")
        return _is_denied_in_database(jti, client_id, issued_at)


def is_token_denied(claims: dict[str, Any]) -> bool:
    """Tell whether validated access-token ``claims`` were revoked (see ``is_denied``)."""
    return is_denied(claims["jti"], client_id=claims["client_id"], issued_at=claims["iat"])


def revoke_access_token(claims: dict[str, Any], *, now: datetime | None = None) -> None:
    """Deny-list a validated access token until its ``exp`` (RFC 7009 2.1)."""
    deny([(claims["jti"], datetime.fromtimestamp(claims["exp"], tz=UTC))], now=now)


def _revoked(client, user, *, jti: str | None = None, family_id: uuid.UUID | None = None) -> None:
    """Send ``token_revoked`` for one access token (``jti``) or one refresh family."""
    from oauthcore.models import Client

    kind = "access_token" if jti else "refresh_token"
    signals.token_revoked.send(
        Client, client=client, user=user, token_type=kind, jti=jti, family_id=family_id
    )


def revoke_token(client, raw: str, *, hint: str | None = None, now: datetime | None = None) -> None:
    """Revoke the token ``raw`` if it belongs to ``client``; else change nothing (RFC 7009 2.1).

    A refresh token takes its whole family and the access tokens issued from it along.
    """
    from oauthcore import grants, introspection

    for kind in introspection.lookup_order(hint):
        if kind == introspection.ACCESS_TOKEN and (found := introspection.find_access_token(raw)):
            owner, token = found
            if owner.pk == client.pk:
                revoke_access_token(token.claims, now=now)
                user = None if token.is_client_token else _subject_user(token.subject)
                _revoked(client, user, jti=token.jti)
            return
        if kind == introspection.REFRESH_TOKEN and (
            refresh := introspection.find_refresh_token(raw)
        ):
            if refresh.client_id == client.pk:
                grants.revoke_family(refresh.family_id, now=now)
                _revoked(client, refresh.user, family_id=refresh.family_id)
            return


def _subject_user(subject: str):
    from oauthcore.adapter import get_adapter

    return get_adapter().get_user_by_subject(subject=subject)


def _revoke_refresh_tokens(rows, now: datetime) -> set[uuid.UUID]:
    """Revoke the refresh tokens ``rows`` and deny-list their access tokens; return the families."""
    families = set(rows.filter(revoked_at__isnull=True).values_list("family_id", flat=True))
    while rows.filter(revoked_at__isnull=True).update(revoked_at=now):
        pass  # again: a rotation committing meanwhile may have added a member
    live = rows.filter(access_token_expires_at__gt=now)
    deny(live.values_list("access_token_jti", "access_token_expires_at"), now=now)
    return families


def _revoke_codes(codes, client, now: datetime) -> list[tuple[str, uuid.UUID | None]]:
    """Spend unused codes; deny-list the access tokens used ones yielded: (jti, family_id)."""
    codes.filter(used_at__isnull=True).update(used_at=now)
    lifetime = client.token_lifetime()
    used = codes.exclude(access_token_jti="").filter(used_at__gt=now - lifetime)
    issued = list(used.values_list("access_token_jti", "used_at", "family_id"))
    deny([(jti, used_at + lifetime) for jti, used_at, _ in issued], now=now)
    return [(jti, family_id) for jti, _, family_id in issued]


def revoke_user_client(user, client, *, now: datetime | None = None) -> list[str]:
    """Withdraw ``client``'s access for ``user``: consent, refresh tokens, live access tokens.

    Return the scopes the consent had granted. All in one transaction.
    """
    from oauthcore.models import AuthorizationCode, Consent, RefreshToken

    now = now or timezone.now()
    with transaction.atomic():
        consent = Consent.objects.filter(user=user, client=client).first()
        if consent is not None:
            consent.delete()
        rows = RefreshToken.objects.filter(user=user, client=client)
        families = _revoke_refresh_tokens(rows, now)
        codes = AuthorizationCode.objects.filter(user=user, client=client)
        issued = _revoke_codes(codes, client, now)
    for family_id in families:
        _revoked(client, user, family_id=family_id)
    for jti, family_id in issued:
        if family_id not in families:  # an access token without refresh token
            _revoked(client, user, jti=jti)
    return list(consent.scopes) if consent else []


def deactivate_client(client, *, now: datetime | None = None, by=None) -> int:
    """Refuse every token of a client just saved inactive; return the families revoked.

    Called by ``Client.save()``: its access tokens (the cache entry), refresh-token families
    (marked revoked, for the audit trail) and unused codes all stop working.
    """
    from oauthcore.models import AuthorizationCode, Client, RefreshToken

    now = now or timezone.now()
    publish_deactivated_clients()  # this process and the cache, now
    transaction.on_commit(publish_deactivated_clients)  # again once committed, for other writers
    with transaction.atomic():
        rows = RefreshToken.objects.filter(client=client, revoked_at__isnull=True)
        families = set(rows.values_list("family_id", flat=True))
        while rows.update(revoked_at=now):
            pass  # again: a rotation committing meanwhile may have added a member
        AuthorizationCode.objects.filter(client=client, used_at__isnull=True).update(used_at=now)
    signals.client_deactivated.send(Client, client=client, by=by, families=len(families))
    return len(families)
