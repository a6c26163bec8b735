"""OAuth errors as exceptions: raised anywhere, rendered once by ``oauthcore.views.base``.

Each class carries the RFC error code and HTTP status; none imports django.http.
"""

from __future__ import annotations

import re
from http import HTTPStatus

# RFC 6749 5.2 (and RFC 6750 3): error_description = 1*( %x20-21 / %x23-5B / %x5D-7E )
NOT_IN_DESCRIPTION = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")
MAX_DESCRIPTION_LENGTH = 300


def safe_text(text: str) -> str:
    """Return ``text`` within the character set of ``error_description`` (RFC 6749 5.2).

    Whitespace becomes a space, a double quote a single one, anything else outside the set a ``?``.
    """
    text = re.sub(r"\s+", " ", str(text)).replace('"', "'")
    return NOT_IN_DESCRIPTION.sub("?", text)[:MAX_DESCRIPTION_LENGTH].strip()


class OAuthError(Exception):
    """An error the protocol names (RFC 6749 4.1.2.1, 5.2; RFC 6750 3.1; RFC 7009; OIDC Core 3.1.2.6).

    ``str(error)`` is the message as written, for people (the admin, the command line);
    ``description`` is what goes on the wire, always within RFC 6749 5.2's character set.
    """

    error = "server_error"
    status = HTTPStatus.BAD_REQUEST

    def __init__(self, description: str = "", *, headers: dict[str, str] | None = None) -> None:
        super().__init__(description or self.error)
        self.description = description
        self.headers = headers or {}

    @property
    def description(self) -> str:
        return self._description

    @description.setter
    def description(self, text: str) -> None:
        self._description = safe_text(text) if text else ""

    def as_dict(self) -> dict[str, str]:
        data = {"error": self.error}
        if self.description:
            data["error_description"] = self.description
        return data


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    error = "invalid_client"
    status = HTTPStatus.UNAUTHORIZED


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class UnsupportedResponseType(OAuthError):
    error = "unsupported_response_type"


class UnsupportedTokenType(OAuthError):
    error = "unsupported_token_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class InvalidTarget(OAuthError):
    """RFC 8707 2: the requested resource is invalid, unknown, or not allowed to the client."""

    error = "invalid_target"


class AccessDenied(OAuthError):
    error = "access_denied"
    status = HTTPStatus.FORBIDDEN


class ServerError(OAuthError):
    error = "server_error"
    status = HTTPStatus.INTERNAL_SERVER_ERROR


class TemporarilyUnavailable(OAuthError):
    error = "temporarily_unavailable"
    status = HTTPStatus.SERVICE_UNAVAILABLE


class LoginRequired(OAuthError):
    error = "login_required"


class ConsentRequired(OAuthError):
    error = "consent_required"


class InteractionRequired(OAuthError):
    error = "interaction_required"


class InvalidToken(OAuthError):
    """RFC 6750 3.1: the access token is expired, revoked, malformed or invalid."""

    error = "invalid_token"
    status = HTTPStatus.UNAUTHORIZED


class InsufficientScope(OAuthError):
    """RFC 6750 3.1: the token lacks a scope the resource needs."""

    error = "insufficient_scope"
    status = HTTPStatus.FORBIDDEN

    def __init__(self, description: str = "", *, scope: str = "") -> None:
        super().__init__(description)
        self.scope = scope


class InvalidClientMetadata(OAuthError):
    """RFC 7591 3.2.2: a client's metadata (command line, admin, registration) is not acceptable."""

    error = "invalid_client_metadata"


class InvalidRedirectUri(InvalidClientMetadata):
    """RFC 7591 3.2.2: a redirect URI of the client's metadata is not acceptable."""

    error = "invalid_redirect_uri"


class InvalidRequestObject(OAuthError):
    """RFC 9101 6.2: the request object (the ``request`` parameter) is invalid."""

    error = "invalid_request_object"


class InvalidRequestUri(OAuthError):
    """RFC 9101 6.2, RFC 9126 4: the request_uri is not one of ours, unknown, expired or used."""

    error = "invalid_request_uri"


class RequestUriNotSupported(OAuthError):
    """RFC 9101 6.2 (OIDC Core 3.1.2.6): the ``request_uri`` parameter is not supported here."""

    error = "request_uri_not_supported"


class InvalidDPoPProof(OAuthError):
    """RFC 9449 5, 7.1: the DPoP proof is missing where required, malformed or invalid.

    400 at the token endpoint; the resource server answers it with 401 and a DPoP challenge.
    """

    error = "invalid_dpop_proof"


class UseDPoPNonce(OAuthError):
    """RFC 9449 8, 9: the proof must carry the server's nonce, given in the ``DPoP-Nonce`` header."""

    error = "use_dpop_nonce"


class AuthorizationPending(OAuthError):
    """RFC 8628 3.5: the user has not yet approved or denied the device authorization."""

    error = "authorization_pending"


class SlowDown(OAuthError):
    """RFC 8628 3.5: the device polls faster than its interval; the interval grew by 5 seconds."""

    error = "slow_down"


class ExpiredToken(OAuthError):
    """RFC 8628 3.5: the device code expired; the device must start a new authorization."""

    error = "expired_token"


class DeviceAccessDenied(OAuthError):
    """RFC 8628 3.5: the user denied the device authorization (a token error, answered 400)."""

    error = "access_denied"
