"""Secrets we hand out, and how we store them: random values, named hashes, constant-time compares.

Every value made here carries 256 bits from ``secrets``, so a fast hash is the right storage:
a password KDF would only slow the token endpoint (see docs/security.md).

A stored hash names its algorithm, ``sha256$<hex>``, as Django's password hashers write
``algorithm$...``: a new algorithm can be registered and made preferred, and values stored under
an older one still verify (and are upgraded on use where the raw value is at hand). A value
without ``$`` was stored before hashes named their algorithm: it is SHA-256 hex.

Values made by another system verify too, never stored anew: ``django$<Django password hash>``
is a client secret hashed by Django's password hashers (django-oauth-toolkit's default, PBKDF2,
carried over by ``importdot``), checked with them and upgraded on its first successful use.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.contrib.auth import hashers as django_hashers

from oauthcore.conf import oauth_settings

TOKEN_BYTES = 32
SEPARATOR = "$"
MAX_STORED_LENGTH = 128  # the max_length of the hash columns (models.py)
ENCRYPTED_PREFIX = "fernet$"  # the algorithm of an encrypted secret, as hashes name theirs
ENCRYPTION_INFO = b"oauthcore: client secret encryption"


@dataclass(frozen=True)
class Hasher:
    """One way to store a secret: ``digest`` maps its bytes to a hex string; ``algorithm`` names it."""

    algorithm: str
    digest: Callable[[bytes], str]

    def encode(self, raw: str) -> str:
        """Return the stored form of ``raw``: ``<algorithm>$<digest>``."""
        return f"{self.algorithm}{SEPARATOR}{self.digest(_bytes(raw))}"

    def verify(self, raw: str, digest: str) -> bool:
        """Tell, in constant time, whether ``raw`` hashes to ``digest``."""
        return hmac.compare_digest(self.digest(_bytes(raw)), digest)


@dataclass(frozen=True)
class ForeignHasher:
    """Values another system stored (salted, slow): ``check(raw, digest)`` verifies one; nothing
    is ever stored with it, and a lookup by hash cannot find its values (``stored_forms``)."""

    algorithm: str
    check: Callable[[str, str], bool]

    def verify(self, raw: str, digest: str) -> bool:
        return self.check(raw, digest)


def _bytes(raw: str) -> bytes:
    return raw.encode("utf-8", "surrogatepass")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _django_password_hash(raw: str, encoded: str) -> bool:
    """Check ``raw`` against a hash made by Django's password hashers (constant time)."""
    return django_hashers.check_password(raw, encoded)


SHA256 = Hasher("sha256", _sha256)
# Values stored before hashes named their algorithm (bare hex) were made by this one.
LEGACY = SHA256
# ``django$<algorithm>$...``: a secret hashed by one of Django's PASSWORD_HASHERS elsewhere.
DJANGO = ForeignHasher("django", _django_password_hash)
# Every algorithm a stored value may name. The first ``Hasher`` stores new values; the others
# only verify.
HASHERS: list[Hasher | ForeignHasher] = [SHA256, DJANGO]


def register_hasher(hasher: Hasher | ForeignHasher, *, preferred: bool = False) -> None:
    """Add ``hasher`` to the registry (replacing one of the same name); ``preferred`` stores with it.

    Raise ``ValueError`` if what it stores would not fit the hash columns, or if a
    ``ForeignHasher`` (which stores nothing) is to be preferred.
    """
    storing = isinstance(hasher, Hasher)
    if SEPARATOR in hasher.algorithm or (preferred and not storing):
        raise ValueError(f"Hasher {hasher.algorithm!r} cannot store values.")
    if storing and len(hasher.encode("")) > MAX_STORED_LENGTH:
        raise ValueError(f"Hasher {hasher.algorithm!r} cannot be stored in the hash columns.")
    unregister_hasher(hasher.algorithm)
    HASHERS.insert(0 if preferred else len(HASHERS), hasher)


def unregister_hasher(algorithm: str) -> None:
    """Remove the hasher named ``algorithm``: values stored under it no longer verify."""
    HASHERS[:] = [hasher for hasher in HASHERS if hasher.algorithm != algorithm]


