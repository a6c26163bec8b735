"""The authorization code grant (RFC 6749 4.1.3, RFC 7636 4.6): a code redeemed once.

The code is claimed with a conditional UPDATE inside a transaction, so exactly one of several
concurrent requests wins; the others see a replay and revoke what was issued (RFC 9700 4.14.2).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from oauthcore import errors, signals
from oauthcore.conf import oauth_settings
from oauthcore.jose import dpop
from oauthcore.models import AuthorizationCode, Client
from oauthcore.server import issuance, pkce, resources, revocation
from oauthcore.server.grants import binding, registry, shared


def _find_code(client: Client, params: shared.Params) -> AuthorizationCode:
    """Return the code of the request if it was issued to ``client`` for this redirect_uri."""
    raw = shared.required(params, "code")
    code = AuthorizationCode.objects.lookup(raw, "user")
    if code is None or code.client_id != client.pk:
        raise errors.InvalidGrant("The authorization code is invalid.")
    _check_redirect_uri(client, code, params.get("redirect_uri"))
    return code


def _check_redirect_uri(client: Client, code: AuthorizationCode, sent: str | None) -> None:
    """Require the redirect_uri of the authorization request, if it named one (RFC 6749 4.1.3)."""
    if code.redirect_uri:
        shared.required({"redirect_uri": sent}, "redirect_uri")
        if sent != code.redirect_uri:
            raise errors.InvalidGrant("redirect_uri does not match the authorization request.")
    elif sent is not None and sent not in client.redirect_uris:
        raise errors.InvalidGrant("redirect_uri does not match the authorization request.")


def _check_pkce(client: Client, code: AuthorizationCode, verifier: str | None) -> None:
    if not code.code_challenge and (client.is_public or oauth_settings.PKCE_REQUIRED):
        raise errors.InvalidGrant("The authorization code was issued without PKCE.")
    pkce.verify(verifier, code.code_challenge)


def _redeem(
    client: Client,
    code: AuthorizationCode,
    now: datetime,
    targets: list[str],
    proof: dpop.Proof | None,
) -> dict[str, Any] | None:
    """Claim the code and store its tokens in one transaction; None if it was already claimed.

    The access token is signed before the transaction: a write lock (SQLite's is the whole
    database) is not held while signing. If the claim fails, that token is never handed out.
    """
    family_id = uuid.uuid4()
    grant = {"client": client, "user": code.user, "auth_time": code.auth_time}
    aud = resources.audience(client, targets)
    access = issuance.issue(
        **grant, scope=code.scope.split(), now=now, audience=aud, jkt=binding.jkt(proof)
    )
    with transaction.atomic():
        claimed = AuthorizationCode.objects.filter(pk=code.pk, used_at__isnull=True).update(
            used_at=now,
            family_id=family_id,
            access_token_jti=access.jti,
            access_token_expires_at=access.expires_at,
        )
        if not claimed:
            return None
        refresh = None
        if client.allows_grant(Client.GrantType.REFRESH_TOKEN):
            expires_at = now + shared.refresh_lifetime(client)
            fields = {**grant, "scope": code.scope, "expires_at": expires_at}
            fields["resources"] = code.resources  # the grant's, however narrowed (RFC 8707 2.2)
            fields["session_id"] = code.session_id
            fields["dpop_jkt"] = binding.refresh_token_jkt(client, proof)
            refresh = shared.add_to_family(family_id, access=access, now=now, **fields)
    issued = {"client": client, "user": code.user, "scopes": code.scope.split(), "jti": access.jti}
    issued["family_id"] = family_id if refresh else None
    signals.token_issued.send(Client, **issued, grant_type=Client.GrantType.AUTHORIZATION_CODE)
    oidc = {"nonce": code.nonce, "sid": code.session_id, "now": now}
    return shared.with_id_token(shared.token_response(access, refresh), grant, **oidc)


def _revoke_code_tokens(code: AuthorizationCode, now: datetime) -> None:
    """Revoke the tokens a replayed code was exchanged for (RFC 6749 4.1.2)."""
    code.refresh_from_db(fields=["family_id", "access_token_jti", "access_token_expires_at"])
    if code.family_id:
        revocation.revoke_family(code.family_id, now=now)
    revocation.deny([(code.access_token_jti, code.access_token_expires_at)], now=now)


def exchange_code(
    client: Client,
    params: shared.Params,
    *,
    now: datetime | None = None,
    proof: dpop.Proof | None = None,
) -> dict[str, Any]:
    """Redeem an authorization code once (RFC 6749 4.1.3, RFC 7636 4.6); a replay revokes.

    A code asked for with ``dpop_jkt`` is redeemed only with a proof of that key (RFC 9449 10).
    """
    now = now or timezone.now()
    code = _find_code(client, params)
    _check_pkce(client, code, params.get("code_verifier"))
    binding.require_key(code.dpop_jkt, proof, what="authorization code")
    # Everything above is checked first: someone holding only the code cannot revoke anything.
    if code.used_at is None:
        if code.expires_at <= now:
            raise errors.InvalidGrant("The authorization code has expired.")
        shared.check_user(client, code.user)
        targets = resources.narrowed(client, params.get(resources.PARAMETER), code.resources)
        if body := _redeem(client, code, now, targets, proof):
            return body
    _revoke_code_tokens(code, now)
    raise errors.InvalidGrant("The authorization code was already used.")


registry.register(Client.GrantType.AUTHORIZATION_CODE, exchange_code)
