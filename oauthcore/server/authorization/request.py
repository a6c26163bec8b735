"""A validated authorization request: the target, then the table of checks (RFC 6749 4.1.1)."""

from __future__ import annotations

from dataclasses import dataclass, field

from oauthcore.models import Client
from oauthcore.server.authorization import checks
from oauthcore.server.authorization.params import Params
from oauthcore.server.authorization.target import Target


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
    resources: list[str] = field(default_factory=list)
    request_uri: str | None = None  # the pushed request it came from (RFC 9126 4)
    dpop_jkt: str = ""  # RFC 9449 10: the DPoP key the code will be bound to


def validate(
    params: Params,
    target: Target,
    *,
    endpoint: str = checks.AUTHORIZE,
    request_uri: str | None = None,
) -> AuthorizationRequest:
    """Check the rest of the request (RFC 6749 4.1.1, RFC 7636 4.3); errors go to the client.

    ``request_uri``: the pushed request ``params`` were read from (``resolution.resolve``).
    """
    context = checks.Context(params, target.client, pushed=request_uri is not None)
    context = checks.run(context, endpoint=endpoint)
    return AuthorizationRequest(
        client=target.client,
        redirect_uri=target.redirect_uri,
        state=context.state,
        redirect_uri_sent=target.redirect_uri_sent,
        scopes=context.scopes,
        code_challenge=context.code_challenge,
        nonce=context.nonce,
        prompt=context.prompt,
        max_age=context.max_age,
        login_hint=context.login_hint,
        resources=context.resources,
        request_uri=request_uri,
        dpop_jkt=context.dpop_jkt,
    )