def get_hasher(algorithm: str) -> Hasher | ForeignHasher | None:
    """Return the registered hasher named ``algorithm``, or None."""
    return next((hasher for hasher in HASHERS if hasher.algorithm == algorithm), None)


def preferred_hasher() -> Hasher:
    """Return the hasher new values are stored with."""
    return next(hasher for hasher in HASHERS if isinstance(hasher, Hasher))


def new_token() -> str:
    """Return a new URL-safe random value with 256 bits of entropy."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_client_id() -> str:
    """Return a new client identifier (public, but unguessable)."""
    return secrets.token_urlsafe(18)


def hash_token(raw: str) -> str:
    """Return the stored form of a bearer secret (``sha256$<hex>``), the only form we store."""
    return preferred_hasher().encode(raw)


def stored_forms(raw: str) -> list[str]:
    """Return every value ``raw`` may be stored as: one per registered hasher, and the legacy hex.

    A lookup by hash filters on all of them (``token_hash__in``): still one query.
    """
    forms = [hasher.encode(raw) for hasher in HASHERS if isinstance(hasher, Hasher)]
    return [*forms, LEGACY.digest(_bytes(raw))]


def foreign_hash(algorithm: str, digest: str) -> str:
    """Return ``digest``, made elsewhere under the registered ``algorithm``, in its stored form.

    Raise ``ValueError`` if the algorithm is not registered or the value would not fit.
    """
    stored = f"{algorithm}{SEPARATOR}{digest}"
    if get_hasher(algorithm) is None or len(stored) > MAX_STORED_LENGTH:
        raise ValueError(f"A {algorithm} hash of {len(digest)} characters cannot be stored.")
    return stored


def _parse(stored: str) -> tuple[Hasher | ForeignHasher | None, str]:
    algorithm, separator, digest = stored.partition(SEPARATOR)
    if not separator:
        return LEGACY, stored
    return get_hasher(algorithm), digest


def matches(raw: str, stored_hash: str) -> bool:
    """Tell, in constant time, whether ``raw`` hashes to ``stored_hash`` under its algorithm."""
    if not stored_hash:
        return False
    hasher, digest = _parse(stored_hash)
    if hasher is None:  # an algorithm no longer (or not yet) registered
        return False
    return hasher.verify(raw, digest)


def needs_upgrade(stored_hash: str) -> bool:
    """Tell whether ``stored_hash`` was made by another hasher than the preferred one."""
    prefix = preferred_hasher().algorithm + SEPARATOR
    return bool(stored_hash) and not stored_hash.startswith(prefix)


# Secrets that must be read back (client_secret_jwt, RFC 7523 2.2: the server computes the HMAC)


def _encryption_key(material: str) -> bytes:
    """Return the Fernet key derived from one configured key (HKDF-SHA256, RFC 5869)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=ENCRYPTION_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(material.encode("utf-8")))


def _encrypter() -> MultiFernet:
    """Return the keys of ``SECRET_ENCRYPTION_KEYS`` (else Django's ``SECRET_KEY`` and its
    fallbacks): the first encrypts, every one decrypts."""
    materials = list(oauth_settings.SECRET_ENCRYPTION_KEYS) or [
        settings.SECRET_KEY,
        *getattr(settings, "SECRET_KEY_FALLBACKS", []),
    ]
    return MultiFernet([Fernet(_encryption_key(str(material))) for material in materials])


def encrypt_secret(raw: str) -> str:
    """Return ``raw`` encrypted (Fernet: AES-128-CBC and HMAC-SHA256), as ``fernet$<token>``."""
    return ENCRYPTED_PREFIX + _encrypter().encrypt(_bytes(raw)).decode("ascii")


def decrypt_secret(stored: str) -> str | None:
    """Return the secret ``encrypt_secret`` stored, or None if no configured key opens it."""
    if not stored.startswith(ENCRYPTED_PREFIX):
        return None
    try:
        token = stored.removeprefix(ENCRYPTED_PREFIX).encode("ascii")
        return _encrypter().decrypt(token).decode("utf-8", "surrogatepass")
    except (InvalidToken, UnicodeError):
        return None
