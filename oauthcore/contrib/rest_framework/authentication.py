"""Bearer and DPoP JWT authentication for Django REST framework (RFC 6750, RFC 9068, RFC 9449).

A pipeline of small steps: header → raw token → validated token → user. ``None`` means "not
ours" (no Authorization header, or another scheme); an error means "ours but bad".
"""

from __future__ import annotations

from collections.abc import Collection

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from oauthcore import errors
from oauthcore.contrib.rest_framework import resources
from oauthcore.resource_server import bearer, protected_resource, users


class BearerError(exceptions.APIException):
    """An RFC 6750 error: JSON ``{"error", "error_description"}`` and its ``WWW-Authenticate``."""

    def __init__(self, error: errors.OAuthError, *, resource_metadata: str | None = None) -> None:
        super().__init__(detail=error.as_dict())
        self.status_code = int(error.status)
        self.oauth_error = error
        self.resource_metadata = resource_metadata

    @property
    def auth_header(self) -> str:
        return bearer.challenge(self.oauth_error, resource_metadata=self.resource_metadata)

    @auth_header.setter
    def auth_header(self, value: str) -> None:
        """Ignore DRF's generic challenge: ours names the error (RFC 6750 3)."""


def _user_gone(view) -> BearerError:
    error = errors.InvalidToken("The user of the access token no longer exists.")
    return BearerError(error, resource_metadata=resources.metadata_url(view))


class JWTAuthentication(BaseAuthentication):
    """Authenticate ``Authorization: Bearer <jwt>`` with a locally validated access token,
    or ``Authorization: DPoP <jwt>`` with its ``DPoP`` proof (RFC 9449 7); a DPoP-bound token
    sent as Bearer is refused (RFC 9449 7.2).

    ``request.auth`` is the ``AccessToken``; ``request.user`` the subject's user, loaded lazily,
    or a ``TokenUser`` for client-credentials tokens and when ``load_users`` is False.
    A view may set ``audience`` to accept tokens for another audience than the configured one,
    or a collection of audiences. A view may name the ``resource`` it serves (RFC 8707; default
    ``PROTECTED_RESOURCE``): tokens for it are accepted (with ``audience``, if the view sets
    one, instead of the default), and every challenge names its metadata (RFC 9728 5.1).
    """

    load_users = True
    view = None  # the view being served: an instance authenticates one request

    def authenticate(self, request):
        self.view = resources.view_of(request)
        try:
            token = bearer.authenticate(
                request, validator=lambda raw: self.get_validated_token(raw, request)
            )
        except errors.OAuthError as error:
            raise BearerError(error, resource_metadata=resources.metadata_url(self.view)) from error
        if token is None:
            return None
        return self.get_user(token), token

    def get_raw_token(self, request) -> str | None:
        """Return the token of the Authorization header, either scheme; None without one."""
        bearer.refuse_other_methods(request)
        found = bearer.credentials_from_header(request.META.get("HTTP_AUTHORIZATION"))
        return None if found is None else found[1]

    def get_audience(self, request) -> str | Collection[str] | None:
        """Return the audiences the view accepts: its resource and its ``audience``."""
        view = resources.view_of(request)
        return protected_resource.audiences(
            resources.resource_of(view), getattr(view, "audience", None)
        )

    def get_validated_token(self, raw: str, request):
        return bearer.validate(raw, audience=self.get_audience(request))

    def get_user(self, token):
        view = self.view
        return users.for_token(token, load=self.load_users, on_missing=lambda: _user_gone(view))

    def authenticate_header(self, request) -> str:
        metadata = resources.metadata_url(resources.view_of(request))
        return bearer.challenge(resource_metadata=metadata)
