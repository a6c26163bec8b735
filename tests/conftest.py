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


# The factories of tests/factories.py, one fixture each: ``code_factory.create_with_raw(...)``.


@pytest.fixture
def user_factory(db):
    return factories.UserFactory


@pytest.fixture
def client_factory(db):
    """Confidential clients; ``client_factory(public=True)`` makes a public one."""
    return factories.ClientFactory


@pytest.fixture
def consent_factory(db):
    return factories.ConsentFactory


@pytest.fixture
def code_factory(db):
    """Authorization codes; ``create_with_raw()`` returns (row, raw code)."""
    return factories.AuthorizationCodeFactory


@pytest.fixture
def refresh_token_factory(db):
    """Refresh tokens; ``create_with_raw()`` returns (row, raw), ``create_family()`` a family."""
    return factories.RefreshTokenFactory


@pytest.fixture
def revoked_token_factory(db):
    return factories.RevokedAccessTokenFactory


@pytest.fixture
def deleted_client_factory(db):
    return factories.DeletedClientFactory


@pytest.fixture
def signing_key_factory(db):
    return factories.SigningKeyFactory


@pytest.fixture
def audit_event_factory(db):
    return factories.AuditEventFactory


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
