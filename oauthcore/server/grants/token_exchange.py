"""Token exchange (RFC 8693): a client trades a user's token for a narrower one of its own.

The subject token is one of this server's access tokens (or, with ``TOKEN_EXCHANGE_ID_TOKENS``,
an ID token issued to the client), validated as a resource server would: signature, expiry,
issuer, deny-list. The new token keeps the subject's ``sub``; its scope is within the subject
token's and the client's ``token_exchange_scopes``; its audience one of the client's
``token_exchange_audiences``; its ``exp`` never after the subject token's. With an
``actor_token`` (delegation, RFC 8693 1.1) it carries ``act`` (4.1). Each exchange is recorded
(``TokenExchange``) so that revoking the subject token, or its refresh-token family, revokes
what was exchanged from it. No refresh token is issued.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jwt
from django.utils import timezone

from oauthcore import errors, scopes, signals
from oauthcore.adapter import get_adapter
from oauthcore.conf import oauth_settings
from oauthcore.jose import dpop, keyring
from oauthcore.models import Client, RefreshToken, TokenExchange
from oauthcore.oidc import id_tokens
from oauthcore.resource_server import access_tokens, denylist
from oauthcore.server import introspection, issuance, resources
from oauthcore.server.grants import binding, registry, shared

ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"  # RFC 8693 3
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
AUDIENCE = "audience"


def _invalid(what: str) -> errors.InvalidRequest:
    """RFC 8693 2.2.2: an invalid or unacceptable subject or actor token is ``invalid_request``."""
    return errors.InvalidRequest(f"The {what} is invalid, expired or revoked.")


def _access_token(raw: str, what: str) -> tuple[Client, access_tokens.AccessToken]:
    """Return a live access token of this server (not revoked, its client active), its client."""
    found = introspection.find_access_token(raw)
    if found is None:
        raise _invalid(what)
    owner, token = found
    if denylist.is_token_denied(token.claims):
        raise _invalid(what)
    return owner, token


def _id_token(client: Client, raw: str) -> dict[str, Any]:
    """Return the claims of a live ID token this server issued to ``client`` (OIDC Core 2)."""
    if len(raw) > oauth_settings.MAX_TOKEN_LENGTH:
        raise _invalid("subject_token")
    try:
        header = jwt.get_unverified_header(raw)
        kid = header.get("kid")
        key = keyring.find(kid) if isinstance(kid, str) else None
        if key is None or header.get("typ") != id_tokens.ID_TOKEN_TYPE:
            raise _invalid("subject_token")
        return jwt.decode(
            raw,
            key.public_key,
            algorithms=[key.algorithm],
            issuer=oauth_settings.ISSUER,
            audience=client.client_id,
            leeway=oauth_settings.CLOCK_SKEW,
            options={"require": ["sub", "aud", "exp", "iat"]},
        )
    except (jwt.PyJWTError, ValueError, RecursionError) as e:
        raise _invalid("subject_token") from e


def _subject(client: Client, params: shared.Params) -> tuple[dict[str, Any], Any]:
    """Return the subject token's claims and its user (RFC 8693 2.1), else ``invalid_request``."""
    raw = shared.required(params, "subject_token")
    kind = shared.required(params, "subject_token_type")
    if kind == ACCESS_TOKEN_TYPE:
        owner, token = _access_token(raw, "subject_token")
        if token.is_client_token:
            raise errors.InvalidRequest("The subject_token must act for a user.")
        claims, owner_id = token.claims, token.client_id
    elif kind == ID_TOKEN_TYPE and oauth_settings.TOKEN_EXCHANGE_ID_TOKENS:
        claims, owner, owner_id = _id_token(client, raw), client, client.client_id
    else:
        raise errors.InvalidRequest("This subject_token_type is not supported.")
    user = get_adapter().get_user_by_subject(
        subject=claims["sub"], client=owner, client_id=owner_id
    )
    if not user:
        raise errors.InvalidRequest("The subject_token's user is no longer active.")
    try:
        shared.check_user(client, user)
    except errors.InvalidGrant as e:
        raise errors.InvalidRequest("The subject_token's user may not use this client.") from e
    return claims, user


def _actor(client: Client, params: shared.Params) -> dict[str, Any] | None:
    """Return the actor token's claims (delegation, RFC 8693 1.1, 2.1), or None.

    Policy: the actor token is an access token issued to the exchanging client itself (its own
    client-credentials token, or a user's token for it): a client acts only as itself.
    """
    raw, kind = params.get("actor_token"), params.get("actor_token_type")
    if not raw and not kind:
        return None
    if not raw or not kind:
        raise errors.InvalidRequest("actor_token and actor_token_type go together.")
    if kind != ACCESS_TOKEN_TYPE:
        raise errors.InvalidRequest("This actor_token_type is not supported.")
    _owner, token = _access_token(raw, "actor_token")
    if token.client_id != client.client_id:
        raise errors.InvalidRequest("The actor_token was not issued to this client.")
    return token.claims


