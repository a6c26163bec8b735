"""factory-boy factories for the models; exposed as fixtures in conftest.py."""

import uuid
from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from oauthcore import crypto
from oauthcore.conf import oauth_settings
from oauthcore.jose import keys
from oauthcore.models import (
    AuditEvent,
    AuthorizationCode,
    Client,
    Consent,
    DeletedClient,
    RefreshToken,
    RevokedAccessToken,
    SigningKey,
)
from oauthcore.server import pkce

DEMO_SECRET = "s3cret-for-tests-only-0123456789abcdef"
VERIFIER = "v" * 43 + "-._~0123456789"  # a valid PKCE code_verifier (RFC 7636 4.1)
REDIRECT_URI = "https://app.example.com/callback"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw")


class ClientFactory(factory.django.DjangoModelFactory):
    """A confidential client whose secret is ``DEMO_SECRET``."""

    class Meta:
        model = Client

    client_id = factory.Sequence(lambda n: f"client-{n}")
    name = factory.Sequence(lambda n: f"App {n}")
    client_type = Client.ClientType.CONFIDENTIAL
    secret_hash = crypto.hash_token(DEMO_SECRET)
    redirect_uris = factory.LazyFunction(lambda: ["https://app.example.com/callback"])
    grant_types = factory.LazyFunction(
        lambda: ["authorization_code", "refresh_token", "client_credentials"]
    )
    allowed_scopes = factory.LazyFunction(
        lambda: [
            *("read:profile", "write:profile", "read:email", "read:contacts", "publish"),
            *("openid", "profile", "email"),
        ]
    )

    class Params:
        public = factory.Trait(
            client_type=Client.ClientType.PUBLIC,
            secret_hash="",
            grant_types=["authorization_code", "refresh_token"],
        )


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    user = factory.SubFactory(UserFactory)
    client = factory.SubFactory(ClientFactory)
    scopes = factory.LazyFunction(lambda: ["read:profile"])


def redis_answers(url: str) -> bool:
    """Tell whether a Redis answers at ``url`` (tests that need one skip when none does)."""
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except Exception:
        return False


# A Redis cache nothing answers: a cache outage.
UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
    }
}


class _WithRawSecret:
    """A grant stored as the server stores it: ``token_hash`` of a raw value only the caller sees.

    ``create_with_raw(**fields)`` returns ``(row, raw)``; ``raw=`` chooses the value.
    """

    @classmethod
    def create_with_raw(cls, **fields):
        raw = fields.pop("raw", None) or crypto.new_token()
        return cls.create(raw=raw, **fields), raw


class AuthorizationCodeFactory(_WithRawSecret, factory.django.DjangoModelFactory):
    """An unused code, bound to ``REDIRECT_URI`` and the S256 challenge of ``verifier``."""

    class Meta:
        model = AuthorizationCode
        exclude = ("now",)

    class Params:
        raw = factory.LazyFunction(crypto.new_token)
        verifier = VERIFIER

    now = factory.LazyFunction(timezone.now)
    token_hash = factory.LazyAttribute(lambda o: crypto.hash_token(o.raw))
    client = factory.SubFactory(ClientFactory)
    user = factory.SubFactory(UserFactory)
    redirect_uri = REDIRECT_URI
    scope = "read:profile"
    code_challenge = factory.LazyAttribute(lambda o: pkce.s256(o.verifier) if o.verifier else "")
    nonce = ""
    auth_time = factory.SelfAttribute("now")
    expires_at = factory.LazyAttribute(lambda o: o.now + oauth_settings.AUTHORIZATION_CODE_LIFETIME)


class RefreshTokenFactory(_WithRawSecret, factory.django.DjangoModelFactory):
    """A live refresh token, first of its own family unless ``family_id`` is given."""

    class Meta:
        model = RefreshToken
        exclude = ("now",)

    class Params:
        raw = factory.LazyFunction(crypto.new_token)
        rotated = factory.Trait(rotated_at=factory.LazyFunction(timezone.now))
        revoked = factory.Trait(revoked_at=factory.LazyFunction(timezone.now))

    now = factory.LazyFunction(timezone.now)
    token_hash = factory.LazyAttribute(lambda o: crypto.hash_token(o.raw))
    family_id = factory.LazyFunction(uuid.uuid4)
    client = factory.SubFactory(ClientFactory)
    user = factory.SubFactory(UserFactory)
    scope = "read:profile"
    auth_time = factory.SelfAttribute("now")
    expires_at = factory.LazyAttribute(lambda o: o.now + oauth_settings.REFRESH_TOKEN_LIFETIME)
    access_token_jti = factory.LazyFunction(lambda: uuid.uuid4().hex)
    access_token_expires_at = factory.LazyAttribute(
        lambda o: o.now + oauth_settings.ACCESS_TOKEN_LIFETIME
    )

    @classmethod
    def create_family(cls, size=2, **fields):
        """Return ``[(row, raw), ...]``: one family rotated ``size - 1`` times, the last one live."""
        first, raw = cls.create_with_raw(rotated=size > 1, **fields)
        shared = {"family_id": first.family_id, "client": first.client, "user": first.user}
        shared |= {"expires_at": first.expires_at, "auth_time": first.auth_time}
        rest = [
            cls.create_with_raw(**{**fields, **shared, "rotated": n < size - 1})
            for n in range(1, size)
        ]
        return [(first, raw), *rest]


class RevokedAccessTokenFactory(factory.django.DjangoModelFactory):
    """A deny-list entry, kept until the token's own expiry."""

    class Meta:
        model = RevokedAccessToken

    jti = factory.LazyFunction(lambda: uuid.uuid4().hex)
    expires_at = factory.LazyFunction(lambda: timezone.now() + oauth_settings.ACCESS_TOKEN_LIFETIME)


class DeletedClientFactory(factory.django.DjangoModelFactory):
    """A tombstone of a deleted client, kept while its tokens could still be presented."""

    class Meta:
        model = DeletedClient

    client_id = factory.Sequence(lambda n: f"deleted-{n}")
    expires_at = factory.LazyFunction(lambda: timezone.now() + oauth_settings.ACCESS_TOKEN_LIFETIME)


class SigningKeyFactory(factory.django.DjangoModelFactory):
    """An active signing key of ``algorithm`` (ES256 by default: fast to make)."""

    class Meta:
        model = SigningKey
        exclude = ("key",)

    class Params:
        retired = factory.Trait(
            state=SigningKey.State.RETIRED,
            retired_at=factory.LazyFunction(timezone.now),
            expires_at=factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1)),
        )

    algorithm = SigningKey.Algorithm.ES256
    key = factory.LazyAttribute(
        lambda o: keys.from_private_key(
            keys.generate_private_key(o.algorithm), algorithm=o.algorithm
        )
    )
    kid = factory.LazyAttribute(lambda o: o.key.kid)
    private_key = factory.LazyAttribute(lambda o: keys.private_pem(o.key.private_key))
    state = SigningKey.State.ACTIVE
    activated_at = factory.LazyFunction(timezone.now)


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEvent

    event = "token_issued"
    client = None
    client_identifier = factory.LazyAttribute(lambda o: o.client.client_id if o.client else "")
    user = None
    ip = "127.0.0.1"
    details = factory.LazyFunction(dict)


def make_code(client, user, **fields):
    """Store an authorization code as the authorize endpoint does; return its raw value."""
    return AuthorizationCodeFactory.create_with_raw(client=client, user=user, **fields)[1]
