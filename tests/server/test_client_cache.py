"""Each process remembers the clients it read (CLIENT_CACHE_TTL); a saved client is read afresh.

What a client's owner changes (secret, grant types, scopes, deactivation, deletion) is honoured on
the very next request here, and within SYNC_INTERVAL by every other process (the generation:
tests/integration/test_workers.py, tests/integration/test_scale_out.py); a change that nothing
announces (a queryset ``update()``) within the TTL. A client read while its change is
uncommitted is read again after: tests/server/test_races.py. No cache is involved.
"""

import time
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import transaction

from oauthcore import generation
from oauthcore.jose import keyring
from oauthcore.models import Client
from tests.factories import DEMO_SECRET, UNREACHABLE_REDIS
from tests.protocol import basic_auth, post_token

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("keys_cached")]
DUMMY_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
CLIENT_CREDENTIALS = {"grant_type": "client_credentials", "scope": "read:profile"}


def token(http, client_app, secret=DEMO_SECRET, **data):
    return post_token(http, CLIENT_CREDENTIALS | data, **basic_auth(client_app.client_id, secret))


def error_of(response):
    return response.status_code, response.json()["error"]


@pytest.fixture
def warm(client, client_app):
    """The client has been read once, as by a running server (which has its signing key)."""
    keyring.signing_key()
    assert token(client, client_app).status_code == HTTPStatus.OK
    return client_app


def test_a_remembered_client_costs_no_query(client, warm, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = token(client, warm)
    assert response.status_code == HTTPStatus.OK


def test_a_rotated_secret_is_refused_at_once(client, warm):
    new_secret = warm.set_new_secret()
    warm.save()
    assert error_of(token(client, warm)) == (HTTPStatus.UNAUTHORIZED, "invalid_client")
    assert token(client, warm, new_secret).status_code == HTTPStatus.OK


def test_a_deactivated_client_is_refused_at_once(client, warm):
    warm.is_active = False
    warm.save()
    assert error_of(token(client, warm)) == (HTTPStatus.UNAUTHORIZED, "invalid_client")


def test_a_deleted_client_is_refused_at_once(client, warm):
    Client.objects.filter(pk=warm.pk).delete()  # a queryset delete still sends post_delete
    assert error_of(token(client, warm)) == (HTTPStatus.UNAUTHORIZED, "invalid_client")


def test_a_withdrawn_grant_type_and_scope_are_refused_at_once(client, warm):
    warm.allowed_scopes = ["read:email"]
    warm.save()
    assert error_of(token(client, warm)) == (HTTPStatus.BAD_REQUEST, "invalid_scope")
    warm.grant_types = ["authorization_code"]
    warm.save()
    response = token(client, warm, scope="read:email")
    assert error_of(response) == (HTTPStatus.BAD_REQUEST, "unauthorized_client")


def test_a_rolled_back_rotation_leaves_the_old_secret_alone(client, warm):
    with pytest.raises(RuntimeError), transaction.atomic():
        new_secret = warm.set_new_secret()
        warm.save()
        # Read inside the transaction that wrote it, so the row it reads is not committed.
        assert token(client, warm, new_secret).status_code == HTTPStatus.OK
        raise RuntimeError("rolled back")
    assert token(client, warm).status_code == HTTPStatus.OK
    assert error_of(token(client, warm, new_secret)) == (HTTPStatus.UNAUTHORIZED, "invalid_client")


def test_an_unannounced_update_is_seen_within_the_ttl(client, warm, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "CLIENT_CACHE_TTL": timedelta(seconds=1)}
    assert token(client, warm).status_code == HTTPStatus.OK  # remembered for one second
    Client.objects.filter(pk=warm.pk).update(grant_types=["authorization_code"])  # no signal
    assert token(client, warm).status_code == HTTPStatus.OK  # the remembered copy
    time.sleep(1.1)
    response = token(client, warm)
    assert error_of(response) == (HTTPStatus.BAD_REQUEST, "unauthorized_client")


def test_a_zero_ttl_reads_the_client_on_every_request(
    client, warm, settings, django_assert_num_queries
):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "CLIENT_CACHE_TTL": timedelta(0)}
    Client.objects.filter(pk=warm.pk).update(grant_types=["authorization_code"])
    with django_assert_num_queries(1):
        response = token(client, warm)
    assert error_of(response) == (HTTPStatus.BAD_REQUEST, "unauthorized_client")


def test_a_change_made_elsewhere_is_seen_within_the_sync_interval(
    client, warm, django_assert_num_queries
):
    Client.objects.filter(pk=warm.pk).update(grant_types=["authorization_code"])
    generation.bump()  # what another process's save does; this process reads it within 1 s
    with django_assert_num_queries(2):  # the generation, then the client
        response = token(client, warm)
    assert error_of(response) == (HTTPStatus.BAD_REQUEST, "unauthorized_client")


@pytest.mark.parametrize("caches", [DUMMY_CACHE, UNREACHABLE_REDIS], ids=["dummy", "unreachable"])
def test_the_cache_backend_plays_no_part(
    client, client_app, caches, settings, django_assert_num_queries
):
    settings.CACHES = caches
    settings.OAUTHCORE = {**settings.OAUTHCORE, "RATE_LIMIT_ENABLED": False}  # it needs the cache
    keyring.signing_key()
    assert token(client, client_app).status_code == HTTPStatus.OK
    with django_assert_num_queries(0):  # remembered all the same
        assert token(client, client_app).status_code == HTTPStatus.OK
    new_secret = client_app.set_new_secret()
    client_app.save()
    response = token(client, client_app)
    assert error_of(response) == (HTTPStatus.UNAUTHORIZED, "invalid_client")
    assert token(client, client_app, new_secret).status_code == HTTPStatus.OK
