"""The deny-list of revoked access tokens, and revoking what clients and users ask to revoke.

The database is the truth: ``RevokedAccessToken`` rows (one per revoked ``jti``, kept until the
token's own ``exp``), ``Client.is_active`` / ``Client.deactivated_at``, and ``DeletedClient``
rows. Each process keeps a copy of all three and reads what is new whenever the generation moves
(``generation.py``): a revocation made anywhere is honoured everywhere within ``SYNC_INTERVAL``,
and checking a token costs no query and no cache lookup in between. A client's access tokens are
refused while it is inactive, whenever they were issued; after a reactivation, those issued up to
its last deactivation stay refused; after a deletion, those issued up to it.

Also here: revoking what a client presents (RFC 7009) and everything a user gave a client.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.db import models, transaction
from django.db.models.signals import post_delete, pre_delete
from django.utils import timezone

from oauthcore import generation, signals

logger = logging.getLogger(__name__)
# The copy this process keeps: up to which generation, {jti: exp}, {client_id: iat cutoff}.
_local: dict[str, Any] = {"generation": None, "jtis": {}, "clients": {}}


def deny(entries: Iterable[tuple[str, datetime | None]], *, now: datetime | None = None) -> None:
    """Deny-list access tokens given as (jti, expires_at) pairs until they expire."""
    from oauthcore.models import RevokedAccessToken

    now = now or timezone.now()
    live = {jti: exp for jti, exp in entries if jti and exp and exp > now}
    if not live:
        return
    with transaction.atomic():
        value = generation.bump()
        rows = [
            RevokedAccessToken(jti=j, expires_at=exp, generation=value) for j, exp in live.items()
        ]
        RevokedAccessToken.objects.bulk_create(rows, ignore_conflicts=True)


def forget() -> None:
    """Drop this process's copy: the next check reads everything from the database."""
    _local.update(generation=None, jtis={}, clients={})


def _client_cutoffs(now: datetime, client_id: str | None = None) -> dict[str, float]:
    """Return {client_id: the ``iat`` up to which its tokens are refused} (inf while inactive)."""
    from oauthcore.models import Client, DeletedClient

    changed = Client.objects.filter(
        models.Q(is_active=False) | models.Q(deactivated_at__isnull=False)
    )
    deleted = DeletedClient.objects.filter(expires_at__gt=now)
    if client_id is not None:
        changed, deleted = changed.filter(client_id=client_id), deleted.filter(client_id=client_id)
    cutoffs: dict[str, float] = {}
    for cid, active, at in changed.values_list("client_id", "is_active", "deactivated_at"):
        cutoffs[cid] = at.timestamp() if active else math.inf
    for cid, at in deleted.values_list("client_id", "deleted_at"):
        cutoffs[cid] = max(cutoffs.get(cid, -math.inf), at.timestamp())
    return cutoffs


def _load(value: int) -> None:
    """Bring this process's copy up to generation ``value``: new deny rows, all client cutoffs."""
    from oauthcore.models import RevokedAccessToken

    now = timezone.now()
    known = _local["generation"]
    since = known if known is not None and known <= value else None  # else read everything
    rows = RevokedAccessToken.objects.filter(expires_at__gt=now)
    if since is not None:
        rows = rows.filter(generation__gt=since)
    jtis = {jti: exp for jti, exp in _local["jtis"].items() if exp > now.timestamp()}
    jtis.update((jti, exp.timestamp()) for jti, exp in rows.values_list("jti", "expires_at"))
    _local["jtis"], _local["clients"] = jtis, _client_cutoffs(now)
    _local["generation"] = value  # last: a thread that sees it sees the rows it stands for


def _refused(cutoff: float | None, issued_at: float | None) -> bool:
    return cutoff is not None and (issued_at is None or issued_at <= cutoff)


def _is_denied_in_database(jti: str, client_id: str | None, issued_at: float | None) -> bool:
    from oauthcore.models import RevokedAccessToken

    if client_id is not None:
        cutoff = _client_cutoffs(timezone.now(), client_id).get(client_id)
        if _refused(cutoff, issued_at):
            return True
    return RevokedAccessToken.objects.filter(jti=jti).exists()


def is_denied(jti: str, *, client_id: str | None = None, issued_at: float | None = None) -> bool:
    """Tell whether an access token was revoked: its ``jti``, or its client since ``issued_at``.

    No query while this process's copy is current; inside a transaction that revoked something,
    the database answers (that transaction may yet roll back, so nothing is copied).
    """
    value = generation.current()
    if value is None:
        return _is_denied_in_database(jti, client_id, issued_at)
    if _local["generation"] != value:
        _load(value)
    cutoff = _local["clients"].get(client_id) if client_id is not None else None
    return _refused(cutoff, issued_at) or jti in _local["jtis"]


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


