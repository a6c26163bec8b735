"""Bearer JWT authentication for Django REST framework (RFC 6750, RFC 9068).

A pipeline of small steps: header → raw token → validated token → user. ``None`` means "not
ours" (no Authorization header, or another scheme); an error means "ours but bad".
"""

from __future__ import annotations

from collections.abc import Collection

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from oauthcore import errors
from oauthcore.resource_server import bearer, users


class BearerError(exceptions.APIException):
    """An RFC 6750 error: JSON ``{"error", "error_description"}`` and its ``WWW-Authenticate``."""

    def __init__(self, error: errors.OAuthError) -> None:
        super().__init__(detail=error.as_dict())
        self.status_code = int(error.status)
        self.oauth_error = error

    @property
    def auth_header(self) -> str:
        return bearer.challenge(self.oauth_error)

    @auth_header.setter
    def auth_header(self, value: str) -> None:
        """Ignore DRF's generic challenge: ours names the error (RFC 6750 3)."""


def _user_gone() -> BearerError:
    return BearerError(errors.InvalidToken("The user of the access token no longer exists."))


class JWTAuthentication(BaseAuthentication):
    """Authenticate ``Authorization: Bearer <jwt>`` with a locally validated access token.

    ``request.auth`` is the ``AccessToken``; ``request.user`` the subject's user, loaded lazily,
    or a ``TokenUser`` for client-credentials tokens and when ``load_users`` is False.
    A view may set ``audience`` to accept tokens for another audience than the configured one,
    or a collection of audiences (e.g. its resource identifier, RFC 8707, and the default).
    """

    load_users = True

    def authenticate(self, request):
        try:
            raw = self.get_raw_token(request)
            if raw is None:
                return None
            token = self.get_validated_token(raw, request)
        except errors.OAuthError as error:
            raise BearerError(error) from error
        return self.get_user(token), token

    def get_raw_token(self, request) -> str | None:
        bearer.refuse_other_methods(request)
        return bearer.token_from_header(request.META.get("HTTP_AUTHORIZATION"))

    def get_audience(self, request) -> str | Collection[str] | None:
        view = (getattr(request, "parser_context", None) or {}).get("view")
        return getattr(view, "audience", None)

    def get_validated_token(self, raw: str, request):
        return bearer.validate(raw, audience=self.get_audience(request))

    def get_user(self, token):
        return users.for_token(token, load=self.load_users, on_missing=_user_gone)

    def authenticate_header(self, request) -> str:
        return bearer.challenge()
