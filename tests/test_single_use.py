"""One-time identifiers (oauthcore/single_use.py): each store refuses a replayed DPoP proof at the
token endpoint, the PAR endpoint and the API, and a replayed client assertion.

The store is the default cache when every process shares it (Redis, Memcached), else the
``SpentIdentifier`` table: with the test run's defaults (SQLite, local memory) the database, with
``CACHE_URL=redis://...`` the cache. Each test also forces each store in turn.
"""

from datetime import timedelta
from functools import partial
from http import HTTPStatus

import pytest
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.utils import timezone

from oauthcore import single_use
from oauthcore.models import SpentIdentifier
from oauthcore.testing import make_access_token
from tests import client_jwt, par_kit
from tests.dpop_kit import DPoPKey
from tests.factories import UNREACHABLE_REDIS, redis_answers
from tests.protocol import basic_auth, post_token

pytestmark = pytest.mark.django_db

GRANT = {"grant_type": "client_credentials", "scope": "publish"}
PAR_URL = "http://testserver/oauth/par/"
API_URL = "http://testserver/api/profile/"
BACKENDS = "django.core.cache.backends"


class SharedSubclass(RedisCache):
    """A project's own Redis backend: shared like its base."""


@pytest.fixture(params=["auto", "cache", "database"])
def store(request, settings):
    """Each store in turn ("auto": the run's, from CACHE_URL); yield the one in use."""
    settings.OAUTHCORE = {**settings.OAUTHCORE, "SINGLE_USE_STORE": request.param}
    return single_use.store()


def test_auto_is_the_cache_with_redis_and_the_database_with_the_default_cache(settings):
    shared = "redis" in settings.CACHES["default"]["BACKEND"]
    assert single_use.store() == ("cache" if shared else "database")


@pytest.mark.parametrize(
    ("backend", "expected"),
    [
        (f"{BACKENDS}.redis.RedisCache", "cache"),
        (f"{BACKENDS}.memcached.PyMemcacheCache", "cache"),
        (f"{BACKENDS}.memcached.PyLibMCCache", "cache"),
        (f"{__name__}.SharedSubclass", "cache"),
        (f"{BACKENDS}.locmem.LocMemCache", "database"),
        (f"{BACKENDS}.dummy.DummyCache", "database"),
        (f"{BACKENDS}.filebased.FileBasedCache", "database"),
        (f"{BACKENDS}.db.DatabaseCache", "database"),
    ],
)
def test_auto_trusts_only_caches_every_process_shares(settings, backend, expected):
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": "unused"}}
    assert single_use.store() == expected


def rows() -> int:
    return SpentIdentifier.objects.count()


def spent_where(store: str, before: int) -> None:
    """Assert that the first use was spent in ``store``: one row more, or none."""
    assert rows() == before + (store == "database")


def token_with(http, app, proof):
    return post_token(http, GRANT, **basic_auth(app.client_id), HTTP_DPOP=proof)


def dpop_error(response) -> str:
    return response.json()["error"]


def test_a_replayed_proof_is_refused_at_the_token_endpoint(client, client_app, store):
    proof, before = DPoPKey().proof(), rows()
    assert token_with(client, client_app, proof).status_code == HTTPStatus.OK
    spent_where(store, before)
    replay = token_with(client, client_app, proof)
    assert replay.status_code == HTTPStatus.BAD_REQUEST
    assert dpop_error(replay) == "invalid_dpop_proof"
    assert replay.json()["error_description"] == "The DPoP proof was already used."


def test_a_replayed_proof_is_refused_at_the_par_endpoint(client, client_app, store):
    header, before = DPoPKey().header(htu=PAR_URL), rows()
    first = par_kit.push(client, client_app, extra=header)
    assert first.status_code == HTTPStatus.CREATED, first.content
    spent_where(store, before)
    replay = par_kit.push(client, client_app, extra=header)
    assert replay.status_code == HTTPStatus.BAD_REQUEST
    assert dpop_error(replay) == "invalid_dpop_proof"


def test_a_replayed_proof_is_refused_by_the_api(client, user, store):
    key = DPoPKey()
    token = make_access_token(user=user, scopes=["read:profile"], cnf={"jkt": key.jkt})
    headers = {
        "HTTP_AUTHORIZATION": f"DPoP {token}",
        **key.header("GET", API_URL, access_token=token),
    }
    before = rows()
    assert client.get(API_URL, **headers).status_code == HTTPStatus.OK
    spent_where(store, before)
    replay = client.get(API_URL, **headers)
    assert replay.status_code == HTTPStatus.UNAUTHORIZED
    assert 'error="invalid_dpop_proof"' in replay["WWW-Authenticate"]


def test_the_same_jti_with_another_key_is_another_proof(client, client_app, store):
    assert token_with(client, client_app, DPoPKey().proof(jti="j")).status_code == HTTPStatus.OK
    assert token_with(client, client_app, DPoPKey().proof(jti="j")).status_code == HTTPStatus.OK


def assertion_maker(method: str):
    """Register a client of ``method``; return a function making its assertions, all one jti."""
    if method == "private_key_jwt":
        pair = client_jwt.key_pair()
        app = client_jwt.key_client(pair)
        return partial(client_jwt.assertion, app.client_id, pair, jti="once")
    app, secret = client_jwt.secret_jwt_client()
    return partial(client_jwt.hmac_assertion, app.client_id, secret, jti="once")


