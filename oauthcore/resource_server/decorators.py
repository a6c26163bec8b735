"""Bearer-token protection for plain Django views: ``@require_scopes("read:email")`` (RFC 6750)."""

from __future__ import annotations

from collections.abc import Collection
from functools import partial, wraps

from asgiref.sync import iscoroutinefunction
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from oauthcore import errors
from oauthcore.resource_server import asynchronous, bearer, protected_resource, users
from oauthcore.responses import json_error, no_store

# The errors answered with a challenge (RFC 6750 3.1, RFC 9449 7.1).
REFUSALS = (
    errors.InvalidRequest,
    errors.InvalidToken,
    errors.InsufficientScope,
    errors.InvalidDPoPProof,
    errors.UseDPoPNonce,
)


def _user_gone() -> errors.InvalidToken:
    return errors.InvalidToken("The user of the access token no longer exists.")


def bearer_error(
    error: errors.OAuthError | None, *, resource_metadata: str | None = None
) -> JsonResponse:
    """Render an RFC 6750 error, or the bare challenge when no token was sent (RFC 6750 3).

    ``resource_metadata``: the URL of the resource's metadata, named in the challenge (RFC 9728 5.1).
    """
    if error is None:
        response = no_store(JsonResponse({"detail": bearer.NO_TOKEN_DETAIL}, status=401))
    else:
        response = json_error(error)
    response["WWW-Authenticate"] = bearer.challenge(error, resource_metadata=resource_metadata)
    return response


def _refusal(error: errors.OAuthError | None, resource: str | None) -> JsonResponse:
    return bearer_error(error, resource_metadata=protected_resource.challenge_url(resource))


def authenticate(request, *, audience: str | Collection[str] | None = None):
    """Return the validated access token of ``request``, or None when it carries none.

    The token comes as ``Bearer``, or as ``DPoP`` with its proof (RFC 9449 7).
    """
    return bearer.authenticate(request, audience=audience)


def admit(request, token, needed: Collection[str], *, load_users: bool = True) -> None:
    """Let ``token`` in if it holds ``needed``: set ``request.auth``, ``user`` and ``auser``.

    Raises ``InsufficientScope`` (RFC 6750 3.1). ``request.user`` is loaded lazily, or a
    ``TokenUser``; ``await request.auser()`` loads it off the event loop in an async view.
    """
    bearer.require(token, needed)
    request.auth = request.oauth_token = token
    request.user = users.for_token(token, load=load_users, on_missing=_user_gone)
    request.auser = partial(asynchronous.user_of, request)


def _sync_view(view, needed, audience, resource, load_users):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        identifier = protected_resource.resolve(resource)
        accepted = protected_resource.audiences(identifier, audience)
        try:
            token = authenticate(request, audience=accepted)
            if token is None:
                return _refusal(None, identifier)
            admit(request, token, needed, load_users=load_users)
            return view(request, *args, **kwargs)
        except REFUSALS as error:
            return _refusal(bearer.on_scheme_of(request, error), identifier)

    return wrapped


def _async_view(view, needed, audience, resource, load_users):
    @wraps(view)
    async def wrapped(request, *args, **kwargs):
        identifier = protected_resource.resolve(resource)
        accepted = protected_resource.audiences(identifier, audience)
        try:
            token = await asynchronous.authenticate(request, audience=accepted)
            if token is None:
                return _refusal(None, identifier)
            admit(request, token, needed, load_users=load_users)
            return await view(request, *args, **kwargs)
        except REFUSALS as error:
            return _refusal(bearer.on_scheme_of(request, error), identifier)

    return wrapped


def require_scopes(
    *names: str,
    audience: str | Collection[str] | None = None,
    resource: protected_resource.ResourceSpec = None,
    load_users: bool = True,
):
    """Let a view run only with a bearer access token holding all of ``names``.

    ``audience``: the one accepted (default: ``AUDIENCE``), or several, e.g. a resource
    identifier (RFC 8707) and the default; a token must name one of them in its ``aud``.
    ``resource``: the resource the view serves (default: ``PROTECTED_RESOURCE``), or a function
    returning it: tokens for it are accepted (with ``audience``, if given, instead of the default)
    and challenges name its metadata (RFC 9728 5.1).

    Sets ``request.auth`` and ``request.oauth_token`` (the ``AccessToken``) and ``request.user``
    (loaded lazily; a ``TokenUser`` for client-credentials tokens or when ``load_users`` is False).
    The view is ``csrf_exempt`` and ``login_not_required``: the token, not a session, admits a caller.

    An ``async def`` view gets an async check: the token is validated in the event loop, with
    no thread hop and no query (``asynchronous``); ``await request.auser()`` gives its user.
    """
    if not names:
        raise ImproperlyConfigured("require_scopes() needs at least one scope.")
    needed = tuple(dict.fromkeys(names))

    def decorator(view):
        build = _async_view if iscoroutinefunction(view) else _sync_view
        wrapped = build(view, needed, audience, resource, load_users)
        wrapped.required_scopes = needed
        wrapped.protected_resource = resource
        return login_not_required(csrf_exempt(wrapped))

    return decorator


def _declared_by(callback) -> tuple[str | None, tuple[str, ...]] | None:
    """Return the resource and scopes of a ``require_scopes`` view (RFC 9728 scopes_supported)."""
    if not hasattr(callback, "protected_resource"):
        return None
    return protected_resource.resolve(callback.protected_resource), callback.required_scopes


protected_resource.register_scope_finder(_declared_by)
