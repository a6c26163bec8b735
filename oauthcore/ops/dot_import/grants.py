"""DOT's live refresh tokens become refresh-token families; what users granted, consents.

A DOT refresh token is looked up by ``token_checksum``, the SHA-256 hex of the raw token: that
is oauthcore's own ``sha256$`` hash, so it is carried over without being known (even when DOT
stored no plaintext). Its scope is its access token's (DOT keeps it there); its end is DOT's
``REFRESH_TOKEN_EXPIRE_SECONDS`` after it was issued or, when DOT set none, oauthcore's
``REFRESH_TOKEN_LIFETIME`` from the import. Its family is DOT's ``token_family``, so what DOT
issues from it later joins the same family here.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta

from django.utils import timezone

from oauthcore import crypto
from oauthcore.conf import oauth_settings
from oauthcore.models import Client, Consent, RefreshToken
from oauthcore.ops.dot_import.report import Report
from oauthcore.server import revocation

# (user pk, client pk) -> the scopes the user granted the client in DOT
Granted = dict[tuple[int, int], set[str]]


def stored_hash(checksum: str) -> str:
    """Return oauthcore's stored hash of the token whose DOT ``token_checksum`` is ``checksum``."""
    return f"{crypto.SHA256.algorithm}{crypto.SEPARATOR}{checksum}"


def _dot_end(created):
    """Return when DOT would stop accepting a refresh token issued at ``created`` (None: never)."""
    from oauth2_provider.settings import oauth2_settings

    seconds = oauth2_settings.REFRESH_TOKEN_EXPIRE_SECONDS
    if seconds is None:
        return None
    return created + (seconds if isinstance(seconds, timedelta) else timedelta(seconds=seconds))


def _scope(token) -> str | None:
    """Return the scope DOT keeps on a refresh token's access token, or None without one."""
    from oauth2_provider.models import get_access_token_model

    if token.access_token is not None:
        return token.access_token.scope
    issued = get_access_token_model().objects.filter(source_refresh_token=token)
    return next(iter(issued.values_list("scope", flat=True)[:1]), None)


def import_refresh_tokens(report: Report, clients: dict[str, Client]) -> None:
    """Store each live DOT refresh token of an imported client, in its DOT family."""
    from oauth2_provider.models import get_refresh_token_model

    live = get_refresh_token_model().objects.filter(revoked__isnull=True)
    live = live.select_related("application", "access_token").order_by("pk")
    for chunk in report.rows("refresh tokens", live):
        hashes = [stored_hash(token.token_checksum) for token in chunk]
        known = set(
            RefreshToken.objects.filter(token_hash__in=hashes).values_list("token_hash", flat=True)
        )
        rows = [_family(token, clients, known, report) for token in chunk]
        RefreshToken.objects.bulk_create([row for row in rows if row is not None])


def _family(token, clients: dict[str, Client], known: set[str], report: Report):
    """Return the refresh token ``token`` becomes, or None (counted, and noted if it matters)."""
    now, token_hash = timezone.now(), stored_hash(token.token_checksum)
    client = clients.get(token.application.client_id)
    end = _dot_end(token.created)
    if token_hash in known:
        report.count("refresh tokens", "already families")
    elif end is not None and end <= now:
        report.count("refresh tokens", "expired")
    elif client is None or not client.allows_grant(Client.GrantType.REFRESH_TOKEN):
        report.count("refresh tokens", "skipped")
        report.note(
            f"refresh tokens of {token.application.client_id!r} skipped: its client was not "
            "imported or has no refresh_token grant."
        )
    elif (scope := _scope(token)) is None:
        report.count("refresh tokens", "skipped")
        report.note("refresh tokens without an access token skipped: DOT knows no scope for them.")
    else:
        report.count("refresh tokens", "imported")
        return RefreshToken(
            token_hash=token_hash,
            family_id=token.token_family or uuid.uuid4(),  # DOT's successors join it
            client=client,
            user_id=token.user_id,
            scope=" ".join(_kept_scopes(scope, client, report)),
            resources=list(token.resource or []),
            created_at=token.created,
            expires_at=end or now + oauth_settings.REFRESH_TOKEN_LIFETIME,
        )
    return None