@pytest.mark.parametrize("method", ["private_key_jwt", "client_secret_jwt"])
def test_a_replayed_client_assertion_is_refused(client, store, method):
    make = assertion_maker(method)
    before = rows()
    assert post_token(client, {**GRANT, **client_jwt.form(make())}).status_code == HTTPStatus.OK
    spent_where(store, before)
    replay = post_token(client, {**GRANT, **client_jwt.form(make())})  # a new JWT, the same jti
    assert replay.status_code == HTTPStatus.UNAUTHORIZED
    assert replay.json()["error"] == "invalid_client"


def test_an_expired_row_not_yet_swept_can_be_spent_again(settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "SINGLE_USE_STORE": "database"}
    t0, lasts = timezone.now(), timedelta(minutes=1)

    def spend(at):
        return single_use.spend("test", "value", expires_at=at + lasts, now=at)

    assert spend(t0) is True
    assert spend(t0 + timedelta(seconds=59)) is False
    assert spend(t0 + timedelta(seconds=61)) is True  # the first use expired: taken over
    assert spend(t0 + timedelta(seconds=90)) is False
    assert SpentIdentifier.objects.get().expires_at == t0 + timedelta(seconds=61) + lasts


def test_when_the_database_cannot_record_a_proof_or_assertion_is_refused(
    client, client_app, settings, caplog
):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "SINGLE_USE_STORE": "database"}
    pair = client_jwt.key_pair()
    keyed = client_jwt.key_client(pair)
    table = connection.ops.quote_name(SpentIdentifier._meta.db_table)
    with connection.cursor() as cursor:  # undone with the test's transaction
        cursor.execute(f"ALTER TABLE {table} RENAME TO oauthcore_gone")
    refused = token_with(client, client_app, DPoPKey().proof())
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.json()["error_description"] == "The DPoP proof cannot be checked now; retry."
    assertion = client_jwt.assertion(keyed.client_id, pair)
    response = post_token(client, {**GRANT, **client_jwt.form(assertion)})
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert "could not record a one-time identifier" in caplog.text


def test_an_invalid_store_setting_refuses_instead_of_accepting(client, client_app, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "SINGLE_USE_STORE": "memory"}  # oauthcore.E018
    response = token_with(client, client_app, DPoPKey().proof())
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_dpop_proof"


# --- with Redis: one SET NX EX on a connection of the thread's own ---------------------------

REDIS_URL = "redis://127.0.0.1:6379/14"
REDIS_BACKENDS = ["django.core.cache.backends.redis.RedisCache", "django_redis.cache.RedisCache"]


@pytest.fixture(params=REDIS_BACKENDS)
def redis_cache(request, settings):
    """Each Redis backend in turn on a database of its own (emptied), the store "auto" picks."""
    if not redis_answers(REDIS_URL):
        pytest.skip("needs Redis at 127.0.0.1:6379")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    settings.CACHES = {
        "default": {"BACKEND": request.param, "LOCATION": REDIS_URL, "KEY_PREFIX": "site"}
    }
    from django.core.cache import cache

    assert single_use.store() == "cache"
    yield cache
    cache.close()


def spend_now(value: str) -> bool:
    at = timezone.now()
    return single_use.spend("test", value, expires_at=at + timedelta(seconds=90), now=at)


def test_redis_keeps_an_identifier_under_the_caches_own_key_until_it_expires(redis_cache):
    assert spend_now("a") is True
    assert spend_now("a") is False
    assert spend_now("b") is True
    key = single_use.CACHE_PREFIX + single_use.digest("test", "a")
    assert redis_cache.get(key) == 1  # KEY_PREFIX and version applied: the cache reads it
    raw = redis_cache.make_key(key)
    import redis

    assert 85 <= redis.Redis.from_url(REDIS_URL).ttl(raw) <= 90


def test_an_identifier_a_process_spent_with_cache_add_is_spent(redis_cache):
    """A process of an earlier version (cache.add) and this one agree during a deploy."""
    key = single_use.CACHE_PREFIX + single_use.digest("test", "old")
    assert redis_cache.add(key, 1, timeout=60) is True
    assert spend_now("old") is False


def test_a_connection_redis_closed_is_replaced_without_refusing(redis_cache):
    import redis

    assert spend_now("first") is True
    admin = redis.Redis.from_url(REDIS_URL)
    killed = admin.client_kill_filter(_type="normal", skipme=True)  # as a Redis restart would
    assert killed >= 1
    assert spend_now("second") is True
    assert spend_now("second") is False
    assert spend_now("first") is False


def test_an_unreachable_redis_refuses_the_proof(client, client_app, settings, caplog):
    settings.CACHES = UNREACHABLE_REDIS
    response = token_with(client, client_app, DPoPKey().proof())
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error_description"] == "The DPoP proof cannot be checked now; retry."
    assert "could not record a one-time identifier" in caplog.text


def test_a_replayed_proof_is_refused_by_the_api_with_either_redis_backend(
    client, user, redis_cache
):
    key = DPoPKey()
    token = make_access_token(user=user, scopes=["read:profile"], cnf={"jkt": key.jkt})
    headers = {
        "HTTP_AUTHORIZATION": f"DPoP {token}",
        **key.header("GET", API_URL, access_token=token),
    }
    assert client.get(API_URL, **headers).status_code == HTTPStatus.OK
    replay = client.get(API_URL, **headers)
    assert replay.status_code == HTTPStatus.UNAUTHORIZED
    assert 'error="invalid_dpop_proof"' in replay["WWW-Authenticate"]
