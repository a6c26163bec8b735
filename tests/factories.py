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
        lambda: ["read:profile", "write:profile", "read:email", "read:contacts", "publish"]
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
