"""RFC 6750 on the resource server: find the bearer token, validate it, word the challenge.

Shared by the DRF classes (``contrib.rest_framework``) and the plain-view decorator. The token is
accepted in the ``Authorization`` header only (RFC 6750 2.1); a token in the query string or the
form body (2.2, 2.3: SHOULD NOT) is refused with ``invalid_request``. The header's scheme is
``Bearer``, or ``DPoP`` with a proof (RFC 9449 7, see ``binding``) while DPoP is enabled
(``DPOP_SIGNING_ALGORITHMS`` not empty); challenges then offer both schemes (RFC 9449 7.1).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection

from django.db import DatabaseError

from oauthcore import errors
from oauthcore.conf import oauth_settings
from oauthcore.jose import dpop
from oauthcore.resource_server import access_tokens, binding, denylist, legacy_tokens

logger = logging.getLogger("oauthcore")

# RFC 6750 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
NO_TOKEN_DETAIL = "Authentication credentials were not provided."
# How a token may be sent (RFC 9728 2 bearer_methods_supported): the header only (RFC 6750 2.1).
METHODS = ("header",)


def refuse_other_methods(request) -> None:
    """Refuse an access token sent in the query string or the form body (RFC 6750 2.2, 2.3)."""
    if "access_token" in request.META.get("QUERY_STRING", "") and "access_token" in request.GET:
        raise errors.InvalidRequest("Send the access token in the Authorization header only.")
    if request.META.get("CONTENT_TYPE", "").startswith(FORM_TYPES) and "access_token" in (
        request.POST
    ):
        raise errors.InvalidRequest("Send the access token in the Authorization header only.")


def credentials_from_header(value: str | None) -> tuple[str, str] | None:
    """Return the scheme and token of ``Authorization: Bearer|DPoP <token>``; None without one.

    The scheme is ``binding.BEARER`` (RFC 6750 2.1) or ``binding.DPOP`` (RFC 9449 7.1).
    """
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        name = binding.BEARER
    elif scheme == "dpop" and dpop.algorithms():
        name = binding.DPOP
    else:
        return None  # another scheme: not ours
    if len(token) > oauth_settings.MAX_TOKEN_LENGTH:
        raise errors.InvalidToken("The access token is too long.")
    if not B64TOKEN.fullmatch(token):
        raise errors.InvalidRequest("The Authorization header is malformed.")
    return name, token


def token_from_header(value: str | None) -> str | None:
    """Return the token of ``Authorization: Bearer <token>``; None without one (RFC 6750 2.1)."""
    found = credentials_from_header(value)
    return found[1] if found is not None and found[0] == binding.BEARER else None


def validate(
    raw: str, *, audience: str | Collection[str] | None = None
) -> access_tokens.AccessToken:
    """Validate a bearer access token: signature and claims (RFC 9068 4), then the deny-list.

    While ``ACCEPT_DOT_ACCESS_TOKENS`` is on, a token that is not a JWT is looked up in
    django-oauth-toolkit's table instead (``legacy_tokens``).

    ``audience``: the accepted one, or several (a resource's identifier and the default).

    When the database cannot tell what changed (keys, revocations), the answer is 503: the
    check fails closed, and a database outage is not a 500.
    """
    try:
        decode = legacy_tokens.decode if legacy_tokens.applies(raw) else access_tokens.decode
        token = decode(raw, audience=audience)
        denied = oauth_settings.CHECK_REVOKED_TOKENS and denylist.is_token_denied(token.claims)
    except DatabaseError as e:
        logger.exception("Database error while checking an access token.")
        raise errors.TemporarilyUnavailable("The service is temporarily unavailable.") from e
    if denied:
        raise errors.InvalidToken("The access token has been revoked.")
    return token


def authenticate(
    request,
    *,
    audience: str | Collection[str] | None = None,
    validator: Callable[[str], access_tokens.AccessToken] | None = None,
) -> access_tokens.AccessToken | None:
    """Return the validated access token of ``request``, or None when it carries none.

    ``validator(raw)``: how the raw token is validated (default: ``validate`` for ``audience``).
    A DPoP-bound token needs the DPoP scheme and proof (RFC 9449 7); an error met under the
    DPoP scheme is marked to be answered in the DPoP challenge.
    """
    refuse_other_methods(request)
    found = credentials_from_header(request.META.get("HTTP_AUTHORIZATION"))
    if found is None:
        return None
    scheme, raw = found
    try:
        token = validator(raw) if validator else validate(raw, audience=audience)
        binding.check(request, scheme, raw, token)
    except errors.OAuthError as error:
        if scheme == binding.DPOP:
            binding.on_dpop_scheme(error)
        raise
    return token


def on_scheme_of(request, error: errors.OAuthError) -> errors.OAuthError:
    """Mark ``error`` to be answered in the challenge of the scheme ``request`` used (RFC 9449 7.1)."""
    scheme = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")[0]
    return binding.on_dpop_scheme(error) if scheme.lower() == "dpop" else error


def require(token: access_tokens.AccessToken, needed: Collection[str]) -> None:
    """Raise ``InsufficientScope`` unless ``token`` holds every scope in ``needed`` (RFC 6750 3.1)."""
    if not token.scopes.issuperset(needed):
        raise errors.InsufficientScope(
            "The access token lacks a scope this resource requires.", scope=" ".join(needed)
        )


def _quoted(value: str) -> str:
    """Quote an auth-param value within the characters RFC 6750 3 allows (no ``"``, no ``\\``)."""
    return '"' + errors.safe_text(value) + '"'


def _error_params(error: errors.OAuthError | None) -> dict[str, str]:
    params = {}
    if error is not None:
        params["error"] = error.error
        if error.description:
            params["error_description"] = error.description
        if getattr(error, "scope", ""):
            params["scope"] = error.scope
    return params


def _challenge(scheme: str, params: dict[str, str], resource_metadata: str | None) -> str:
    quoted = [f"{name}={_quoted(value)}" for name, value in params.items()]
    if resource_metadata:  # a URL: never shortened, and never able to end the quoted string
        quoted.append(
            f'resource_metadata="{errors.NOT_IN_DESCRIPTION.sub("?", resource_metadata)}"'
        )
    return f"{scheme} " + ", ".join(quoted)


def challenge(
    error: errors.OAuthError | None = None, *, resource_metadata: str | None = None
) -> str:
    """Return the ``WWW-Authenticate`` value for ``error``, or for no token at all (RFC 6750 3).

    ``resource_metadata``: the URL of the resource's metadata (RFC 9728 5.1), when it has one.
    While DPoP is enabled, a DPoP challenge with its ``algs`` follows the Bearer one; the error
    goes in the challenge of the scheme the request used (RFC 9449 7.1).
    """
    on_dpop = error is not None and binding.scheme_of(error) == binding.DPOP
    params = {"realm": oauth_settings.realm, **({} if on_dpop else _error_params(error))}
    value = _challenge(binding.BEARER, params, resource_metadata)
    if algs := dpop.algorithms():
        params = {"algs": " ".join(algs), **(_error_params(error) if on_dpop else {})}
        value += ", " + _challenge(binding.DPOP, params, resource_metadata)
    return value
