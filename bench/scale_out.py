"""Throughput per endpoint on PostgreSQL + Redis: one gunicorn server, then two sharing them.

    python bench/scale_out.py [--seconds 3] [--rounds 2] [--database NAME] [--pgbouncer] [--quick]
    make bench-scale-out

Each server is the example project under gunicorn (2 sync workers, ``bench/counting_wsgi.py``,
which counts SQL queries per request; persistent connections, ``conn_max_age=60``) on one
PostgreSQL database (made and dropped here) and a private redis-server on a free port (started
and stopped here). Per endpoint, interleaved rounds of ``wrk -t2 -c8`` against server A, then
against A and B at once (one wrk each: the load split between the two ports, as a load balancer
would), the best round of each kept; codes, refresh tokens and revocations are sent once each
(``bench/unique.lua``). During each round the CPU time of the servers' processes,
PostgreSQL's and Redis's is read from ``/proc``: the table gives each one's CPU milliseconds
per request, and so the requests per second a core of each serves (on a machine with fewer
cores than the two servers need, that is what shows how they would scale on their own).
Ports 8400-8499. A few minutes; needs wrk and PostgreSQL at 127.0.0.1:5432 (user ``postgres``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import http_bench  # bench/: request() and the wrk runners
import seed as seed_module  # bench/: the codes and refresh tokens written directly

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PORTS = range(8400, 8500)
SECRET, REDIRECT_URI, VERIFIER = seed_module.SECRET, seed_module.REDIRECT_URI, seed_module.VERIFIER
BODIES = 3000  # one-time bodies per server and round: more than a round can send
ENDPOINTS = (
    "API call",
    "client_credentials",
    "authorization_code",
    "refresh",
    "introspection",
    "revocation",
    "metadata",
    "jwks",
)


def free_port() -> int:
    return http_bench.free_port(PORTS)


class Redis:
    """A private redis-server on a free port (never the shared one), restartable."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        argv = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port)]
        argv += ["--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


class Server(http_bench.Server):
    """The example project under gunicorn, 2 sync workers, on a port of 8400-8499."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.port = port
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        argv = [gunicorn, "bench.counting_wsgi:application", "-w", "2"]
        self.proc = subprocess.Popen(
            [*argv, "-b", f"127.0.0.1:{port}", *http_bench.QUIET], cwd=ROOT, env=env
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            up = http_bench.request(port, "GET", "/oauth/health/")[0] == 200
            if up and len(self.workers()) == 2:
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start")


def environment(database_url: str, cache_url: str, issuer: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="example_project.settings",
        DATABASE_URL=database_url,
        CACHE_URL=cache_url,
        OAUTHCORE_ISSUER=issuer,
        DEBUG="false",
        PYTHONPATH=str(ROOT),
    )
    return env


def psql(*statements: str) -> None:
    for statement in statements:
        argv = ["psql", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-qc", statement]
        subprocess.run(argv, check=True)


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.append(str(ROOT))  # after a checkout put first (state_bounds.py --code)
    import django

    django.setup()


def seed(counts: int) -> dict:
    """Make the client, the user, and the one-time codes, refresh tokens and tokens to revoke."""
    import secrets
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from oauthcore.server import issuance

    user = get_user_model().objects.create_user("alice", password="scale-out-password")
    client = seed_module.write_client("scale", ["read:profile", "publish"])
    codes = seed_module.write_codes(client, user, counts, scope="read:profile")
    refresh, revoke = (
        seed_module.write_refresh_tokens(
            client,
            user,
            counts,
            scope="read:profile",
            access_token_jti=lambda: secrets.token_urlsafe(16),  # a revocation deny-lists it
            access_token_expires_at=timezone.now() + timedelta(hours=1),
        )
        for _ in range(2)
    )
    token = issuance.issue(client=client, user=user, scope=["read:profile"]).value
    return {"codes": codes, "refresh": refresh, "revoke": revoke, "token": token}


def basic() -> str:
    return seed_module.basic("scale")


def requests_of(
    data: dict, endpoint: str, count: int | None = None
) -> tuple[str, str, list[str] | None]:
    """Return (path, Authorization, the bodies to send or None for a GET) for ``endpoint``.

    One-time bodies (codes, refresh tokens, revocations) are taken from ``data``: never reused.
    """
    count = count or data["bodies"]
    if endpoint in GETS:
        path, bearer = GETS[endpoint]
        return path, f"Bearer {data['token']}" if bearer else "", None
    if endpoint in ONE_TIME:
        path, template, key = ONE_TIME[endpoint]
        taken, data[key] = data[key][:count], data[key][count:]
        return path, basic(), [template.format(value=value) for value in taken]
    path, body = REPEATED[endpoint]  # the same body every time: more than a round can send
    return path, basic(), [body.format(token=data["token"])] * max(count, 100_000)


GETS = {
    "API call": ("/api/profile/", True),
    "metadata": ("/.well-known/openid-configuration", False),
    "jwks": ("/oauth/jwks.json", False),
}
REPEATED = {
    "client_credentials": ("/oauth/token/", "grant_type=client_credentials&scope=publish"),
    "introspection": ("/oauth/introspect/", "token={token}"),
}
ONE_TIME = {
    "authorization_code": (
        "/oauth/token/",
        f"grant_type=authorization_code&code={{value}}&redirect_uri={REDIRECT_URI}"
        f"&code_verifier={VERIFIER}",
        "codes",
    ),
    "refresh": ("/oauth/token/", "grant_type=refresh_token&refresh_token={value}", "refresh"),
    "revocation": ("/oauth/revoke/", "token={value}&token_type_hint=refresh_token", "revoke"),
}


def queries_per_request(server: Server, data: dict, endpoint: str) -> int:
    """Send three requests to ``endpoint``; return the ``X-Queries`` of the last (warm) one."""
    for _ in range(3):
        path, auth, bodies = requests_of(data, endpoint, 1)
        conn = http_bench.http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        headers = {"Authorization": auth} if auth else {}
        if bodies:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        method, body = ("POST", bodies[0]) if bodies else ("GET", None)
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        assert response.status == 200, (endpoint, response.status)
    return int(response.getheader("X-Queries"))


HZ = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """The CPU time (user + system) the processes ``pids`` have used so far."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / HZ


def postgres_pids() -> list[int]:
    """PostgreSQL's processes (its backends come and go: read again around each round)."""
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "postgres":
                found.append(int(entry.name))
    return found


def processes(servers: list[Server], redis: Redis) -> dict[str, list[int]]:
    return {
        "gunicorn": [pid for s in servers for pid in (s.proc.pid, *s.workers())],
        "postgres": postgres_pids(),
        "redis": [redis.proc.pid],
    }


def one_round(servers: list[Server], redis: Redis, data: dict, endpoint: str, seconds: int) -> dict:
    """Load every server at once (one wrk each, the bodies split); return the summed req/s and
    the CPU milliseconds per request of the servers, PostgreSQL and Redis."""

    def run(server: Server) -> dict:
        path, auth, bodies = requests_of(data, endpoint)
        if bodies is None:
            return http_bench.wrk_load(server.port, path, auth, f"{seconds}s")
        return http_bench.wrk_once(server.port, path, auth, bodies, f"{seconds}s", "body")

    pids = processes(servers, redis)
    before = {name: cpu_seconds(group) for name, group in pids.items()}
    began = time.monotonic()
    with ThreadPoolExecutor(len(servers)) as pool:
        results = list(pool.map(run, servers))
    elapsed = time.monotonic() - began
    pids["postgres"] = sorted(set(pids["postgres"]) | set(postgres_pids()))
    used = {name: cpu_seconds(group) - before[name] for name, group in pids.items()}
    rps = sum(r["rps"] for r in results)
    for server in servers:
        server.drain()
    return {
        "rps": rps,
        "errors": sum(r["errors"] for r in results),
        "exhausted": any(r.get("exhausted") for r in results),
        "cpu ms": {name: 1000 * s / max(rps * elapsed, 1) for name, s in used.items()},
    }


def table(results: dict) -> list[str]:
    """Throughput with one and two servers, and the CPU each request cost the servers,
    PostgreSQL and Redis (one server → two): what a core of each serves."""
    lines = [
        "| endpoint | SQL queries / request | 1 server req/s | 2 servers req/s | x "
        "| gunicorn CPU ms / request (1 → 2) | PostgreSQL CPU ms / request (1 → 2) "
        "| Redis CPU ms / request | req/s per gunicorn core | req/s per PostgreSQL core |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for endpoint, row in results.items():
        one, two = row["1"], row["2"]
        notes = "".join(
            f" ({r['errors']} errors)" * bool(r["errors"]) + " (ran out)" * r["exhausted"]
            for r in (one, two)
        )
        ratio = two["rps"] / one["rps"] if one["rps"] else 0
        g1, g2 = one["cpu ms"]["gunicorn"], two["cpu ms"]["gunicorn"]
        p1, p2 = one["cpu ms"]["postgres"], two["cpu ms"]["postgres"]
        per_pg = f"{1000 / p1:,.0f}" if p1 >= 0.005 else "(none)"
        lines.append(
            f"| {endpoint} | {row['queries']} | {one['rps']:.0f} | {two['rps']:.0f} | "
            f"{ratio:.2f}{notes} | {g1:.2f} → {g2:.2f} | {p1:.2f} → {p2:.2f} | "
            f"{one['cpu ms']['redis']:.2f} | {1000 / max(g1, 0.001):,.0f} | {per_pg} |"
        )
    return lines


@contextlib.contextmanager
def stack(database: str, pgbouncer: bool, count: int):
    """Yield two servers on a fresh database and a private Redis, the seeded data, the Redis."""
    psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)", f"CREATE DATABASE {database}")
    redis = Redis()
    servers: list[Server] = []
    try:
        port = 6432 if pgbouncer else 5432
        database_url = f"postgres://postgres@127.0.0.1:{port}/{database}?conn_max_age=60"
        issuer_port = free_port()
        env = environment(
            database_url, f"redis://127.0.0.1:{redis.port}/0", f"http://127.0.0.1:{issuer_port}"
        )
        if pgbouncer:
            env["DATABASE_TRANSACTION_POOLING"] = "true"
        manage = [sys.executable, "manage.py", "migrate", "-v0"]
        subprocess.run(manage, cwd=ROOT, env=env, check=True)
        setup_django(env)
        data = seed(count)
        from django.db import connections

        connections.close_all()
        servers.append(Server(env, issuer_port))
        servers.append(Server(env, free_port()))
        yield servers, data, redis
    finally:
        for server in servers:
            server.stop()
        redis.stop()
        psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3, help="per round (default 3)")
    parser.add_argument("--rounds", type=int, default=2, help="per endpoint and count, best kept")
    parser.add_argument("--database", default="oauthcore_scale_bench")
    parser.add_argument("--pgbouncer", action="store_true", help="through 127.0.0.1:6432")
    parser.add_argument("--quick", action="store_true", help="1 round of 1 s: checks it works")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    bodies = 300 if args.quick else BODIES
    if args.quick:
        args.seconds, args.rounds = 1, 1
    if shutil.which("wrk") is None:
        print("needs wrk (apt-get install -y wrk)", file=sys.stderr)
        return 2
    count = bodies * 3 * args.rounds + 3
    with stack(args.database, args.pgbouncer, count) as (servers, data, redis):
        data["bodies"], results = bodies, {}
        for endpoint in ENDPOINTS:
            rounds = {"1": [], "2": []}
            queries = queries_per_request(servers[0], data, endpoint)
            for _ in range(args.rounds):  # interleaved: the machine's other load hits both
                rounds["1"].append(one_round(servers[:1], redis, data, endpoint, args.seconds))
                rounds["2"].append(one_round(servers, redis, data, endpoint, args.seconds))
            best = {n: max(r, key=lambda x: x["rps"]) for n, r in rounds.items()}
            results[endpoint] = {"queries": queries, **best}
            print(endpoint, results[endpoint], flush=True)
    print("\n".join(table(results)))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