def _revoke_codes(codes, now: datetime) -> list[tuple[str, uuid.UUID | None]]:
    """Spend unused codes; deny-list the access tokens used ones yielded: (jti, family_id)."""
    codes.filter(used_at__isnull=True).update(used_at=now)
    live = codes.exclude(access_token_jti="").filter(access_token_expires_at__gt=now)
    issued = list(live.values_list("access_token_jti", "access_token_expires_at", "family_id"))
    deny([(jti, expires_at) for jti, expires_at, _ in issued], now=now)
    return [(jti, family_id) for jti, _, family_id in issued]


def _withdraw(user_id, client, now: datetime):
    """Revoke the refresh tokens, codes and live access tokens a user's consent gave a client."""
    from oauthcore.models import AuthorizationCode, RefreshToken

    families = _revoke_refresh_tokens(
        RefreshToken.objects.filter(user_id=user_id, client=client), now
    )
    codes = AuthorizationCode.objects.filter(user_id=user_id, client=client)
    return families, _revoke_codes(codes, now)


def revoke_user_client(user, client, *, now: datetime | None = None) -> list[str]:
    """Withdraw ``client``'s access for ``user``: consent, refresh tokens, live access tokens.

    Return the scopes the consent had granted. All in one transaction.
    """
    from oauthcore.models import Consent

    now = now or timezone.now()
    with transaction.atomic():
        consent = Consent.objects.filter(user=user, client=client).first()
        if consent is not None:
            consent.withdrawn = True  # revoked here, with signals: not again by _consent_deleted
            consent.delete()
        families, issued = _withdraw(user.pk, client, now)
    for family_id in families:
        _revoked(client, user, family_id=family_id)
    for jti, family_id in issued:
        if family_id not in families:  # an access token without refresh token
            _revoked(client, user, jti=jti)
    return list(consent.scopes) if consent else []


def deactivate_client(client, *, now: datetime | None = None, by=None) -> int:
    """Revoke the grants of a client just saved inactive; return the families revoked.

    Called by ``Client.save()``, in its transaction: refresh-token families are marked revoked
    (for the audit trail) and unused codes spent; its access tokens are refused because the
    client is inactive (the save moved the generation).
    """
    from oauthcore.models import AuthorizationCode, Client, RefreshToken

    now = now or timezone.now()
    rows = RefreshToken.objects.filter(client=client, revoked_at__isnull=True)
    families = set(rows.values_list("family_id", flat=True))
    while rows.update(revoked_at=now):
        pass  # again: a rotation committing meanwhile may have added a member
    AuthorizationCode.objects.filter(client=client, used_at__isnull=True).update(used_at=now)
    signals.client_deactivated.send(Client, client=client, by=by, families=len(families))
    return len(families)


def _client_deleted(sender, instance, **kwargs) -> None:
    """Keep a deleted client's id until its tokens expire, so they stay refused."""
    from oauthcore import keys
    from oauthcore.models import DeletedClient

    now = timezone.now()
    expires_at = now + keys.longest_token_lifetime()
    DeletedClient.objects.create(
        client_id=instance.client_id, deleted_at=now, expires_at=expires_at
    )
    generation.bump()


def _consent_deleted(sender, instance, origin=None, **kwargs) -> None:
    """Revoke what a consent gave when it is deleted (the admin's delete, a user's deletion).

    Not when its client is being deleted: ``_client_deleted`` refuses all of that client's tokens.
    """
    from oauthcore.models import Client

    by_client = isinstance(origin, Client) or (
        isinstance(origin, models.QuerySet) and origin.model is Client
    )
    if getattr(instance, "withdrawn", False) or by_client:
        return
    families, _issued = _withdraw(instance.user_id, instance.client_id, timezone.now())
    logger.info("Consent deleted: %d refresh-token families revoked.", len(families))


def connect() -> None:
    """Revoke what a deleted client or consent covered (``Model.delete()`` and the admin alike)."""
    from oauthcore.models import Client, Consent

    pre_delete.connect(_client_deleted, sender=Client, dispatch_uid="oauthcore.revocation.client")
    post_delete.connect(
        _consent_deleted, sender=Consent, dispatch_uid="oauthcore.revocation.consent"
    )
