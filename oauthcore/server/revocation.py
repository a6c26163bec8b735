"""Revoking: what a client presents (RFC 7009), a refresh family on reuse (RFC 9700 4.14.2),
everything a user gave a client, and what a deleted client or consent covered.

Each revocation writes the database, the truth, and moves the generation in the same
transaction; every process's deny-list copy (``resource_server/denylist.py``) reads it within
``SYNC_INTERVAL``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.db import models, transaction
from django.db.models.signals import post_delete, pre_delete
from django.utils import timezone

from oauthcore import generation, signals
from oauthcore.adapter import get_adapter
from oauthcore.jose import keyring
from oauthcore.models import (
    AuthorizationCode,
    Client,
    Consent,
    DeletedClient,
    RefreshToken,
    RevokedAccessToken,
    TokenExchange,
)
from oauthcore.server import introspection

logger = logging.getLogger(__name__)


# How many exchanges deep (a token exchanged from an exchanged token...) revocation follows.
MAX_EXCHANGE_DEPTH = 5


def _exchanged_from(jtis: Iterable[str], now: datetime) -> dict[str, datetime]:
    """Return the live tokens exchanged from ``jtis`` (RFC 8693), and from those, a few deep.

    One query per level: a token exchanged from a revoked one is revoked with it.
    """
    found: dict[str, datetime] = {}
    level = list(jtis)
    for _ in range(MAX_EXCHANGE_DEPTH):
        rows = TokenExchange.objects.filter(subject_jti__in=level, issued_expires_at__gt=now)
        new = {j: exp for j, exp in rows.values_list("issued_jti", "issued_expires_at")}
        level = [jti for jti in new if jti not in found]
        found.update(new)
        if not level:
            break
    return found


def deny(entries: Iterable[tuple[str, datetime | None]], *, now: datetime | None = None) -> None:
    """Deny-list access tokens given as (jti, expires_at) pairs until they expire, and the tokens
    exchanged from them (RFC 8693)."""
    now = now or timezone.now()
    live = {jti: exp for jti, exp in entries if jti and exp and exp > now}
    if not live:
        return
    with transaction.atomic():
        live.update(_exchanged_from(live, now))
        value = generation.bump()
        rows = [
            RevokedAccessToken(jti=j, expires_at=exp, generation=value) for j, exp in live.items()
        ]
        RevokedAccessToken.objects.bulk_create(rows, ignore_conflicts=True)


def revoke_family(family_id: uuid.UUID, *, now: datetime | None = None) -> None:
    """Revoke every refresh token of a family and deny-list its access tokens (RFC 9700 4.14.2)."""
    now = now or timezone.now()
    family = RefreshToken.objects.family(family_id)
    family.revoke(now)
    deny(family.values_list("access_token_jti", "access_token_expires_at"), now=now)


def revoke_access_token(claims: dict[str, Any], *, now: datetime | None = None) -> None:
    """Deny-list a validated access token until its ``exp`` (RFC 7009 2.1)."""
    deny([(claims["jti"], datetime.fromtimestamp(claims["exp"], tz=UTC))], now=now)


def _revoked(
    client, user, *, jti: str | None = None, family_id: uuid.UUID | None = None, by=None
) -> None:
    """Send ``token_revoked`` for one access token (``jti``) or one refresh family; ``by``
    (the staff user) only when staff acted, as the admin's actions send it."""
    kind = "access_token" if jti else "refresh_token"
    staff = {"by": by} if by is not None else {}
    signals.token_revoked.send(
        Client, client=client, user=user, token_type=kind, jti=jti, family_id=family_id, **staff
    )


def revoke_token(client, raw: str, *, hint: str | None = None, now: datetime | None = None) -> None:
    """Revoke the token ``raw`` if it belongs to ``client``; else change nothing (RFC 7009 2.1).

    A refresh token takes its whole family and the access tokens issued from it along.
    """
    for kind in introspection.lookup_order(hint):
        if kind == introspection.ACCESS_TOKEN and (found := introspection.find_access_token(raw)):
            owner, token = found
            if owner.pk == client.pk:
                revoke_access_token(token.claims, now=now)
                user = None if token.is_client_token else _subject_user(token.subject, client)
                _revoked(client, user, jti=token.jti)
            return
        if kind == introspection.REFRESH_TOKEN and (
            refresh := introspection.find_refresh_token(raw)
        ):
            if refresh.client_id == client.pk:
                revoke_family(refresh.family_id, now=now)
                _revoked(client, refresh.user, family_id=refresh.family_id)
            return


def _subject_user(subject: str, client: Client):
    adapter = get_adapter()
    return adapter.get_user_by_subject(subject=subject, client=client, client_id=client.client_id)


