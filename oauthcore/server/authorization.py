"""The authorization request (RFC 6749 4.1.1): client → redirect_uri → response_type → scope → PKCE
→ prompt; then the consent it needs and the one-time code it yields (RFC 6749 4.1.2).

Parameters arrive as ``dict[str, list[str]]`` (``dict(request.GET.lists())``), so repetitions show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.core import signing
from django.db import transaction
from django.utils import timezone

from oauthcore import adapter, crypto, errors, scopes, signals
from oauthcore.conf import oauth_settings
from oauthcore.models import AuthorizationCode, Client, Consent
from oauthcore.server import client_auth, pkce, redirect_uris

Params = dict[str, list[str]]

# RFC 6749 Appendix A: client_id, state = *VSCHAR / 1*VSCHAR.
VSCHAR = re.compile(r"[\x20-\x7e]+")
MAX_CLIENT_ID_LENGTH = 100
MAX_STATE_LENGTH = 1024
MAX_NONCE_LENGTH = 255
MAX_LOGIN_HINT_LENGTH = 255
MAX_AGE_DIGITS = re.compile(r"[0-9]{1,10}")
PROMPTS = frozenset({"none", "login", "consent"})
CONSENT_SALT = "oauthcore.authorization.consent"  # unchanged by the move: forms stay valid
CONSENT_MAX_AGE = 600  # seconds a consent form stays valid


@dataclass(frozen=True)
class Target:
    """Where errors may be sent once client and redirect URI are verified (RFC 6749 4.1.2.1)."""

    client: Client
    redirect_uri: str
    state: str | None
    redirect_uri_sent: bool = True


@dataclass(frozen=True)
class AuthorizationRequest:
    """A validated authorization request."""

    client: Client
    redirect_uri: str
    state: str | None
    redirect_uri_sent: bool
    scopes: list[str]
    code_challenge: str
    nonce: str
    prompt: frozenset[str]
    max_age: int | None = None
    login_hint: str | None = None


def _one(params: Params, name: str) -> str | None:
    """Return the single value of ``name`` (None if absent or empty); refuse repetitions (3.1)."""
    values = params.get(name) or []
    if len(values) > 1:
        raise errors.InvalidRequest(f"The {name} parameter is repeated.")
    return values[0] if values and values[0] else None


def find_target(params: Params) -> Target:
    """Verify client_id and redirect_uri (RFC 6749 3.1.2.3); errors here must not redirect."""
    client = _find_client(_one(params, "client_id"))
    sent = _one(params, "redirect_uri")
    redirect_uri = _find_redirect_uri(client, sent)
    try:
        state = _state(params)
    except errors.InvalidRequest:
        state = None
    return Target(client, redirect_uri, state, redirect_uri_sent=sent is not None)


def _find_client(client_id: str | None) -> Client:
    """Return the active client named ``client_id`` (RFC 6749 2.2)."""
    valid = client_id and len(client_id) <= MAX_CLIENT_ID_LENGTH and VSCHAR.fullmatch(client_id)
    client = client_auth.find(client_id) if valid else None
    if client is None:
        raise errors.InvalidClient("Unknown or inactive client.")
    return client


def _find_redirect_uri(client: Client, uri: str | None) -> str:
    """Return the redirect URI to use: a registered one, character for character (RFC 6749
    3.1.2.3, RFC 9700 2.1, 4.1.3); only a loopback IP URI's port may differ (RFC 8252 7.3)."""
    registered = list(client.redirect_uris)
    if uri is None:
        if len(registered) != 1:
            raise errors.InvalidRequest("redirect_uri is required for this client.")
        return registered[0]
    if any(redirect_uris.matches(uri, known) for known in registered):
        return uri
    raise errors.InvalidRequest("This redirect_uri is not registered for the client.")


def validate(params: Params, target: Target) -> AuthorizationRequest:
    """Check the rest of the request (RFC 6749 4.1.1, RFC 7636 4.3); errors go to the client."""
    client = target.client
    if not client.allows_grant(Client.GrantType.AUTHORIZATION_CODE):
        raise errors.UnauthorizedClient("The client may not use the authorization code grant.")
    for name in params:
        _one(params, name)
    _check_response_type(params)
    granted = scopes.for_client(scopes.parse(_one(params, "scope")), client)
    return AuthorizationRequest(
        client=client,
        redirect_uri=target.redirect_uri,
        state=_state(params),
        redirect_uri_sent=target.redirect_uri_sent,
        scopes=granted,
        code_challenge=_code_challenge(params, client),
        nonce=_bounded(params, "nonce", MAX_NONCE_LENGTH) or "",
        prompt=_prompt(params),
        max_age=_max_age(params),
        login_hint=_bounded(params, "login_hint", MAX_LOGIN_HINT_LENGTH),
    )


