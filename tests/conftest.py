import pytest

from oauthcore import keys
from tests import factories


@pytest.fixture(autouse=True)
def _fresh_keys():
    """Each test starts with no cached keys: keys live in its own database."""
    keys.forget()
    yield
    keys.forget()


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    from oauthcore import revocation

    cache.clear()
    revocation.forget()


@pytest.fixture
def user(db):
    return factories.UserFactory(username="alice")


@pytest.fixture
def client_app(db):
    """A confidential client with every grant type; its secret is ``factories.DEMO_SECRET``."""
    return factories.ClientFactory()


@pytest.fixture
def public_client(db):
    return factories.ClientFactory(public=True)


@pytest.fixture
def secret():
    return factories.DEMO_SECRET
