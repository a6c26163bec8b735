"""PKCE (RFC 7636): S256 only; ``plain`` is refused (RFC 9700 2.1.1)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from oauthcore import errors

# RFC 7636 4.1 and 4.2: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")
METHODS = ("S256",)


def s256(verifier: str) -> str:
    """Return the S256 code challenge of a verifier (RFC 7636 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def check_challenge(challenge: str, method: str) -> None:
    """Validate a code_challenge from the authorization request (RFC 7636 4.3)."""
    if method not in METHODS:
        raise errors.InvalidRequest("code_challenge_method must be S256.")
    if not CHALLENGE.fullmatch(challenge):
        raise errors.InvalidRequest("code_challenge must be a base64url SHA-256 digest.")


def verify(verifier: str | None, challenge: str) -> None:
    """Check a code_verifier against the stored challenge (RFC 7636 4.6), else ``InvalidGrant``."""
    if not challenge:
        if verifier:
            raise errors.InvalidGrant("A code_verifier was sent for a code issued without PKCE.")
        return
    if not verifier:
        raise errors.InvalidGrant("code_verifier is required.")
    if not VERIFIER.fullmatch(verifier):
        raise errors.InvalidGrant("code_verifier is malformed.")
    if not hmac.compare_digest(s256(verifier), challenge):
        raise errors.InvalidGrant("code_verifier does not match the code_challenge.")