def _kept_scopes(scope: str, client: Client, report: Report) -> list[str]:
    names = scope.split()
    if dropped := [name for name in names if name not in client.allowed_scopes]:
        report.note(f"scopes dropped from carried-over grants: {' '.join(sorted(set(dropped)))}.")
    return [name for name in names if name in client.allowed_scopes]


def revoke_refreshed_elsewhere(report: Report) -> None:
    """Follow what DOT revoked since the import (a refresh token used at DOT's token endpoint
    again, or revoked there): the copy here, unused, is revoked, so it never works here; one
    already used here too was used at both servers, which is reuse: its family dies, with what
    DOT issued from it (imported into the same family; RFC 9700 4.14.2)."""
    from oauth2_provider.models import get_refresh_token_model

    revoked = get_refresh_token_model().objects.filter(revoked__isnull=False).order_by("pk")
    for chunk in report.rows("revoked DOT refresh tokens", revoked.only("token_checksum")):
        hashes = [stored_hash(token.token_checksum) for token in chunk]
        copies = RefreshToken.objects.filter(token_hash__in=hashes, revoked_at__isnull=True)
        reused = set(copies.filter(rotated_at__isnull=False).values_list("family_id", flat=True))
        unused = copies.filter(rotated_at__isnull=True).exclude(family_id__in=reused)
        report.count("refresh tokens", "revoked since imported", unused.count())
        unused.revoke(timezone.now())
        for family_id in reused:
            revocation.revoke_family(family_id)
            report.count("refresh tokens", "families reused at both servers")


def import_consents(report: Report, clients: dict[str, Client]) -> None:
    """Give each user a consent per client with every scope their live DOT tokens hold."""
    granted = _granted(clients)
    existing = Consent.objects.filter(client__in=clients.values())
    consents = {(c.user_id, c.client_id): c for c in existing}
    for (user_id, client_id), names in sorted(granted.items()):
        consent = consents.get((user_id, client_id))
        if consent is None:
            Consent.objects.create(user_id=user_id, client_id=client_id, scopes=sorted(names))
            report.count("consents", "created")
        elif not consent.covers(list(names)):
            consent.scopes = sorted(names | set(consent.scopes))
            consent.save(update_fields=["scopes", "updated_at"])
            report.count("consents", "widened")
        else:
            report.count("consents", "already there")


def _granted(clients: dict[str, Client]) -> Granted:
    """Return the scopes each user granted each client: their live DOT access tokens' and the
    families carried over."""
    from oauth2_provider.models import get_access_token_model

    by_pk = {client.pk: client for client in clients.values()}
    granted: Granted = defaultdict(set)
    tokens = get_access_token_model().objects.filter(
        user__isnull=False, expires__gt=timezone.now(), application__client_id__in=list(clients)
    )
    for user_id, client_id, scope in tokens.values_list(
        "user_id", "application__client_id", "scope"
    ):
        client = clients[client_id]
        granted[user_id, client.pk] |= set(scope.split()) & set(client.allowed_scopes)
    families = RefreshToken.objects.live().filter(
        client__in=list(by_pk), expires_at__gt=timezone.now()
    )
    for user_id, client_pk, scope in families.values_list("user_id", "client_id", "scope"):
        granted[user_id, client_pk] |= set(scope.split())
    return {key: names for key, names in granted.items() if names}


def note_left_behind(report: Report) -> None:
    """Count what stays in DOT: live access tokens (accepted by the transition mode until they
    expire), authorization codes and ID tokens (short-lived: clients simply ask again)."""
    from oauth2_provider.models import get_access_token_model, get_grant_model

    now = timezone.now()
    access = get_access_token_model().objects.filter(expires__gt=now).count()
    report.count("left in DOT", "live access tokens", access)
    report.count(
        "left in DOT",
        "authorization codes",
        get_grant_model().objects.filter(expires__gt=now).count(),
    )
