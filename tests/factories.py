"""factory-boy factories for the models; exposed as fixtures in conftest.py."""

import factory
from django.contrib.auth import get_user_model

from oauthcore import crypto
from oauthcore.models import Client, Consent

DEMO_SECRET = "s3cret-for-tests-only-0123456789abcdef"


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


VERIFIER = "v" * 43 + "-._~0123456789"  # a valid PKCE code_verifier (RFC 7636 4.1)
REDIRECT_URI = "https://app.example.com/callback"
# A Redis cache nothing answers: a cache outage.
UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
    }
}


def make_code(
    client, user, *, verifier=VERIFIER, scope="read:profile", redirect_uri=REDIRECT_URI, **fields
):
    """Store an authorization code as the authorize endpoint does; return its raw value."""
    from django.utils import timezone

    from oauthcore.conf import oauth_settings
    from oauthcore.models import AuthorizationCode
    from oauthcore.server import pkce

    raw = crypto.new_token()
    now = timezone.now()
    values = {
        "token_hash": crypto.hash_token(raw),
        "client": client,
        "user": user,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "code_challenge": pkce.s256(verifier) if verifier else "",
        "nonce": "",
        "auth_time": now,
        "expires_at": now + oauth_settings.AUTHORIZATION_CODE_LIFETIME,
    }
    AuthorizationCode.objects.create(**{**values, **fields})
    return raw
