"""One-time identifiers (a DPoP proof's ``jti``, a client assertion's): spent once, by any process.

``spend()`` records an identifier until it expires and tells whether this was its first use.
Where it is recorded must be shared by every process serving requests, or a replay sent to
another process would be accepted:

- Django's default cache when that cache is one every process shares: Redis (Django's
  ``RedisCache`` or django-redis; one ``SET NX EX``, see below) or Memcached (``PyMemcacheCache``,
  ``PyLibMCCache``: ``cache.add``, atomic), subclasses included;
- else the ``SpentIdentifier`` table: an insert of the identifier's digest (the primary key), so
  a second insert fails, whatever the number of processes and databases' writers. The default
  configuration (SQLite and the local-memory cache, each process its own) is correct so.

With Redis, a DPoP call spends a ``jti`` on every API request, so that write takes the shortest
path redis-py offers: each thread keeps one connection of the cache's own pool (its address,
password, TLS, database) and sends ``SET key 1 NX EX seconds`` on it, without the client's layers
(key versioning stays: the key is the cache's ``make_key``). A Redis that cannot be reached this
way (a cluster client, a custom one) gets ``cache.add``.

``OAUTHCORE["SINGLE_USE_STORE"]`` is ``"auto"`` (the above), ``"cache"`` (say, a custom backend
every process shares) or ``"database"``. A store that cannot answer raises ``Unavailable``:
the caller refuses, so nothing is ever accepted twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import threading
from datetime import datetime

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.signals import setting_changed
from django.db import DatabaseError, IntegrityError, connections, router, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from oauthcore.conf import oauth_settings

logger = logging.getLogger("oauthcore")

STORES = ("auto", "cache", "database")
# Caches every process shares, whose ``add`` is atomic (a subclass counts as its base).
SHARED_CACHES = frozenset(
    {
        "django.core.cache.backends.redis.RedisCache",
        "django_redis.cache.RedisCache",
        "django.core.cache.backends.memcached.PyMemcacheCache",
        "django.core.cache.backends.memcached.PyLibMCCache",
    }
)
# Caches that cannot be the store: each process its own, nothing kept, or an ``add`` that is a
# read then a write (two processes may both add). ``SINGLE_USE_STORE = "cache"`` on one is an error.
UNFIT_CACHES = frozenset(
    {
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
        "django.core.cache.backends.filebased.FileBasedCache",
    }
)
NOTHING_KEPT = "django.core.cache.backends.dummy.DummyCache"
REDIS_CACHES = frozenset(
    {"django.core.cache.backends.redis.RedisCache", "django_redis.cache.RedisCache"}
)
CACHE_PREFIX = "oauthcore:spent:"


class Unavailable(Exception):
    """The store cannot tell whether an identifier was spent: refuse what presents it."""


def _names(cls: type) -> set[str]:
    return {f"{base.__module__}.{base.__qualname__}" for base in cls.__mro__}


def cache_class() -> type:
    """Return the class of the default cache (not instantiated)."""
    return import_string(settings.CACHES["default"]["BACKEND"])


def is_shared(cls: type) -> bool:
    """Tell whether a cache class is one every process shares, with an atomic ``add``."""
    return bool(_names(cls) & SHARED_CACHES)


def is_unfit(cls: type) -> bool:
    """Tell whether a cache class cannot keep one-time identifiers for several processes."""
    return not is_shared(cls) and bool(_names(cls) & UNFIT_CACHES)


# The store chosen by this process, and each thread's default cache (Django's ``cache`` proxy
# looks it up on every call); both forgotten when CACHES or OAUTHCORE change.
_chosen: dict[str, str] = {}
_threads = threading.local()


def store() -> str:
    """Return where identifiers are spent: ``"cache"`` or ``"database"``."""
    found = _chosen.get("store")
    if found is None:
        forced = oauth_settings.SINGLE_USE_STORE
        if forced not in STORES:  # oauthcore.E018
            raise Unavailable(f"OAUTHCORE['SINGLE_USE_STORE'] is not one of {STORES}: {forced!r}")
        if forced == "auto":
            found = "cache" if is_shared(cache_class()) else "database"
        else:
            found = forced
        _chosen["store"] = found
    return found


def digest(namespace: str, value: str) -> str:
    """Return the key of an identifier: the SHA-256 of its namespace and value, in hex."""
    return hashlib.sha256(f"{namespace}\0{value}".encode()).hexdigest()


def spend(namespace: str, value: str, *, expires_at: datetime, now: datetime | None = None) -> bool:
    """Record ``value`` in ``namespace`` until ``expires_at``; tell whether it was its first use.

    Raise ``Unavailable`` when the store cannot say (the cache or the database is down).
    """
    key = digest(namespace, value)
    now = now or timezone.now()
    if store() == "cache":
        return _spend_in_cache(key, expires_at, now)
    return _spend_in_database(key, expires_at, now)


def _cache():
    backend = getattr(_threads, "cache", None)
    if backend is None:
        if NOTHING_KEPT in _names(cache_class()):
            raise Unavailable("The default cache keeps nothing (DummyCache): oauthcore.E019.")
        backend = _threads.cache = caches["default"]
    return backend


def _redis_pool(backend: BaseCache):
    """Return the connection pool Redis writes of ``backend`` go to, or None if it has none."""
    if not _names(type(backend)) & REDIS_CACHES:
        return None
    try:
        if hasattr(backend, "client"):  # django-redis (its public get_redis_connection)
            client = backend.client.get_client(write=True)
        else:  # Django's RedisCache: the primary, where writes go
            client = backend._cache.get_client(write=True)
        return client.connection_pool
    except (AttributeError, TypeError):  # a cluster, sharded or custom client: no plain pool
        return None


def _redis_connection(backend: BaseCache):
    """Return this thread's own connection to ``backend``'s Redis, None if it cannot have one."""
    found = getattr(_threads, "redis", False)
    if found is False:
        pool = _redis_pool(backend)
        found = _threads.redis = pool.make_connection() if pool is not None else None
    return found


def _set_nx(connection, key: str, timeout: int) -> bool:
    """``SET key 1 NX EX timeout``: True if the key was set, False if it existed."""
    command = connection.pack_command("SET", key, b"1", "NX", "EX", timeout)
    connection.send_packed_command(command, check_health=False)
    return connection.read_response() is not None


def _spend_in_redis(connection, key: str, timeout: int) -> bool:
    from redis.exceptions import ConnectionError

    try:
        try:
            return _set_nx(connection, key, timeout)
        except ConnectionError:
            # Left idle, the connection may have been closed by Redis (a restart, its idle
            # timeout): the command did not run. Sent once more on a new connection; a second
            # failure is a Redis that cannot be reached. (A TimeoutError is not retried: the
            # command may have run, and the retry would say "spent".)
            connection.disconnect()
            return _set_nx(connection, key, timeout)
    except Exception:  # nothing, or half a reply, read: the connection cannot be trusted
        connection.disconnect()
        raise


def _spend_in_cache(key: str, expires_at: datetime, now: datetime) -> bool:
    timeout = max(math.ceil((expires_at - now).total_seconds()), 1)
    backend = _cache()
    try:
        connection = _redis_connection(backend)
        if connection is not None:
            return _spend_in_redis(connection, backend.make_key(CACHE_PREFIX + key), timeout)
        return backend.add(CACHE_PREFIX + key, 1, timeout=timeout)
    except Exception as e:  # any backend's error (redis.ConnectionError, ...): cannot tell
        logger.exception("The cache could not record a one-time identifier.")
        raise Unavailable("The cache cannot record one-time identifiers now.") from e


_insert_sql: dict[str, str] = {}  # database vendor -> the INSERT of one row, names quoted its way


def _sql_for(db) -> str:
    from oauthcore.models import SpentIdentifier

    sql = _insert_sql.get(db.vendor)
    if sql is None:
        name, opts = db.ops.quote_name, SpentIdentifier._meta
        columns = ", ".join(name(opts.get_field(f).column) for f in ("key", "expires_at"))
        # Names from the model, quoted by the backend; the values are parameters.
        sql = f"INSERT INTO {name(opts.db_table)} ({columns}) VALUES (%s, %s)"  # noqa: S608
        _insert_sql[db.vendor] = sql
    return sql


def _insert(db, key: str, expires_at: datetime) -> None:
    """INSERT one row: a third of what ``objects.create()`` costs (no model instance, no
    signals), on every DPoP call when the database is the store."""
    with db.cursor() as cursor:
        cursor.execute(_sql_for(db), [key, db.ops.adapt_datetimefield_value(expires_at)])


def _spend_in_database(key: str, expires_at: datetime, now: datetime) -> bool:
    from oauthcore.models import SpentIdentifier

    using = router.db_for_write(SpentIdentifier)
    db = connections[using]
    try:
        try:
            # Inside the caller's transaction, a savepoint: a duplicate must not break it.
            # Outside one (autocommit), the INSERT is a transaction of its own.
            with transaction.atomic(using) if db.in_atomic_block else contextlib.nullcontext():
                _insert(db, key, expires_at)
        except IntegrityError:  # spent: take it over only if that use has expired (not swept yet)
            stale = SpentIdentifier.objects.using(using).filter(key=key, expires_at__lte=now)
            return stale.update(expires_at=expires_at) == 1
    except DatabaseError as e:  # "database is locked" for too long, a lost connection, ...
        logger.exception("The database could not record a one-time identifier.")
        raise Unavailable("The database cannot record one-time identifiers now.") from e
    return True


def _forget_threads() -> None:
    global _threads
    _threads = threading.local()


def _reset(*, setting: str, **kwargs) -> None:
    if setting in ("CACHES", "OAUTHCORE"):
        _chosen.clear()
        connection = getattr(_threads, "redis", None)
        if connection is not None:  # this thread's socket, not left to the garbage collector
            connection.disconnect()
        _forget_threads()


setting_changed.connect(_reset, dispatch_uid="oauthcore.single_use")
# A forked process (a gunicorn worker of a preloaded app) opens connections of its own.
os.register_at_fork(after_in_child=_forget_threads)
