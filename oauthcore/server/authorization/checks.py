"""The checks of an authorization request, an ordered table of small steps (RFC 6749 4.1.1).

Each step takes the shared ``Context``, may raise an ``OAuthError`` and may record what it read.
It names the endpoints that run it: the authorization endpoint, the pushed authorization request
endpoint (RFC 9126 2.1: validated as at the authorization endpoint, errors answered as JSON), and
the device authorization endpoint (RFC 8628 3.1: scope and resource only).
They run in table order, so the first failing check is the error answered. They run after the
client and redirect URI are verified (``target.py``): their errors go to the client.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from oauthcore import errors, profiles, scopes
from oauthcore.conf import oauth_settings
from oauthcore.models import Client
from oauthcore.server import pkce, resources
from oauthcore.server.authorization import params as parameters
from oauthcore.server.authorization.params import Params

AUTHORIZE, PAR, DEVICE = "authorize", "par", "device"
MAX_NONCE_LENGTH = 255
MAX_LOGIN_HINT_LENGTH = 255
MAX_AGE_DIGITS = re.compile(r"[0-9]{1,10}")
JWK_THUMBPRINT = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of a SHA-256 digest (RFC 7638)
PROMPTS = frozenset({"none", "login", "consent"})
REPEATABLE = frozenset({resources.PARAMETER})  # RFC 8707 2: one or more resource parameters


@dataclass
class Context:
    """An authorization request while it is checked: its parameters, client, and what was read."""

    params: Params
    client: Client
    scopes: list[str] = field(default_factory=list)
    state: str | None = None
    code_challenge: str = ""
    nonce: str = ""
    prompt: frozenset[str] = frozenset()
    max_age: int | None = None
    login_hint: str | None = None
    resources: list[str] = field(default_factory=list)
    pushed: bool = False  # its parameters came from the PAR endpoint (RFC 9126 4)
    dpop_jkt: str = ""


def check_confidential(context: Context) -> None:
    """Refuse a public client when the security profile admits confidential ones only."""
    if context.client.is_public and profiles.active().confidential_clients_only:
        raise errors.UnauthorizedClient(
            "The security profile admits confidential clients only (FAPI 2.0 5.3.2.1)."
        )


def check_grant_type(context: Context) -> None:
    """Refuse a client that may not use the authorization code grant (RFC 6749 4.1.2.1)."""
    if not context.client.allows_grant(Client.GrantType.AUTHORIZATION_CODE):
        raise errors.UnauthorizedClient("The client may not use the authorization code grant.")


def check_no_repeats(context: Context) -> None:
    """Refuse any parameter sent more than once (RFC 6749 3.1), but ``resource`` (RFC 8707 2)."""
    for name in context.params:
        if name not in REPEATABLE:
            parameters.one(context.params, name)


def check_response_type(context: Context) -> None:
    """Accept ``response_type=code`` only, answered in the query (RFC 6749 3.1.1)."""
    response_type = parameters.one(context.params, "response_type")
    if response_type is None:
        raise errors.InvalidRequest("response_type is required.")
    if response_type != "code":
        raise errors.UnsupportedResponseType("Only response_type=code is supported.")
    if parameters.one(context.params, "response_mode") not in (None, "query"):
        raise errors.InvalidRequest("Only response_mode=query is supported.")


def check_scope(context: Context) -> None:
    """Keep the requested scopes the client may have, or its defaults (RFC 6749 3.3)."""
    requested = scopes.parse(parameters.one(context.params, "scope"))
    context.scopes = scopes.for_client(requested, context.client)


def check_state(context: Context) -> None:
    """Read ``state``: visible ASCII, bounded (RFC 6749 4.1.1, Appendix A.5)."""
    context.state = parameters.state(context.params)


def check_code_challenge(context: Context) -> None:
    """Read the PKCE challenge: S256 only, required unless relaxed (RFC 7636 4.4, RFC 9700 2.1.1)."""
    challenge = parameters.one(context.params, "code_challenge")
    method = parameters.one(context.params, "code_challenge_method")
    if challenge is None:
        if method is not None:
            raise errors.InvalidRequest("code_challenge_method was sent without code_challenge.")
        required = oauth_settings.PKCE_REQUIRED or profiles.active().pkce_required
        if context.client.is_public or required:
            raise errors.InvalidRequest("code_challenge (PKCE, S256) is required.")
        return
    pkce.check_challenge(challenge, method or "plain")
    context.code_challenge = challenge


def check_nonce(context: Context) -> None:
    """Read ``nonce``, bound into the ID token (OIDC Core 3.1.2.1)."""
    context.nonce = parameters.bounded(context.params, "nonce", MAX_NONCE_LENGTH) or ""


def check_prompt(context: Context) -> None:
    """Read ``prompt`` (OIDC Core 3.1.2.1): none, login, consent; none stands alone."""
    values = frozenset((parameters.one(context.params, "prompt") or "").split())
    if not values <= PROMPTS:
        raise errors.InvalidRequest("Unsupported prompt value.")
    if "none" in values and len(values) > 1:
        raise errors.InvalidRequest("prompt=none cannot be combined with other values.")
    context.prompt = values


def check_max_age(context: Context) -> None:
    """Read ``max_age``: the most seconds since this session signed in (OIDC Core 3.1.2.1)."""
    value = parameters.one(context.params, "max_age")
    if value is None:
        return
    if not MAX_AGE_DIGITS.fullmatch(value):
        raise errors.InvalidRequest("max_age must be a number of seconds.")
    context.max_age = int(value)


def check_login_hint(context: Context) -> None:
    """Read ``login_hint``, passed on to the login page (OIDC Core 3.1.2.1)."""
    context.login_hint = parameters.bounded(context.params, "login_hint", MAX_LOGIN_HINT_LENGTH)


def check_resource(context: Context) -> None:
    """Read the ``resource`` parameters: registered, allowed to the client (RFC 8707 2, 2.1)."""
    values = context.params.get(resources.PARAMETER) or []
    context.resources = resources.requested(context.client, values)


def check_pushed(context: Context) -> None:
    """Refuse a request not pushed when the server or the client requires PAR (RFC 9126 4, 5, 6)."""
    required = oauth_settings.REQUIRE_PUSHED_AUTHORIZATION_REQUESTS
    required = required or profiles.active().pushed_authorization_requests
    if not context.pushed and (required or context.client.require_pushed_authorization_requests):
        raise errors.InvalidRequest("Push this authorization request first (PAR, RFC 9126).")


def check_no_request_uri(context: Context) -> None:
    """Refuse ``request_uri`` in a pushed request (RFC 9126 2.1)."""
    if "request_uri" in context.params:
        raise errors.InvalidRequest("request_uri cannot be pushed (RFC 9126 2.1).")


def check_redirect_uri_pushed(context: Context) -> None:
    """Require ``redirect_uri`` in a pushed request when the profile says so (FAPI 2.0 5.3.2.2)."""
    if profiles.active().redirect_uri_pushed and "redirect_uri" not in context.params:
        raise errors.InvalidRequest("redirect_uri is required in a pushed request.")


def check_dpop_jkt(context: Context) -> None:
    """Read ``dpop_jkt``, the thumbprint of the key the code is bound to (RFC 9449 10)."""
    value = parameters.one(context.params, "dpop_jkt")
    if value is None:
        return
    if not JWK_THUMBPRINT.fullmatch(value):
        raise errors.InvalidRequest("dpop_jkt must be a SHA-256 JWK thumbprint (RFC 7638).")
    context.dpop_jkt = value


@dataclass(frozen=True)
class Step:
    """One check and the endpoints that run it."""

    check: Callable[[Context], None]
    endpoints: frozenset[str]


FRONT = frozenset({AUTHORIZE, PAR})  # requests that ask for a code
EVERY = frozenset({AUTHORIZE, PAR, DEVICE})
STEPS: list[Step] = [
    Step(check_no_request_uri, frozenset({PAR})),
    Step(check_confidential, FRONT),
    Step(check_redirect_uri_pushed, frozenset({PAR})),
    Step(check_grant_type, FRONT),
    Step(check_pushed, frozenset({AUTHORIZE})),
    Step(check_no_repeats, EVERY),
    Step(check_response_type, FRONT),
    Step(check_scope, EVERY),
    Step(check_resource, EVERY),
    Step(check_state, FRONT),
    Step(check_code_challenge, FRONT),
    Step(check_nonce, FRONT),
    Step(check_prompt, FRONT),
    Step(check_max_age, FRONT),
    Step(check_login_hint, FRONT),
    Step(check_dpop_jkt, FRONT),
]


def run(context: Context, *, endpoint: str) -> Context:
    """Run, in order, the steps ``endpoint`` runs; the first failing one raises."""
    for step in STEPS:
        if endpoint in step.endpoints:
            step.check(context)
    return context
