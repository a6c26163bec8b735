"""Secrets we hand out, and how we store them: random values, SHA-256 hashes, constant-time compares.

Every value made here carries 256 bits from ``secrets``, so a fast hash is the right storage:
a password KDF would only slow the token endpoint (see docs/security.md).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32


def new_token() -> str:
    """Return a new URL-safe random value with 256 bits of entropy."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_client_id() -> str:
    """Return a new client identifier (public, but unguessable)."""
    return secrets.token_urlsafe(18)


def hash_token(raw: str) -> str:
    """Return the hex SHA-256 of a bearer secret, the only form we store."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def matches(raw: str, stored_hash: str) -> bool:
    """Tell, in constant time, whether ``raw`` hashes to ``stored_hash``."""
    if not stored_hash:
        return False
    return hmac.compare_digest(hash_token(raw), stored_hash)
