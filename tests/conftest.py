from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oauthcore.jose import keyring
from tests import factories


@pytest.fixture(autouse=True)
def _fresh_keys():
    """Each test starts with no cached keys: keys live in its own database."""
    keyring.forget()
    yield
    keyring.forget()


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    from oauthcore import generation
    from oauthcore.resource_server import denylist
    from oauthcore.server import client_auth

    cache.clear()
    generation.forget()  # each test's database starts again from its own generation
    denylist.forget()
    client_auth.forget()


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


@pytest.fixture
def keys_cached(settings):
    """Keys kept for an hour, as in production (the test settings reread them on every use)."""
    settings.OAUTHCORE = {**settings.OAUTHCORE, "KEY_CACHE_TTL": timedelta(hours=1)}


@pytest.fixture
def django_assert_num_queries():
    """pytest-django's fixture, without transaction control: SQLite logs BEGIN and COMMIT,
    PostgreSQL does not, and neither is a statement of the endpoint's logic."""

    @contextmanager
    def expect(number: int):
        with CaptureQueriesContext(connection) as context:
            yield context
        sqls = [q["sql"] for q in context.captured_queries]
        counted = [sql for sql in sqls if sql.split()[0].upper() not in ("BEGIN", "COMMIT")]
        assert len(counted) == number, "\n".join(counted)

    return expect
