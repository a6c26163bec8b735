"""Redis with a tiny ``maxmemory`` and ``volatile-lru``: evictions cannot revive a revoked token.

A private redis-server (port 6391) evicts keys as soon as it is full; the example project's two
workers use it as their cache while their database is the default SQLite file.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from http import HTTPStatus

import pytest
import requests

from tests.integration.test_workers import (
    ISSUER,
    SYNC_BOUND,
    access_token,
    api,
    service,
    start,
    statuses,
)
from tests.live_stack import DefaultStack

pytestmark = [
    pytest.mark.live,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]
REDIS_PORT = 6391


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    import redis

    argv = ["redis-server", "--bind", "127.0.0.1", "--port", str(REDIS_PORT), "--save", ""]
    argv += ["--appendonly", "no", "--maxmemory", "3mb", "--maxmemory-policy", "volatile-lru"]
    argv += ["--dir", str(tmp_path_factory.mktemp("redis"))]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{REDIS_PORT}/0"
    try:
        for _ in range(50):
            try:
                if redis.Redis.from_url(url).ping():
                    break
            except redis.ConnectionError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def stack(tmp_path_factory, redis_url):
    workdir = tmp_path_factory.mktemp("eviction")
    stack = DefaultStack("eviction", 0, ISSUER, workdir, {"CACHE_URL": redis_url})
    try:
        yield start(stack, workers=2)
    finally:
        stack.stop()
        stack.drop()


def fill(redis_url: str) -> int:
    """Write 6 MB of keys with an expiry into the 3 MB Redis; return how many it evicted."""
    import redis

    server = redis.Redis.from_url(redis_url)
    for number in range(6000):
        server.set(f"filler:{number}", "x" * 1000, ex=3600)
    return server.info("stats")["evicted_keys"]


def test_evictions_revive_no_revoked_token_and_no_deactivated_client(stack, redis_url):
    revoked_client, deactivated = service(stack, "Evicted"), service(stack, "Deactivated")
    revoked, kept = access_token(stack, revoked_client), access_token(stack, deactivated)
    assert statuses(stack, api(stack, revoked)) == {HTTPStatus.CREATED}
    auth = (revoked_client["client_id"], revoked_client["client_secret"])
    requests.post(f"{stack.server}/oauth/revoke/", data={"token": revoked}, auth=auth, timeout=10)
    stack.shell(
        "from oauthcore.models import Client;"
        f"c = Client.objects.get(client_id={deactivated['client_id']!r});"
        "c.is_active = False; c.save()"
    )
    assert fill(redis_url) > 0
    time.sleep(SYNC_BOUND)
    assert statuses(stack, api(stack, revoked)) == {HTTPStatus.UNAUTHORIZED}
    assert statuses(stack, api(stack, kept)) == {HTTPStatus.UNAUTHORIZED}
