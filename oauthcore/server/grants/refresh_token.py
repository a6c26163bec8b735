"""The refresh token grant (RFC 6749 6): rotate the token (per client), reuse revokes its family.

A refresh token is used with a conditional UPDATE inside a transaction, so exactly one of several
concurrent requests wins; a reuse revokes the whole family (RFC 9700 4.14.2).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from oauthcore import errors, scopes, signals
from oauthcore.conf import oauth_settings
from oauthcore.jose import dpop
from oauthcore.models import Client, RefreshToken
from oauthcore.server import issuance, resources, revocation
from oauthcore.server.grants import binding, registry, shared


def _last_use(client: Client, token: RefreshToken) -> datetime:
    """Return when ``token`` was issued or, if its client does not rotate, last used: the newest
    member of its family records each use."""
    if client.rotate_refresh_tokens:
        return token.created_at
    newest = RefreshToken.objects.family(token.family_id).aggregate(Max("created_at"))
    return max(newest["created_at__max"] or token.created_at, token.created_at)


def _is_idle(client: Client, token: RefreshToken, now: datetime) -> bool:
    idle = oauth_settings.REFRESH_TOKEN_IDLE_TIMEOUT
    return idle is not None and _last_use(client, token) + idle <= now


def _find_refresh_token(client: Client, raw: str, now: datetime) -> RefreshToken:
    """Return the live refresh token ``raw`` of ``client``; reuse of a rotated one revokes."""
    token = RefreshToken.objects.lookup(raw, "user")
    if token is None or token.client_id != client.pk:
        raise errors.InvalidGrant("The refresh token is invalid.")
    if token.revoked_at is not None:
        raise errors.InvalidGrant("The refresh token was revoked.")
    if token.rotated_at is not None:
        revocation.revoke_family(token.family_id, now=now)
        signals.refresh_token_reused.send(
            Client, client=client, user=token.user, family_id=token.family_id
        )
        raise errors.InvalidGrant("The refresh token was already used.")
    if token.expires_at <= now or _is_idle(client, token, now):
        raise errors.InvalidGrant("The refresh token has expired.")
    shared.check_user(client, token.user)
    return token


def _successor_fields(client: Client, token: RefreshToken, proof: dpop.Proof | None) -> dict:
    """Return what a new member of ``token``'s family keeps of it (RFC 6749 6, RFC 8707 2.2)."""
    return {
        "client": client,
        "user": token.user,
        "auth_time": token.auth_time,
        "scope": token.scope,  # RFC 6749 6: the refresh token keeps its scope
        "expires_at": token.expires_at,  # and the family its end
        "resources": token.resources,  # RFC 8707 2.2: narrowing is per access token
        "session_id": token.session_id,
        "dpop_jkt": token.dpop_jkt or binding.refresh_token_jkt(client, proof),
    }


def _store(
    client: Client, token: RefreshToken, access, now: datetime, proof: dpop.Proof | None
) -> str | None:
    """Record the access token in ``token``'s family; return the raw refresh token to send.

    A rotating client's ``token`` is marked used and a successor stored (None if another request
    used it first). A client that does not rotate (``rotate_refresh_tokens`` off; FAPI 2.0
    5.3.2.1 9) keeps ``token``: the family gets a used member that only records the access token,
    so revoking the family still deny-lists every access token it yielded; "" means send none.
    """
    fields = _successor_fields(client, token, proof)
    live = RefreshToken.objects.live().filter(pk=token.pk)
    with transaction.atomic():
        if client.rotate_refresh_tokens:
            if not live.update(rotated_at=now):
                return None
            return shared.add_to_family(token.family_id, access=access, now=now, **fields)
        if not live.select_for_update().exists():
            return None
        shared.add_to_family(token.family_id, access=access, now=now, rotated_at=now, **fields)
        return ""


def _issue(
    client: Client,
    token: RefreshToken,
    scope: list[str],
    now: datetime,
    targets: list[str],
    proof: dpop.Proof | None,
):
    """Issue an access token from ``token``; None if another request used or revoked it first.

    As for a code, the access token is signed before the transaction takes its write lock.
    """
    grant = {"client": client, "user": token.user, "auth_time": token.auth_time}
    aud = resources.audience(client, targets)
    access = issuance.issue(**grant, scope=scope, now=now, audience=aud, jkt=binding.jkt(proof))
    raw = _store(client, token, access, now, proof)
    if raw is None:
        return None
    issued = {"client": client, "user": token.user, "scopes": scope, "jti": access.jti}
    issued["family_id"] = token.family_id
    signals.token_issued.send(Client, **issued, grant_type=Client.GrantType.REFRESH_TOKEN)
    signals.token_refreshed.send(Client, **issued)
    # OIDC Core 12.2: the new ID token carries no nonce.
    return shared.with_id_token(
        shared.token_response(access, raw or None), grant, sid=token.session_id, now=now
    )


def refresh(
    client: Client,
    params: shared.Params,
    *,
    now: datetime | None = None,
    proof: dpop.Proof | None = None,
) -> dict[str, Any]:
    """Issue a new access token for a refresh token (RFC 6749 6), rotating the refresh token
    unless the client's ``rotate_refresh_tokens`` is off (RFC 9700 4.14.2, FAPI 2.0 5.3.2.1 9).

    Without rotation the response carries no ``refresh_token`` (RFC 6749 5.1: optional) and the
    one sent stays valid. A public client's refresh token bound to a DPoP key needs a proof of
    that key (RFC 9449 5).
    """
    now = now or timezone.now()
    token = _find_refresh_token(client, shared.required(params, "refresh_token"), now)
    binding.require_key(token.dpop_jkt, proof, what="refresh token")
    granted = [name for name in token.scope.split() if name in client.allowed_scopes]
    scope = scopes.narrow(scopes.parse(params.get("scope")), granted)
    targets = resources.narrowed(client, params.get(resources.PARAMETER), token.resources)
    if body := _issue(client, token, scope, now, targets, proof):
        return body
    if not client.rotate_refresh_tokens:  # revoked meanwhile: no reuse to report
        raise errors.InvalidGrant("The refresh token was revoked.")
    revocation.revoke_family(token.family_id, now=now)
    signals.refresh_token_reused.send(
        Client, client=client, user=token.user, family_id=token.family_id
    )
    raise errors.InvalidGrant("The refresh token was already used.")


registry.register(Client.GrantType.REFRESH_TOKEN, refresh)
