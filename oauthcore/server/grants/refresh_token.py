"""The refresh token grant (RFC 6749 6): rotate the token, reuse revokes its family.

A refresh token is used with a conditional UPDATE inside a transaction, so exactly one of several
concurrent requests wins; a reuse revokes the whole family (RFC 9700 4.14.2).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from oauthcore import errors, scopes, signals
from oauthcore.conf import oauth_settings
from oauthcore.jose import dpop
from oauthcore.models import Client, RefreshToken
from oauthcore.server import issuance, resources, revocation
from oauthcore.server.grants import binding, registry, shared


def _is_idle(token: RefreshToken, now: datetime) -> bool:
    idle = oauth_settings.REFRESH_TOKEN_IDLE_TIMEOUT
    return idle is not None and token.created_at + idle <= now


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
    if token.expires_at <= now or _is_idle(token, now):
        raise errors.InvalidGrant("The refresh token has expired.")
    shared.check_user(client, token.user)
    return token


def _rotate(
    client: Client,
    token: RefreshToken,
    scope: list[str],
    now: datetime,
    targets: list[str],
    proof: dpop.Proof | None,
):
    """Mark ``token`` used and store its successor; None if another request used it first.

    As for a code, the access token is signed before the transaction takes its write lock.
    """
    grant = {"client": client, "user": token.user, "auth_time": token.auth_time}
    aud = resources.audience(client, targets)
    access = issuance.issue(**grant, scope=scope, now=now, audience=aud, jkt=binding.jkt(proof))
    with transaction.atomic():
        live = RefreshToken.objects.live().filter(pk=token.pk)
        if not live.update(rotated_at=now):
            return None
        # RFC 6749 6: the new refresh token keeps the scope and the family its end.
        fields = {**grant, "scope": token.scope, "expires_at": token.expires_at}
        fields["resources"] = token.resources  # RFC 8707 2.2: narrowing is per access token
        fields["session_id"] = token.session_id
        fields["dpop_jkt"] = token.dpop_jkt or binding.refresh_token_jkt(client, proof)
        raw = shared.add_to_family(token.family_id, access=access, now=now, **fields)
    issued = {"client": client, "user": token.user, "scopes": scope, "jti": access.jti}
    issued["family_id"] = token.family_id
    signals.token_issued.send(Client, **issued, grant_type=Client.GrantType.REFRESH_TOKEN)
    signals.token_refreshed.send(Client, **issued)
    # OIDC Core 12.2: the new ID token carries no nonce.
    return shared.with_id_token(
        shared.token_response(access, raw), grant, sid=token.session_id, now=now
    )


def refresh(
    client: Client,
    params: shared.Params,
    *,
    now: datetime | None = None,
    proof: dpop.Proof | None = None,
) -> dict[str, Any]:
    """Rotate a refresh token and issue a new access token (RFC 6749 6, RFC 9700 4.14.2).

    A public client's refresh token bound to a DPoP key needs a proof of that key (RFC 9449 5).
    """
    now = now or timezone.now()
    token = _find_refresh_token(client, shared.required(params, "refresh_token"), now)
    binding.require_key(token.dpop_jkt, proof, what="refresh token")
    granted = [name for name in token.scope.split() if name in client.allowed_scopes]
    scope = scopes.narrow(scopes.parse(params.get("scope")), granted)
    targets = resources.narrowed(client, params.get(resources.PARAMETER), token.resources)
    if body := _rotate(client, token, scope, now, targets, proof):
        return body
    revocation.revoke_family(token.family_id, now=now)
    signals.refresh_token_reused.send(
        Client, client=client, user=token.user, family_id=token.family_id
    )
    raise errors.InvalidGrant("The refresh token was already used.")


registry.register(Client.GrantType.REFRESH_TOKEN, refresh)