def _revoke_refresh_tokens(rows, now: datetime) -> set[uuid.UUID]:
    """Revoke the refresh tokens ``rows`` and deny-list their access tokens; return the families."""
    families = rows.unrevoked_families()
    rows.revoke(now)
    live = rows.filter(access_token_expires_at__gt=now)
    deny(live.values_list("access_token_jti", "access_token_expires_at"), now=now)
    return families


def _revoke_codes(codes, now: datetime) -> list[tuple[str, uuid.UUID | None]]:
    """Spend unused codes; deny-list the access tokens used ones yielded: (jti, family_id)."""
    codes.spend(now)
    live = codes.exclude(access_token_jti="").filter(access_token_expires_at__gt=now)
    issued = list(live.values_list("access_token_jti", "access_token_expires_at", "family_id"))
    deny([(jti, expires_at) for jti, expires_at, _ in issued], now=now)
    return [(jti, family_id) for jti, _, family_id in issued]


def _withdraw(user_id, client, now: datetime):
    """Revoke the refresh tokens, codes and live access tokens a user's consent gave a client."""
    families = _revoke_refresh_tokens(
        RefreshToken.objects.filter(user_id=user_id, client=client), now
    )
    codes = AuthorizationCode.objects.filter(user_id=user_id, client=client)
    return families, _revoke_codes(codes, now)


def revoke_user_client(user, client, *, now: datetime | None = None) -> list[str]:
    """Withdraw ``client``'s access for ``user``: consent, refresh tokens, live access tokens.

    Return the scopes the consent had granted. All in one transaction.
    """
    now = now or timezone.now()
    with transaction.atomic():
        consent = Consent.objects.lookup(user=user, client=client)
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


def revoke_user(user, *, by=None, now: datetime | None = None) -> set[uuid.UUID]:
    """Revoke every refresh-token family of ``user``, spend their codes and deny-list every live
    access token they were issued, with every client; return the families that were live.

    Consents stay: the user signs in again without being asked again. ``by``: the staff user.
    """
    now = now or timezone.now()
    tokens = RefreshToken.objects.filter(user=user)
    with transaction.atomic():
        owners = dict(tokens.filter(revoked_at__isnull=True).values_list("family_id", "client"))
        _revoke_refresh_tokens(tokens, now)
        _revoke_codes(AuthorizationCode.objects.filter(user=user), now)
    clients = Client.objects.in_bulk(set(owners.values()))
    for family_id, client_pk in owners.items():
        _revoked(clients.get(client_pk), user, family_id=family_id, by=by)
    return set(owners)


def _deny_exchanged_from_client(client: Client, now: datetime) -> None:
    """Deny-list the tokens other clients exchanged (RFC 8693) from ``client``'s refresh-token
    families: ``client``'s own tokens are refused by its ``client_id``, those by their ``jti``."""
    families = RefreshToken.objects.filter(client=client).values("family_id")
    rows = TokenExchange.objects.filter(subject_family_id__in=families, issued_expires_at__gt=now)
    deny(rows.values_list("issued_jti", "issued_expires_at"), now=now)


def _client_deactivated(sender, client, **kwargs) -> None:
    """Revoke what was exchanged from a deactivated client's tokens."""
    _deny_exchanged_from_client(client, timezone.now())


def _client_deleted(sender, instance, **kwargs) -> None:
    """Keep a deleted client's id until its tokens expire, so they stay refused."""
    now = timezone.now()
    _deny_exchanged_from_client(instance, now)
    expires_at = now + keyring.longest_token_lifetime()
    DeletedClient.objects.create(
        client_id=instance.client_id, deleted_at=now, expires_at=expires_at
    )
    generation.bump()


def _consent_deleted(sender, instance, origin=None, **kwargs) -> None:
    """Revoke what a consent gave when it is deleted (the admin's delete, a user's deletion).

    Not when its client is being deleted: ``_client_deleted`` refuses all of that client's tokens.
    """
    by_client = isinstance(origin, Client) or (
        isinstance(origin, models.QuerySet) and origin.model is Client
    )
    if getattr(instance, "withdrawn", False) or by_client:
        return
    families, _issued = _withdraw(instance.user_id, instance.client_id, timezone.now())
    logger.info("Consent deleted: %d refresh-token families revoked.", len(families))


def connect() -> None:
    """Revoke what a deleted client or consent covered (``Model.delete()`` and the admin alike)."""
    pre_delete.connect(
        _client_deleted, sender=Client, dispatch_uid="oauthcore.server.revocation.client"
    )
    post_delete.connect(
        _consent_deleted, sender=Consent, dispatch_uid="oauthcore.server.revocation.consent"
    )
    signals.client_deactivated.connect(
        _client_deactivated, dispatch_uid="oauthcore.server.revocation.exchanged"
    )
