"""Restart Redis under load: no error response, no burst of database queries.

    python bench/cache_restart.py [--requests 2400] [--database NAME] [--pgbouncer]

Two gunicorn servers of the example project (``scale_out.Server``: 2 sync workers each, SQL
queries counted per request in ``X-Queries``) on one PostgreSQL database and a private
redis-server. A bounded mixed load (API calls, client_credentials, introspection, refresh) from
8 threads; the first sixth warms the workers up (their first requests load the deny-list and
keys), a third of the way in Redis is stopped and started again (empty: it keeps nothing on
disk), two thirds in ``FLUSHALL``. Exits 1 if any response is not 200, or if, for an endpoint,
a request during or after the restart made more queries than the most one made before it plus
one (the generation, read by any request at most once a ``SYNC_INTERVAL`` per process), or the
mean rose by more than 0.5: a stampede (state reread from the database) would show as either.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import scale_out
from http_bench import http

MIX = ("API call", "client_credentials", "introspection", "refresh")


def send(port: int, data: dict, endpoint: str, lock: threading.Lock) -> tuple[int, int]:
    with lock:  # one-time bodies are taken under the lock
        path, auth, bodies = scale_out.requests_of(data, endpoint, 1)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": auth} if auth else {}
    if bodies:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(
        "POST" if bodies else "GET", path, body=bodies[0] if bodies else None, headers=headers
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, int(response.getheader("X-Queries") or -1)


def run(servers: list, data: dict, redis: scale_out.Redis, total: int) -> list[tuple]:
    """Send ``total`` requests; restart Redis at a third, flush it at two thirds."""
    lock, done, results = threading.Lock(), [0], []
    phase = ["warm-up"]  # each worker's first requests load the deny-list and keys

    def job(index: int) -> None:
        endpoint = MIX[index % len(MIX)]
        status, queries = send(servers[index % len(servers)].port, data, endpoint, lock)
        with lock:
            results.append((phase[0], endpoint, status, queries))
            done[0] += 1

    def disturb() -> None:
        while done[0] < total // 6:
            time.sleep(0.01)
        phase[0] = "before"
        while done[0] < total // 3:
            time.sleep(0.01)
        phase[0] = "restart"
        redis.stop()
        time.sleep(1)
        redis.start()
        while done[0] < 2 * total // 3:
            time.sleep(0.01)
        phase[0] = "flush"
        subprocess.run(["redis-cli", "-p", str(redis.port), "FLUSHALL"], check=True)

    disturber = threading.Thread(target=disturb)
    disturber.start()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(job, range(total)))
    disturber.join()
    return results


def report(results: list[tuple]) -> int:
    by = defaultdict(list)
    for phase, endpoint, status, queries in results:
        by[phase, endpoint].append((status, queries))
    print("| phase | endpoint | requests | not 200 | SQL queries / request: mean | max |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    failed = 0
    for phase in ("warm-up", "before", "restart", "flush"):
        for endpoint in MIX:
            rows = by[phase, endpoint]
            if not rows:
                continue
            bad = sum(status != 200 for status, _ in rows)
            counts = [q for _, q in rows]
            mean = sum(counts) / len(counts)
            before = [q for _, q in by["before", endpoint]]
            calm = sum(before) / len(before) + 0.5, max(before) + 1  # + the generation's read
            burst = phase in ("restart", "flush") and (mean > calm[0] or max(counts) > calm[1])
            failed += bad + burst
            flag = " (burst)" * burst
            print(
                f"| {phase} | {endpoint} | {len(rows)} | {bad} | {mean:.2f} | {max(counts)}{flag} |"
            )
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2400)
    parser.add_argument("--database", default="oauthcore_cache_restart_bench")
    parser.add_argument("--pgbouncer", action="store_true", help="through 127.0.0.1:6432")
    args = parser.parse_args()
    with scale_out.stack(args.database, args.pgbouncer, args.requests) as (servers, data, redis):
        data["bodies"] = 1
        return report(run(servers, data, redis, args.requests))


if __name__ == "__main__":
    sys.exit(main())
