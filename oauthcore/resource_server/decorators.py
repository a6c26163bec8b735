"""Bearer-token protection for plain Django views: ``@require_scopes("read:email")`` (RFC 6750)."""

from __future__ import annotations

from collections.abc import Collection
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from oauthcore import errors
from oauthcore.resource_server import bearer, users
from oauthcore.responses import json_error, no_store


def _user_gone() -> errors.InvalidToken:
    return errors.InvalidToken("The user of the access token no longer exists.")


def bearer_error(error: errors.OAuthError | None) -> JsonResponse:
    """Render an RFC 6750 error, or the bare challenge when no token was sent (RFC 6750 3)."""
    if error is None:
        response = no_store(JsonResponse({"detail": bearer.NO_TOKEN_DETAIL}, status=401))
    else:
        response = json_error(error)
    response["WWW-Authenticate"] = bearer.challenge(error)
    return response


def authenticate(request, *, audience: str | Collection[str] | None = None):
    """Return the validated access token of ``request``, or None when it carries none."""
    bearer.refuse_other_methods(request)
    raw = bearer.token_from_header(request.META.get("HTTP_AUTHORIZATION"))
    return None if raw is None else bearer.validate(raw, audience=audience)


def require_scopes(
    *names: str, audience: str | Collection[str] | None = None, load_users: bool = True
):
    """Let a view run only with a bearer access token holding all of ``names``.

    ``audience``: the one accepted (default: ``AUDIENCE``), or several, e.g. a resource
    identifier (RFC 8707) and the default; a token must name one of them in its ``aud``.

    Sets ``request.auth`` and ``request.oauth_token`` (the ``AccessToken``) and ``request.user``
    (loaded lazily; a ``TokenUser`` for client-credentials tokens or when ``load_users`` is False).
    The view is ``csrf_exempt`` and ``login_not_required``: the token, not a session, admits a caller.
    """
    if not names:
        raise ImproperlyConfigured("require_scopes() needs at least one scope.")
    needed = tuple(dict.fromkeys(names))

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            try:
                token = authenticate(request, audience=audience)
                if token is None:
                    return bearer_error(None)
                bearer.require(token, needed)
                request.auth = request.oauth_token = token
                request.user = users.for_token(token, load=load_users, on_missing=_user_gone)
                return view(request, *args, **kwargs)
            except (errors.InvalidRequest, errors.InvalidToken, errors.InsufficientScope) as error:
                return bearer_error(error)

        wrapped.required_scopes = needed
        return login_not_required(csrf_exempt(wrapped))

    return decorator