def _check_response_type(params: Params) -> None:
    """Accept ``response_type=code`` only, answered in the query (RFC 6749 3.1.1)."""
    response_type = _one(params, "response_type")
    if response_type is None:
        raise errors.InvalidRequest("response_type is required.")
    if response_type != "code":
        raise errors.UnsupportedResponseType("Only response_type=code is supported.")
    if _one(params, "response_mode") not in (None, "query"):
        raise errors.InvalidRequest("Only response_mode=query is supported.")


def _bounded(params: Params, name: str, limit: int) -> str | None:
    value = _one(params, name)
    if value is not None and (len(value) > limit or not VSCHAR.fullmatch(value)):
        raise errors.InvalidRequest(f"The {name} parameter is too long or malformed.")
    return value


def _state(params: Params) -> str | None:
    return _bounded(params, "state", MAX_STATE_LENGTH)


def _code_challenge(params: Params, client: Client) -> str:
    """Return the PKCE challenge: S256 only, required unless relaxed (RFC 7636 4.4, RFC 9700 2.1.1)."""
    challenge = _one(params, "code_challenge")
    method = _one(params, "code_challenge_method")
    if challenge is None:
        if method is not None:
            raise errors.InvalidRequest("code_challenge_method was sent without code_challenge.")
        if client.is_public or oauth_settings.PKCE_REQUIRED:
            raise errors.InvalidRequest("code_challenge (PKCE, S256) is required.")
        return ""
    pkce.check_challenge(challenge, method or "plain")
    return challenge


def _prompt(params: Params) -> frozenset[str]:
    """Parse ``prompt`` (OpenID Connect Core 3.1.2.1): none, login, consent; none stands alone."""
    values = frozenset((_one(params, "prompt") or "").split())
    if not values <= PROMPTS:
        raise errors.InvalidRequest("Unsupported prompt value.")
    if "none" in values and len(values) > 1:
        raise errors.InvalidRequest("prompt=none cannot be combined with other values.")
    return values


def _max_age(params: Params) -> int | None:
    """Parse ``max_age``: the most seconds since this session signed in (OIDC Core 3.1.2.1)."""
    value = _one(params, "max_age")
    if value is None:
        return None
    if not MAX_AGE_DIGITS.fullmatch(value):
        raise errors.InvalidRequest("max_age must be a number of seconds.")
    return int(value)


def consent_needed(request: AuthorizationRequest, user) -> tuple[list[str], list[str]]:
    """Return (already granted, to ask) among the requested scopes; nothing to ask skips the screen."""
    client, names = request.client, request.scopes
    if adapter.get_adapter().should_skip_consent(client=client, user=user, scopes=names):
        return names, []
    if "consent" in request.prompt:
        return [], names
    consent = Consent.objects.lookup(user=user, client=client)
    known = set(consent.scopes) if consent else set()
    return [n for n in names if n in known], [n for n in names if n not in known]


def record_consent(*, user, client: Client, names: list[str]) -> None:
    """Merge ``names`` into the user's consent for ``client``."""
    if not names:
        return
    with transaction.atomic():
        consent, created = Consent.objects.select_for_update().get_or_create(
            user=user, client=client, defaults={"scopes": list(dict.fromkeys(names))}
        )
        if not created:
            consent.scopes = list(dict.fromkeys([*consent.scopes, *names]))
            consent.save(update_fields=["scopes", "updated_at"])
    signals.consent_granted.send(Consent, client=client, user=user, scopes=names, consent=consent)


def issue_code(
    request: AuthorizationRequest,
    user,
    names: list[str],
    *,
    auth_time: datetime | None,
    session_id: str = "",
) -> str:
    """Store a one-time code for ``names`` and return its raw value (RFC 6749 4.1.2).

    ``auth_time`` is when the session that approved signed in (``logins.auth_time()``).
    """
    raw = crypto.new_token()
    AuthorizationCode.objects.create(
        token_hash=crypto.hash_token(raw),
        client=request.client,
        user=user,
        # Empty when the request named none: the token request then need not (RFC 6749 4.1.3).
        redirect_uri=request.redirect_uri if request.redirect_uri_sent else "",
        scope=scopes.join(names),
        code_challenge=request.code_challenge,
        nonce=request.nonce,
        auth_time=auth_time,
        session_id=session_id,
        expires_at=timezone.now() + oauth_settings.AUTHORIZATION_CODE_LIFETIME,
    )
    return raw


def seal(params: Params, user) -> str:
    """Sign the request parameters for the consent form, bound to ``user`` (never trust the browser)."""
    return signing.dumps({"p": params, "u": str(user.pk)}, salt=CONSENT_SALT, compress=True)


def unseal(blob: str, user) -> Params:
    """Return the parameters sealed for ``user``, or raise ``InvalidRequest`` if altered or expired."""
    try:
        data = signing.loads(blob, salt=CONSENT_SALT, max_age=CONSENT_MAX_AGE)
    except (signing.BadSignature, ValueError, UnicodeError) as e:
        raise errors.InvalidRequest("This consent form has expired or was altered.") from e
    if not isinstance(data, dict) or data.get("u") != str(user.pk):
        raise errors.InvalidRequest("This consent form belongs to another session.")
    return data["p"]
