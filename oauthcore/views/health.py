"""A health check for load balancers: is the database reachable, is the cache reachable?

Cheap (one trivial query, one cache set and get), never cached, and it tells only "ok" or
"error" per dependency: no host names, no exception text, nothing secret.
"""

from __future__ import annotations

import logging
import secrets
from http import HTTPStatus

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import Error as DatabaseError
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from oauthcore.views.base import no_store

logger = logging.getLogger("oauthcore")

CACHE_KEY = "oauthcore:health"


def database_ok() -> bool:
    """Run a trivial query on the default database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        logger.warning("Health check: database unreachable.", extra={"event": "health_failed"})
        return False


def cache_ok() -> bool:
    """Write a random value to the default cache and read it back."""
    value = secrets.token_hex(8)
    try:
        cache.set(CACHE_KEY, value, 10)
        return cache.get(CACHE_KEY) == value
    except Exception:  # redis.ConnectionError, django-redis ConnectionInterrupted, ...
        logger.warning("Health check: cache unreachable.", extra={"event": "health_failed"})
        return False


@login_not_required
@require_GET
def health(request):
    """Answer 200 when the database and the cache work, else 503 naming what failed."""
    checks = {"database": database_ok(), "cache": cache_ok()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "error"}
    body.update({name: "ok" if ok else "error" for name, ok in checks.items()})
    status = HTTPStatus.OK if healthy else HTTPStatus.SERVICE_UNAVAILABLE
    return no_store(JsonResponse(body, status=status))
