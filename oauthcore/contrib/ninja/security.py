"""Bearer and DPoP JWT authentication for Django Ninja (RFC 6750, RFC 9068, RFC 9449).

    api = NinjaAPI()
    security.install(api)  # refusals answered with their RFC 6750 challenge

    @api.get("/profile", auth=security.OAuth2Bearer(scopes=["read:profile"]))
    def profile(request): ...

    @api.get("/profile/async", auth=security.AsyncOAuth2Bearer(scopes=["read:profile"]))
    async def profile_async(request): ...

The token is validated locally, as by the DRF classes and ``@require_scopes``; the async class
validates it in the event loop (``resource_server.asynchronous``). ``request.auth`` is the
``AccessToken``, ``request.user`` its user (lazy) and ``await request.auser()`` loads it off the
loop. The OpenAPI security scheme is HTTP bearer with ``bearerFormat: JWT``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from django.core.exceptions import ImproperlyConfigured
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from oauthcore import errors
from oauthcore.resource_server import asynchronous, bearer, decorators, protected_resource


class BearerError(AuthenticationError):
    """A refusal: its OAuth error (None: no token) and the resource's metadata URL (RFC 9728).

    Without ``install()``, Ninja still answers it with its status and ``{"detail": ...}``.
    """

    def __init__(self, error: errors.OAuthError | None, *, resource_metadata: str | None) -> None:
        if error is None:
            super().__init__(status_code=401, message=bearer.NO_TOKEN_DETAIL)
        else:
            super().__init__(status_code=int(error.status), message=error.description)
        self.error = error
        self.resource_metadata = resource_metadata


def render(request, exc: BearerError | errors.OAuthError):
    """Answer a refusal as RFC 6750 3 says: JSON error and ``WWW-Authenticate`` challenge.

    An ``OAuthError`` raised in an operation is one too: the token's user is gone when
    ``request.user`` (or ``await request.auser()``) is first touched.
    """
    if isinstance(exc, BearerError):
        return decorators.bearer_error(exc.error, resource_metadata=exc.resource_metadata)
    return decorators.bearer_error(bearer.on_scheme_of(request, exc))


def install(api):
    """Make ``api`` answer refusals with their challenge; return ``api``."""
    api.add_exception_handler(BearerError, render)
    api.add_exception_handler(errors.OAuthError, render)
    return api


class OAuth2Bearer(HttpBearer):
    """Admit a request whose access token (Bearer, or DPoP with its proof) holds ``scopes``.

    ``audience`` and ``resource`` as for ``require_scopes``; ``load_users=False`` makes
    ``request.user`` a ``TokenUser``. Every refusal raises ``BearerError``, a request with no
    token too (RFC 6750 3): put this class last in a list of authentications.
    """

    openapi_bearerFormat = "JWT"

    def __init__(
        self,
        *,
        scopes: Iterable[str],
        audience: str | Collection[str] | None = None,
        resource: protected_resource.ResourceSpec = None,
        load_users: bool = True,
    ) -> None:
        self.scopes = tuple(dict.fromkeys([scopes] if isinstance(scopes, str) else scopes))
        if not self.scopes:
            raise ImproperlyConfigured(f"{type(self).__name__}() needs at least one scope.")
        self.audience, self.resource, self.load_users = audience, resource, load_users
        super().__init__()

    def __call__(self, request):
        return self.authenticate(request, request.headers.get(self.header))

    def target(self) -> tuple[str | None, str | Collection[str] | None]:
        """Return the resource served (RFC 8707) and the audiences accepted."""
        identifier = protected_resource.resolve(self.resource)
        return identifier, protected_resource.audiences(identifier, self.audience)

    def admit(self, request, token, identifier: str | None):
        """Return ``token`` once its scopes are checked and the request knows its user."""
        if token is None:
            raise BearerError(None, resource_metadata=protected_resource.challenge_url(identifier))
        decorators.admit(request, token, self.scopes, load_users=self.load_users)
        return token

    def refusal(self, request, error: errors.OAuthError, identifier: str | None) -> BearerError:
        metadata = protected_resource.challenge_url(identifier)
        return BearerError(bearer.on_scheme_of(request, error), resource_metadata=metadata)

    def authenticate(self, request, token: str | None):
        """Return the validated access token of ``request``; ``token``: its Authorization header."""
        identifier, accepted = self.target()
        try:
            return self.admit(request, bearer.authenticate(request, audience=accepted), identifier)
        except errors.OAuthError as error:
            raise self.refusal(request, error, identifier) from error


class AsyncOAuth2Bearer(OAuth2Bearer):
    """``OAuth2Bearer`` for ``async def`` operations: no thread hop, no query per request."""

    async def authenticate(self, request, token: str | None):
        identifier, accepted = self.target()
        try:
            found = await asynchronous.authenticate(request, audience=accepted)
            return self.admit(request, found, identifier)
        except errors.OAuthError as error:
            raise self.refusal(request, error, identifier) from error
