"""The resource server in the event loop: validate a bearer token with no thread hop, no query.

A JWT access token is checked by local crypto and by what this process has loaded (its keys,
its copy of the deny-list, see ``denylist``): nothing to wait for. So ``authenticate()`` runs
``bearer.authenticate`` right in the event loop under ``generation.loaded_only()``. Only when
something is due to be read again (the generation once a ``SYNC_INTERVAL``, the keys after
``KEY_CACHE_TTL`` or for an unknown kid, the remote JWKS) does that request run off the loop
(``sync_to_async``), and the requests after it are back in the loop.

A ``DPoP`` request always runs off the loop: its proof's ``jti`` is recorded in the shared
cache (RFC 9449 11.1), a network round trip with Redis.
"""

from __future__ import annotations

from collections.abc import Collection

from asgiref.sync import sync_to_async

from oauthcore import generation
from oauthcore.resource_server import access_tokens, bearer, binding, users


def _in_loop(request) -> bool:
    """Tell whether ``request`` can be checked without I/O: not the DPoP scheme."""
    scheme = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")[0]
    return scheme.lower() != binding.DPOP.lower()


async def authenticate(
    request, *, audience: str | Collection[str] | None = None
) -> access_tokens.AccessToken | None:
    """Return the validated access token of ``request``, or None (see ``bearer.authenticate``)."""
    if _in_loop(request):
        try:
            with generation.loaded_only():
                return bearer.authenticate(request, audience=audience)
        except generation.NotLoaded:
            pass  # something is due to be read again: this once, off the loop
    return await sync_to_async(bearer.authenticate)(request, audience=audience)


def _loaded(user):
    user.pk  # noqa: B018 (a lazy user loads on first touch)
    return user


async def user_of(request):
    """Return ``request.user``, loading the subject's user off the loop (``request.auser()``)."""
    user = request.user
    if type(user) is users.TokenUser:  # isinstance() would load a lazy user
        return user
    return await sync_to_async(_loaded)(user)