def _act(subject: dict[str, Any], actor: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return the ``act`` claim (RFC 8693 4.1): the actor, the subject's earlier actors nested."""
    if actor is None:
        return subject.get("act") if isinstance(subject.get("act"), dict) else None
    act = {"sub": actor["sub"]}
    if actor.get("client_id") and actor["client_id"] != actor["sub"]:
        act["client_id"] = actor["client_id"]
    if isinstance(subject.get("act"), dict):
        act["act"] = subject["act"]
    return act


def _targets(client: Client, params: shared.Params) -> list[str]:
    """Return the resources the token is for: ``resource`` (RFC 8707) and ``audience`` name
    registered resources, each in the client's ``token_exchange_audiences``; else ``invalid_target``.

    Without either, the client's only allowed audience, if it has exactly one.
    """
    names = [
        *resources.requested(client, params.get(resources.PARAMETER)),
        *resources.requested(client, params.get(AUDIENCE)),
    ]
    allowed = [name for name in client.token_exchange_audiences if name in resources.registered()]
    if not names:
        if len(allowed) != 1:
            raise errors.InvalidTarget("Name the target with the resource or audience parameter.")
        return allowed
    if any(name not in allowed for name in names):
        raise errors.InvalidTarget("The client may not obtain tokens for this audience.")
    return list(dict.fromkeys(names))


def _scope(client: Client, params: shared.Params, subject: dict[str, Any], kind: str) -> list[str]:
    """Return the scope: within the subject token's (RFC 8693 5) and the client's policy."""
    policy = set(client.token_exchange_scopes)
    if kind == ACCESS_TOKEN_TYPE:
        held = str(subject.get("scope", "")).split()
    else:  # an ID token grants no scope: the client's policy alone bounds it
        held = list(client.token_exchange_scopes)
    granted = [name for name in held if name in policy]
    requested = scopes.parse(params.get("scope"))
    if requested and not set(requested) <= set(held):
        raise errors.InvalidScope("The requested scope goes beyond the subject_token's.")
    scope = scopes.narrow(requested, granted) if requested else granted
    if not scope:
        raise errors.InvalidScope("The client may exchange none of the subject_token's scopes.")
    return scope


def _expiry(*tokens: dict[str, Any] | None) -> datetime:
    return datetime.fromtimestamp(min(t["exp"] for t in tokens if t), tz=UTC)


def _family(subject_jti: str):
    """Return the refresh-token family the subject access token came from (directly, or through
    an earlier exchange), or None."""
    if not subject_jti:
        return None
    found = RefreshToken.objects.filter(access_token_jti=subject_jti).values_list("family_id")
    if row := found.first():
        return row[0]
    earlier = TokenExchange.objects.filter(issued_jti=subject_jti).values_list("subject_family_id")
    row = earlier.first()
    return row[0] if row else None


def exchange(
    client: Client,
    params: shared.Params,
    *,
    now: datetime | None = None,
    proof: dpop.Proof | None = None,
) -> dict[str, Any]:
    """Issue an access token for the subject of ``subject_token`` (RFC 8693 2.1, 2.2).

    A DPoP-bound subject token needs a proof of its key; with a proof the new token is bound
    to that key (RFC 9449 5).
    """
    now = now or timezone.now()
    if client.is_public:
        raise errors.UnauthorizedClient("A public client cannot use token exchange.")
    requested_type = params.get("requested_token_type")
    if requested_type and requested_type != ACCESS_TOKEN_TYPE:
        raise errors.InvalidRequest("Only access tokens can be requested.")
    kind = params.get("subject_token_type")
    subject, user = _subject(client, params)
    cnf = subject.get("cnf")
    binding.require_key(
        cnf.get("jkt", "") if isinstance(cnf, dict) else "", proof, what="subject_token"
    )
    actor = _actor(client, params)
    targets = _targets(client, params)
    scope = _scope(client, params, subject, kind)
    access = issuance.issue(
        client=client,
        user=user,
        scope=scope,
        now=now,
        audience=resources.audience(client, targets),
        jkt=binding.jkt(proof),
        subject=subject["sub"],
        act=_act(subject, actor),
        not_after=_expiry(subject, actor),
    )
    if access.expires_at <= now:
        raise errors.InvalidRequest("The subject_token has expired.")
    subject_jti = subject.get("jti", "") if kind == ACCESS_TOKEN_TYPE else ""
    TokenExchange.objects.create(
        issued_jti=access.jti,
        issued_expires_at=access.expires_at,
        subject_jti=subject_jti,
        subject_family_id=_family(subject_jti),
        client=client,
        created_at=now,
    )
    issued = {"client": client, "user": user, "scopes": scope, "jti": access.jti}
    signals.token_issued.send(
        Client, **issued, family_id=None, grant_type=Client.GrantType.TOKEN_EXCHANGE
    )
    body = shared.token_response(access)
    body["issued_token_type"] = ACCESS_TOKEN_TYPE  # RFC 8693 2.2.1
    return body


registry.register(Client.GrantType.TOKEN_EXCHANGE, exchange)
