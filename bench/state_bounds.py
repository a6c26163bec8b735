"""Per-process state with 10^5 revoked tokens and 10^5 clients: memory and (re)load times.

    python bench/state_bounds.py [--revoked 100000] [--clients 100000] [--database NAME]

On a fresh PostgreSQL database (``scale_out.stack``: two gunicorn servers, 2 sync workers each,
a private Redis): the peak RSS (``VmHWM``) of the workers after API calls and client_credentials
requests from 3,000 distinct clients, first with the tables nearly empty, then after adding the
revoked tokens (unexpired) and the clients. In this process, on the same database: the time to
load the deny-list cold, after one more revocation, and after a client change, with the queries
each made and the memory the copy takes (tracemalloc); and the memory of the remembered clients.
"""

from __future__ import annotations

import argparse
import base64
import secrets
import sys
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import scale_out
from http_bench import request

DISTINCT_CLIENTS = 3000


def seed_state(revoked: int, first: int, clients: int) -> None:
    """Add clients ``bulk-{first}`` up to ``bulk-{clients - 1}`` and ``revoked`` deny rows."""
    from django.utils import timezone

    from oauthcore import crypto, generation
    from oauthcore.models import Client, RevokedAccessToken

    secret_hash = crypto.hash_token(scale_out.SECRET)
    for start in range(first, clients, 5000):
        Client.objects.bulk_create(
            Client(
                client_id=f"bulk-{i}",
                name=f"Bulk {i}",
                secret_hash=secret_hash,
                grant_types=["client_credentials"],
                token_endpoint_auth_method="client_secret_basic",  # save() would fill it
                allowed_scopes=["publish"],
                # 1 % inactive (not among those that ask for tokens): a cutoff each in the copy
                is_active=i < DISTINCT_CLIENTS or i % 100 != 0,
            )
            for i in range(start, min(start + 5000, clients))
        )
    value, later = generation.bump(), timezone.now() + timedelta(hours=1)
    for start in range(0, revoked, 5000):
        RevokedAccessToken.objects.bulk_create(
            RevokedAccessToken(jti=secrets.token_urlsafe(16), expires_at=later, generation=value)
            for _ in range(min(5000, revoked - start))
        )


def load_workers(servers: list, data: dict) -> float:
    """Send API calls and token requests of distinct clients; return the largest worker VmHWM."""
    api = {"Authorization": f"Bearer {data['token']}"}

    def one(i: int) -> int:
        server = servers[i % len(servers)]
        if i % 2:
            return request(server.port, "GET", "/api/profile/", headers=api)[0]
        auth = base64.b64encode(f"bulk-{i // 2}:{scale_out.SECRET}".encode()).decode()
        body = "grant_type=client_credentials&scope=publish"
        headers = {"Authorization": f"Basic {auth}"}
        return request(server.port, "POST", "/oauth/token/", body, headers)[0]

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(one, range(2 * DISTINCT_CLIENTS)))
    assert set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    return max(server.peak_rss_mb() for server in servers)


def timed(label: str, action) -> None:
    """Run ``action``, then time the deny-list's next load; then measure its memory on a copy."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from oauthcore import generation
    from oauthcore.resource_server import denylist

    action()
    saved = dict(denylist._local)
    generation.forget()  # as if SYNC_INTERVAL had passed
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        denylist.is_denied("nothing")
        elapsed = time.perf_counter() - start
    jtis, clients = len(denylist._local["jtis"]), len(denylist._local["clients"])
    denylist._local.update(saved)  # the same load again, its allocations traced (slower)
    generation.forget()
    tracemalloc.start()
    denylist.is_denied("nothing")
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    print(
        f"| {label} | {elapsed * 1000:.0f} ms | {len(queries)} | {jtis} jtis, {clients} clients"
        f" | {size / 2**20:.1f} MiB |"
    )


def in_process() -> None:
    from django.utils import timezone

    from oauthcore.models import Client
    from oauthcore.resource_server import denylist
    from oauthcore.server import revocation
    from oauthcore.server.client_auth import clients

    print("| deny-list load | time | queries | copy | memory allocated |")
    print("| --- | ---: | ---: | --- | ---: |")
    timed("cold (a new process)", denylist.forget)
    later = timezone.now() + timedelta(hours=1)
    timed("after one revocation", lambda: revocation.deny([(secrets.token_urlsafe(16), later)]))
    client = Client.objects.get(client_id="bulk-1")
    timed("after a client change", client.save)
    tracemalloc.start()
    for i in range(DISTINCT_CLIENTS):
        clients.find(f"bulk-{i}")
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    print(f"\nremembered clients after {DISTINCT_CLIENTS} distinct lookups: ", end="")
    print(f"{len(clients._remembered)} (at most {clients.MAX_REMEMBERED}), {size / 2**20:.1f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revoked", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--database", default="oauthcore_state_bench")
    parser.add_argument("--code", help="measure this checkout's oauthcore in this process")
    args = parser.parse_args()
    if args.code:
        sys.path.insert(0, args.code)
    with scale_out.stack(args.database, False, 3) as (servers, data, _redis):
        seed_state(0, 0, DISTINCT_CLIENTS)
        small = load_workers(servers, data)
        start = time.perf_counter()
        seed_state(args.revoked, DISTINCT_CLIENTS, args.clients)
        print(f"seeded in {time.perf_counter() - start:.0f} s")
        for server in servers:
            server.peak_rss_mb(reset=True)
        large = load_workers(servers, data)
        print(f"worker VmHWM: {small:.0f} MiB with {DISTINCT_CLIENTS} clients and no revoked")
        print(f"worker VmHWM: {large:.0f} MiB with {args.clients} clients, {args.revoked} revoked")
        in_process()
    return 0


if __name__ == "__main__":
    sys.exit(main())
