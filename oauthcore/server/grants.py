"""The grants of the token endpoint: one function per grant type (RFC 6749 4.1.3, 4.4, 6).

Each takes the authenticated client and the form parameters and returns the body of a successful
token response (RFC 6749 5.1), or raises an ``OAuthError``. One-time values (codes, refresh
tokens) are claimed with a conditional UPDATE inside a transaction, so exactly one of several
concurrent requests wins; the others see a replay and revoke what was issued (RFC 9700 4.14.2).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from oauthcore import crypto, errors, scopes, signals
from oauthcore.adapter import get_adapter
from oauthcore.conf import oauth_settings
from oauthcore.models import AuthorizationCode, Client, RefreshToken
from oauthcore.oidc import id_tokens
from oauthcore.server import issuance, pkce, revocation

Params = dict[str, str]


def _required(params: Params, name: str) -> str:
    value = params.get(name)
    if not value:
        raise errors.InvalidRequest(f"The {name} parameter is required.")
    return value


def _response(access: issuance.IssuedToken, refresh: str | None = None) -> dict[str, Any]:
    """Return the body of a successful token response (RFC 6749 5.1)."""
    body = {
        "access_token": access.value,
        "token_type": "Bearer",
        "expires_in": access.expires_in,
        "scope": access.claims["scope"],
    }
    if refresh:
        body["refresh_token"] = refresh
    return body


def _with_id_token(body: dict[str, Any], grant: dict[str, Any], **fields) -> dict[str, Any]:
    """Add an ID token when ``openid`` was granted (OIDC Core 3.1.3.3, 12.2)."""
    if "openid" in body["scope"].split():
        granted = {"access_token": body["access_token"], "scope": body["scope"].split()}
        body["id_token"] = id_tokens.issue(**grant, **granted, **fields)
    return body


def _check_user(client: Client, user) -> None:
    if not get_adapter().is_user_allowed(client=client, user=user):
        raise errors.InvalidGrant("The user may no longer use this client.")


def refresh_lifetime(client: Client) -> timedelta:
    """Return the absolute lifetime of a new refresh-token family of ``client``."""
    return client.refresh_token_lifetime or oauth_settings.REFRESH_TOKEN_LIFETIME


def add_to_family(
    family_id: uuid.UUID, *, access: issuance.IssuedToken, now: datetime, **fields
) -> str:
    """Store a new refresh token of a family with the access token issued with it; return it raw."""
    raw = crypto.new_token()
    RefreshToken.objects.create(
        token_hash=crypto.hash_token(raw),
        family_id=family_id,
        created_at=now,
        access_token_jti=access.jti,
        access_token_expires_at=access.expires_at,
        **fields,
    )
    return raw


# authorization_code


def _find_code(client: Client, params: Params) -> AuthorizationCode:
    """Return the code of the request if it was issued to ``client`` for this redirect_uri."""
    raw = _required(params, "code")
    code = AuthorizationCode.objects.lookup(raw, "user")
    if code is None or code.client_id != client.pk:
        raise errors.InvalidGrant("The authorization code is invalid.")
    _check_redirect_uri(client, code, params.get("redirect_uri"))
    return code


def _check_redirect_uri(client: Client, code: AuthorizationCode, sent: str | None) -> None:
    """Require the redirect_uri of the authorization request, if it named one (RFC 6749 4.1.3)."""
    if code.redirect_uri:
        _required({"redirect_uri": sent}, "redirect_uri")
        if sent != code.redirect_uri:
            raise errors.InvalidGrant("redirect_uri does not match the authorization request.")
    elif sent is not None and sent not in client.redirect_uris:
        raise errors.InvalidGrant("redirect_uri does not match the authorization request.")


def _check_pkce(client: Client, code: AuthorizationCode, verifier: str | None) -> None:
    if not code.code_challenge and (client.is_public or oauth_settings.PKCE_REQUIRED):
        raise errors.InvalidGrant("The authorization code was issued without PKCE.")
    pkce.verify(verifier, code.code_challenge)


def _redeem(client: Client, code: AuthorizationCode, now: datetime) -> dict[str, Any] | None:
    """Claim the code and store its tokens in one transaction; None if it was already claimed.

    The access token is signed before the transaction: a write lock (SQLite's is the whole
    database) is not held while signing. If the claim fails, that token is never handed out.
    """
    family_id = uuid.uuid4()
    grant = {"client": client, "user": code.user, "auth_time": code.auth_time}
    access = issuance.issue(**grant, scope=code.scope.split(), now=now)
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
            expires_at = now + refresh_lifetime(client)
            fields = {**grant, "scope": code.scope, "expires_at": expires_at}
            fields["session_id"] = code.session_id
            refresh = add_to_family(family_id, access=access, now=now, **fields)
    issued = {"client": client, "user": code.user, "scopes": code.scope.split(), "jti": access.jti}
    issued["family_id"] = family_id if refresh else None
    signals.token_issued.send(Client, **issued, grant_type=Client.GrantType.AUTHORIZATION_CODE)
    oidc = {"nonce": code.nonce, "sid": code.session_id, "now": now}
    return _with_id_token(_response(access, refresh), grant, **oidc)


def _revoke_code_tokens(code: AuthorizationCode, now: datetime) -> None:
    """Revoke the tokens a replayed code was exchanged for (RFC 6749 4.1.2)."""
    code.refresh_from_db(fields=["family_id", "access_token_jti", "access_token_expires_at"])
    if code.family_id:
        revocation.revoke_family(code.family_id, now=now)
    revocation.deny([(code.access_token_jti, code.access_token_expires_at)], now=now)


def exchange_code(client: Client, params: Params, *, now: datetime | None = None) -> dict[str, Any]:
    """Redeem an authorization code once (RFC 6749 4.1.3, RFC 7636 4.6); a replay revokes."""
    now = now or timezone.now()
    code = _find_code(client, params)
    _check_pkce(client, code, params.get("code_verifier"))
    # Everything above is checked first: someone holding only the code cannot revoke anything.
    if code.used_at is None:
        if code.expires_at <= now:
            raise errors.InvalidGrant("The authorization code has expired.")
        _check_user(client, code.user)
        if body := _redeem(client, code, now):
            return body
    _revoke_code_tokens(code, now)
    raise errors.InvalidGrant("The authorization code was already used.")


# refresh_token


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
    _check_user(client, token.user)
    return token


def _rotate(client: Client, token: RefreshToken, scope: list[str], now: datetime):
    """Mark ``token`` used and store its successor; None if another request used it first.

    As in ``_redeem``, the access token is signed before the transaction takes its write lock.
    """
    grant = {"client": client, "user": token.user, "auth_time": token.auth_time}
    access = issuance.issue(**grant, scope=scope, now=now)
    with transaction.atomic():
        live = RefreshToken.objects.live().filter(pk=token.pk)
        if not live.update(rotated_at=now):
            return None
        # RFC 6749 6: the new refresh token keeps the scope and the family its end.
        fields = {**grant, "scope": token.scope, "expires_at": token.expires_at}
        fields["session_id"] = token.session_id
        raw = add_to_family(token.family_id, access=access, now=now, **fields)
    issued = {"client": client, "user": token.user, "scopes": scope, "jti": access.jti}
    issued["family_id"] = token.family_id
    signals.token_issued.send(Client, **issued, grant_type=Client.GrantType.REFRESH_TOKEN)
    signals.token_refreshed.send(Client, **issued)
    # OIDC Core 12.2: the new ID token carries no nonce.
    return _with_id_token(_response(access, raw), grant, sid=token.session_id, now=now)


def refresh(client: Client, params: Params, *, now: datetime | None = None) -> dict[str, Any]:
    """Rotate a refresh token and issue a new access token (RFC 6749 6, RFC 9700 4.14.2)."""
    now = now or timezone.now()
    token = _find_refresh_token(client, _required(params, "refresh_token"), now)
    granted = [name for name in token.scope.split() if name in client.allowed_scopes]
    scope = scopes.narrow(scopes.parse(params.get("scope")), granted)
    if body := _rotate(client, token, scope, now):
        return body
    revocation.revoke_family(token.family_id, now=now)
    signals.refresh_token_reused.send(
        Client, client=client, user=token.user, family_id=token.family_id
    )
    raise errors.InvalidGrant("The refresh token was already used.")


# client_credentials


def client_credentials(
    client: Client, params: Params, *, now: datetime | None = None
) -> dict[str, Any]:
    """Issue an access token for the client itself (RFC 6749 4.4); confidential clients only."""
    if client.is_public:
        raise errors.UnauthorizedClient("A public client cannot use client_credentials.")
    scope = scopes.for_client(scopes.parse(params.get("scope")), client)
    access = issuance.issue(client=client, scope=scope, now=now)
    issued = {"client": client, "user": None, "scopes": scope, "jti": access.jti, "family_id": None}
    signals.token_issued.send(Client, **issued, grant_type=Client.GrantType.CLIENT_CREDENTIALS)
    return _response(access)


Grant = Callable[..., dict[str, Any]]
GRANTS: dict[str, Grant] = {
    Client.GrantType.AUTHORIZATION_CODE: exchange_code,
    Client.GrantType.REFRESH_TOKEN: refresh,
    Client.GrantType.CLIENT_CREDENTIALS: client_credentials,
}


def run(client: Client, params: Params, *, now: datetime | None = None) -> dict[str, Any]:
    """Run the grant the request names for an authenticated client (RFC 6749 4.1.3, 4.4, 6)."""
    grant_type = _required(params, "grant_type")
    grant = GRANTS.get(grant_type)
    if grant is None:
        raise errors.UnsupportedGrantType("This grant_type is not supported.")
    if not client.allows_grant(grant_type):
        raise errors.UnauthorizedClient("The client may not use this grant_type.")
    return grant(client, params, now=now)
