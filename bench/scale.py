"""Scale benchmark: every endpoint with 10^3 rows per table, then 10^7 (``make bench-scale``).

    python bench/scale.py            # 10^3, then 10^7 refresh tokens and audit events (~25 min)
    python bench/scale.py --quick    # 10^3, then 10^5, one 1-s round each (CI, ~1.5 min)
    python bench/scale.py --exponent 6    # 10^3, then 10^6
    python bench/scale.py --json FILE

On PostgreSQL (127.0.0.1:5432, user postgres; the databases ``scale`` and ``scale_large`` are
created and dropped, ``BENCH_SCALE_DB``) and Redis (dbs 8 and 7, ``BENCH_SCALE_CACHE`` and
``BENCH_SCALE_LARGE_CACHE``), the example project under gunicorn, one server per database (2 sync
workers each, ports in 8300-8399, ``bench/scale_settings.py``: the audit log on):

1. migrate; filler rows in SQL (``scale_seed.py``); the benchmark's own user, client, consent,
   key, codes and refresh tokens through oauthcore's code: the small database;
2. the large database: a copy of the small one (``CREATE DATABASE ... TEMPLATE``), its filler
   grown to the large size (10^7 refresh tokens and audit events, 10^6 codes, consents and
   users, 10^5 clients and live deny-list rows); VACUUM ANALYZE both, CHECKPOINT, and a wait
   until the CPU is 90 % idle again (at most 10 minutes);
3. every endpoint measured on both servers, the sizes taking turns round by round, so that what
   the machine does meanwhile (another program, PostgreSQL writing back) falls on both sizes;
4. ``cleartokens --progress`` deletes the large database's whole expired half (≈ 10^7 rows)
   while the token endpoint is under load until it is done: its p99 beside the run against its
   p99 without, also by the kind being deleted; the longest statement and any lock wait seen in
   ``pg_stat_activity`` meanwhile.

Each endpoint: ``wrk -t2 -c4 --latency`` rounds, the median round's requests/s, p50 and p99 (codes
and refresh tokens each sent once, ``unique.lua``); the admin changelists (a staff
session): sequential requests, median and slowest. Then the ratios, large over small, against
the targets (1.25 for every endpoint; 1.5 for the token endpoint's p99 beside ``cleartokens``).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import scale_seed  # noqa: E402
from http_bench import free_port, request  # noqa: E402

PORTS = range(8300, 8400)
TARGET, HOUSEKEEPING_TARGET = 1.25, 1.5
HOUSEKEEPING_PER_ROUND = 2000  # refresh tokens set aside per 3-s round (≈ 330 used at 10^7)
SMALL = dict.fromkeys(scale_seed.FILLERS, 10**3)
LARGE = {
    "users": 10**6,
    "clients": 10**5,
    "refresh tokens": 10**7,
    "codes": 10**6,
    "consents": 10**6,
    "audit events": 10**7,
    "revoked access tokens": 10**5,
}


def large(exponent: int) -> dict:
    """LARGE scaled so that the refresh tokens and audit events number 10^exponent."""
    return {kind: max(10**3, count // 10 ** (7 - exponent)) for kind, count in LARGE.items()}


SIZES = ("small", "large")
SCOPE = "openid profile email read:profile"
READER = "reader"  # the user whose connected-apps page is measured


def mode(quick: bool, exponent: int) -> dict:
    if quick:
        return {
            "large": large(5),
            **{"rounds": 1, "wrk": 1, "per_round": 1500, "admin": 3, "busy": 4},
        }
    # "busy": at most that many rounds of each grant beside cleartokens, which deletes the whole
    # expired half (≈ 15 minutes at 10^7): the load goes on until it is done.
    return {
        "large": large(exponent),
        **{"rounds": 5, "wrk": 3, "per_round": 4000, "admin": 2, "busy": 150},
    }


# -- the database -------------------------------------------------------------------------------


def admin_sql(statement: str) -> None:
    import psycopg

    with psycopg.connect(pg_url("postgres"), autocommit=True) as connection:
        connection.execute(statement)


def pg_url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def vacuum(*names: str) -> float:
    import psycopg

    began = time.monotonic()
    for name in names:
        with psycopg.connect(pg_url(name), autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")
    return time.monotonic() - began


def cpu_idle(seconds: float) -> float:
    """Return the fraction of the machine's CPU time left idle during the next ``seconds``."""

    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]  # all, idle + iowait

    total_a, idle_a = sample()
    time.sleep(seconds)
    total_b, idle_b = sample()
    return (idle_b - idle_a) / max(total_b - total_a, 1)


def settle(limit: float = 600.0) -> float:
    """CHECKPOINT, then wait until the machine is idle again (PostgreSQL writing back what a
    size's seeding dirtied, autovacuum): what runs after must not compete with it. Return the
    seconds waited."""
    import psycopg

    began = time.monotonic()
    with psycopg.connect(pg_url("postgres"), autocommit=True) as connection:
        connection.execute("CHECKPOINT")
    os.sync()
    while time.monotonic() - began < limit and cpu_idle(3.0) < 0.9:
        pass
    return time.monotonic() - began


def drop_databases() -> None:
    for place in PLACES.values():
        admin_sql(f'DROP DATABASE IF EXISTS "{place.database}" WITH (FORCE)')


def setup_database() -> dict:
    """Create the small database, migrate, fill it; make the benchmark's own rows."""
    import redis

    drop_databases()
    admin_sql(f'CREATE DATABASE "{PLACES["small"].database}"')
    for place in PLACES.values():
        redis.Redis.from_url(place.cache).flushdb()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        scale_seed.reserve_ids(cursor)
    connection.close()
    scale_seed.grow(pg_url(PLACES["small"].database), {}, SMALL)
    return live_rows()


def live_rows() -> dict:
    """Make the user, client, consent and signing key the benchmark uses, through oauthcore."""
    from django.contrib.auth import get_user_model
    from seed import SECRET, basic, write_client, write_refresh_tokens

    from oauthcore.jose import keyring
    from oauthcore.models import Consent

    user = get_user_model().objects.create_superuser("bench", "bench@example.com", SECRET)
    client = write_client("bench", [*SCOPE.split(), "publish"], can_introspect=True)
    Consent.objects.create(user=user, client=client, scopes=SCOPE.split())
    # The connected-apps page is read as a user whose history is the same at both sizes: the
    # bench user gains every code and refresh token of the run, which is not the tables growing.
    reader = get_user_model().objects.create_user(READER, "reader@example.com", SECRET)
    Consent.objects.create(user=reader, client=client, scopes=SCOPE.split())
    write_refresh_tokens(client, reader, 20, scope="read:profile")
    keyring.signing_key()
    return {"auth": basic("bench"), "password": SECRET}


def copy_database() -> None:
    """Make the large database a copy of the small one: the same benchmark rows (user, client,
    key, codes, refresh tokens), whose filler is then grown."""
    from django.db import connections

    connections.close_all()
    admin_sql(f'CREATE DATABASE "{PLACES["large"].database}" TEMPLATE "{PLACES["small"].database}"')


def use_database(name: str) -> None:
    """Point this process's Django connection at database ``name``."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = name


def consumables(cfg: dict, extra_refresh: int = 0) -> dict:
    """Codes, refresh tokens and access tokens for one measurement, made through oauthcore."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from seed import write_codes, write_refresh_tokens

    from oauthcore.models import Client
    from oauthcore.server import issuance

    user = get_user_model().objects.get(username="bench")
    client = Client.objects.get(client_id="bench")
    count = cfg["per_round"] * cfg["rounds"] + 10
    made = {
        "code": write_codes(client, user, count, scope="read:profile"),
        "refresh": write_refresh_tokens(client, user, count + extra_refresh, scope="read:profile"),
        "revoke": write_refresh_tokens(client, user, count, scope="read:profile"),
        "access": issuance.issue(client=client, user=user, scope=SCOPE.split()).value,
    }
    connection.close()
    return made


# -- the server and the load --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Place:
    """Where one size lives: its database, its Redis database, its server's port."""

    database: str
    cache: str
    port: int

    def env(self) -> dict:
        return {**os.environ, "DATABASE_URL": pg_url(self.database), "CACHE_URL": self.cache}


PLACES: dict[str, Place] = {}  # size -> Place, set by configure()


class Server:
    """gunicorn serving the example project with the scale settings: 2 sync workers."""

    def __init__(self, place: Place) -> None:
        self.port = place.port
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        args = ["-w", "2", "-b", f"127.0.0.1:{self.port}", "--timeout", "300"]
        self.proc = subprocess.Popen(
            [gunicorn, "example_project.wsgi", *args, "--log-level", "warning"],
            cwd=ROOT,
            env=place.env(),
            start_new_session=True,  # its own process group: stop() ends the workers too
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if request(self.port, "GET", "/oauth/health/")[0] == 200:
                return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        """End gunicorn and its workers, even one still busy with a long admin page."""
        os.killpg(self.proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def login(port: int, password: str, username: str = "bench") -> str:
    """Sign a user in through the login form; return the session cookie header."""
    import requests

    session = requests.Session()
    base = f"http://127.0.0.1:{port}"
    page = session.get(f"{base}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    form = {"username": username, "password": password, "csrfmiddlewaretoken": token}
    session.post(f"{base}/accounts/login/", data=form, timeout=30, allow_redirects=False)
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def parse_wrk(out: str) -> dict:
    """Requests/s, p50 and p99 (ms), errors, requests sent: from ``wrk --latency`` output."""

    def latency(pct: str) -> float:
        value, unit = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)\b", out).groups()
        return float(value) * UNITS[unit]

    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": int(bad.group(1)) if bad else 0,
        "sent": int(re.search(r"(\d+) requests in", out).group(1)),
    }


def wrk(port: int, target: dict, seconds: float) -> dict:
    """One round of wrk against ``target`` (path, headers, and bodies sent each once)."""
    args = ["wrk", "-t2", "-c4", f"-d{seconds}s", "--latency", "--timeout", "30s"]
    for name, value in target.get("headers", {}).items():
        args += ["-H", f"{name}: {value}"]
    url = f"http://127.0.0.1:{port}{target['path']}"
    if "bodies" not in target:
        return parse_wrk(subprocess.run([*args, url], capture_output=True, text=True).stdout)
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as file:
        file.write("\n".join(target["bodies"]) + "\n")
        file.flush()
        script = ["-s", str(HERE / "unique.lua"), url, "--", file.name, "2"]
        out = subprocess.run(
            [*args, *script, target.get("auth", ""), "body"], capture_output=True, text=True
        ).stdout
    result = parse_wrk(out)
    result["exhausted"] = result["sent"] > len(target["bodies"])
    return result


def take(made: dict, kind: str, count: int) -> list[str]:
    values, made[kind] = made[kind][:count], made[kind][count:]
    return values


def endpoints(live: dict, made: dict, cookies: dict, per_round: int) -> dict:
    """Name -> a function returning the next round's target (fresh bodies each round)."""
    from seed import REDIRECT_URI, VERIFIER

    from oauthcore.server import pkce

    auth, bearer = live["auth"], {"Authorization": f"Bearer {made['access']}"}
    code_form = (
        f"grant_type=authorization_code&redirect_uri={REDIRECT_URI}&code_verifier={VERIFIER}"
    )
    authorize = (
        f"/oauth/authorize/?response_type=code&client_id=bench&redirect_uri={REDIRECT_URI}"
        f"&scope={SCOPE.replace(' ', '+')}&state=s&code_challenge_method=S256"
        f"&code_challenge={pkce.s256(VERIFIER)}"
    )

    def post(path: str, bodies: list[str]) -> dict:
        return {"path": path, "bodies": bodies, "auth": auth}

    return {
        "token: client_credentials": lambda: post(
            "/oauth/token/", ["grant_type=client_credentials&scope=publish"] * 100000
        ),
        "token: authorization_code + PKCE": lambda: post(
            "/oauth/token/",
            [f"{code_form}&code={c}" for c in take(made, "code", per_round)],
        ),
        "token: refresh_token": lambda: post(
            "/oauth/token/",
            [
                f"grant_type=refresh_token&refresh_token={r}"
                for r in take(made, "refresh", per_round)
            ],
        ),
        "revocation (refresh token)": lambda: post(
            "/oauth/revoke/",
            [f"token={r}&token_type_hint=refresh_token" for r in take(made, "revoke", per_round)],
        ),
        "introspection": lambda: post("/oauth/introspect/", [f"token={made['access']}"] * 100000),
        "userinfo": lambda: {"path": "/oauth/userinfo/", "headers": bearer},
        "API call (/api/profile/)": lambda: {"path": "/api/profile/", "headers": bearer},
        "authorize (consented: redirect)": lambda: {
            "path": authorize,
            "headers": {"Cookie": cookies["bench"]},
        },
        "connected apps page": lambda: {
            "path": "/oauth/apps/",
            "headers": {"Cookie": cookies[READER]},
        },
        "JWKS": lambda: {"path": "/oauth/jwks.json"},
        "metadata (RFC 8414)": lambda: {"path": "/.well-known/oauth-authorization-server"},
        "metadata (OpenID)": lambda: {"path": "/.well-known/openid-configuration"},
    }


def typical(runs: list[dict]) -> dict:
    """The median round's numbers: one lucky or unlucky round of a few seconds decides nothing."""
    counted = [r for r in runs if not r.get("exhausted")] or runs
    return {
        "rps": statistics.median(r["rps"] for r in counted),
        "p50": statistics.median(r["p50"] for r in counted),
        "p99": statistics.median(r["p99"] for r in counted),
        "worst p99": max(r["p99"] for r in counted),
        "rounds": len(counted),
        "errors": sum(r["errors"] for r in counted),
    }


def check_answers(port: int, targets: dict) -> None:
    """Every endpoint answers 200 (authorize: 302) before it is measured."""
    for name, make in targets.items():
        target = make()
        headers = dict(target.get("headers", {}))
        body = ""
        if "bodies" in target:
            headers["Authorization"], body = target["auth"], target["bodies"][0]
            target["bodies"][:] = target["bodies"][1:]
        status, answer = request(port, "POST" if body else "GET", target["path"], body, headers)
        assert status in (200, 302), (name, status, answer[:300])


def bench_endpoints(ports: dict, live: dict, made: dict, cookies: dict, cfg: dict) -> dict:
    """Each endpoint's rounds on both sizes' servers, taking turns: size -> name -> numbers.

    Both databases hold the same codes and refresh tokens; each size sends each once."""
    targets = {}
    for size, port in ports.items():
        own = {
            kind: list(values) if isinstance(values, list) else values
            for kind, values in made.items()
        }
        check_answers(port, endpoints(live, own, cookies[size], 2))
        targets[size] = endpoints(live, own, cookies[size], cfg["per_round"])
    runs = {size: {name: [] for name in targets[size]} for size in ports}
    for turn in range(cfg["rounds"]):
        for name in targets["small"]:
            for size in SIZES if turn % 2 == 0 else SIZES[::-1]:
                runs[size][name].append(wrk(ports[size], targets[size][name](), cfg["wrk"]))
    return {
        size: {name: typical(rounds) for name, rounds in by_name.items()}
        for size, by_name in runs.items()
    }


def changelists() -> dict[str, str]:
    from django.contrib import admin
    from django.urls import reverse

    return {
        str(model._meta.verbose_name_plural): reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        )
        for model in admin.site._registry
        if model._meta.app_label == "oauthcore"
    }


def admin_page(port: int, cookie: str, path: str) -> tuple[float, int | str]:
    """One changelist request: its milliseconds and status (60 s at most)."""
    import requests

    began = time.monotonic()
    try:
        answer = requests.get(
            f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie}, timeout=60
        )
    except requests.Timeout:
        return 60000.0, "timeout after 60 s"
    return (time.monotonic() - began) * 1000, answer.status_code


def bench_admin(ports: dict, cookies: dict, cfg: dict) -> dict:
    """Each changelist requested ``cfg['admin']`` times on each size's server, taking turns:
    size -> changelist -> median and slowest ms."""
    results: dict[str, dict] = {size: {} for size in ports}
    for name, path in changelists().items():
        times: dict[str, list[float]] = {size: [] for size in ports}
        status: dict[str, int | str] = {}
        for _ in range(cfg["admin"]):
            for size, port in ports.items():
                if isinstance(status.get(size), str):
                    continue  # timed out once: not again
                took, status[size] = admin_page(port, cookies[size]["bench"], path)
                times[size].append(took)
        for size in ports:
            results[size][name] = {
                "p50": statistics.median(times[size]),
                "p99": max(times[size]),
                "status": status[size],
            }
    return results


def measure(live: dict, made: dict, cfg: dict) -> dict:
    """Both sizes measured side by side: size -> {"endpoints": ..., "admin": ...}."""
    servers = {size: Server(PLACES[size]) for size in SIZES}
    try:
        ports = {size: server.port for size, server in servers.items()}
        cookies = {
            size: {name: login(port, live["password"], name) for name in ("bench", READER)}
            for size, port in ports.items()
        }
        print("  measuring the endpoints (both sizes, taking turns) ...", flush=True)
        endpoints_by_size = bench_endpoints(ports, live, made, cookies, cfg)
        print("  measuring the admin changelists (both sizes, taking turns) ...", flush=True)
        admin_by_size = bench_admin(ports, cookies, cfg)
    finally:
        for server in servers.values():
            server.stop()
    return {
        size: {"endpoints": endpoints_by_size[size], "admin": admin_by_size[size]} for size in SIZES
    }


# -- housekeeping beside traffic ----------------------------------------------------------------


class Watch(threading.Thread):
    """Sample pg_stat_activity: the longest cleartokens statement, and who waits on a lock."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop, self.longest, self.waits = threading.Event(), 0.0, []

    def run(self) -> None:
        import psycopg

        with psycopg.connect(pg_url(PLACES["large"].database), autocommit=True) as connection:
            while not self.stop.wait(0.1):
                for app, seconds, wait, query in connection.execute(
                    "SELECT application_name, extract(epoch FROM now() - query_start),"
                    " wait_event_type, query FROM pg_stat_activity"
                    " WHERE datname = current_database() AND state = 'active'"
                    " AND pid <> pg_backend_pid()"
                ).fetchall():
                    if app == "cleartokens":
                        self.longest = max(self.longest, float(seconds))
                    if wait == "Lock":
                        self.waits.append((app, float(seconds), query[:200]))


def token_targets(live: dict, made: dict, per_round: int) -> dict:
    every = endpoints(live, made, {}, per_round)
    return {name: every[name] for name in ("token: refresh_token", "token: client_credentials")}


class Sweep(threading.Thread):
    """Read ``cleartokens --progress`` as it writes: what it is deleting now."""

    def __init__(self, run: subprocess.Popen, kinds: list[str]) -> None:
        super().__init__(daemon=True)
        self.process, self.kinds, self.lines = run, kinds, []
        self.now = kinds[0]

    def run(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line.rstrip())
            name, _, state = line.partition(": ")
            if name not in self.kinds:
                continue
            if " so far " in state:
                self.now = name
            elif name != self.kinds[-1]:  # done or stopped: the next kind starts
                self.now = self.kinds[self.kinds.index(name) + 1]


def bench_housekeeping(live: dict, cfg: dict) -> dict:
    """The token endpoint without, then beside, ``cleartokens`` deleting the large database's
    whole expired half; each round beside it labelled with the kind being deleted."""
    from django.utils import timezone

    from oauthcore.ops import housekeeping

    use_database(PLACES["large"].database)
    made = consumables(cfg, extra_refresh=HOUSEKEEPING_PER_ROUND * cfg["busy"])
    server = Server(PLACES["large"])
    try:
        targets = token_targets(live, made, HOUSEKEEPING_PER_ROUND)
        quiet = {name: [] for name in targets}
        for _ in range(cfg["rounds"]):
            for name, make in targets.items():
                quiet[name].append(wrk(server.port, make(), cfg["wrk"]))
        env = {**PLACES["large"].env(), "PGAPPNAME": "cleartokens"}
        pause = (
            ["--pause", os.environ["BENCH_SCALE_PAUSE"]]
            if "BENCH_SCALE_PAUSE" in os.environ
            else []
        )
        watch = Watch()
        watch.start()
        began = time.monotonic()
        run = subprocess.Popen(
            [sys.executable, "manage.py", "cleartokens", "--progress", *pause],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        sweep = Sweep(run, [target.name for target in housekeeping.targets(timezone.now())])
        sweep.start()
        busy = {name: [] for name in targets}
        during: dict[tuple[str, str], list[dict]] = {}
        for _ in range(cfg["busy"]):
            for name, make in targets.items():
                if run.poll() is None:
                    kind, numbers = sweep.now, wrk(server.port, make(), cfg["wrk"])
                    busy[name].append(numbers)
                    during.setdefault((name, kind), []).append(numbers)
        out = run.stdout.read()
        run.wait()
        sweep.join()
        seconds = time.monotonic() - began
        watch.stop.set()
        watch.join()
    finally:
        server.stop()
    return {
        "quiet": {name: typical(rounds) for name, rounds in quiet.items()},
        "busy": {name: typical(rounds) for name, rounds in busy.items() if rounds},
        "during": [
            {"endpoint": name, "deleting": kind, **typical(rounds)}
            for (name, kind), rounds in during.items()
        ],
        "seconds": seconds,
        "summary": out.strip(),
        "progress": [line for line in sweep.lines if " so far " not in line],
        "returncode": run.returncode,
        "longest statement": watch.longest,
        "lock waits": watch.waits[:20],
    }


# -- the report ---------------------------------------------------------------------------------


def size_label(sizes: dict) -> str:
    return f"{sizes['refresh tokens']:.0e} refresh tokens".replace("+0", "").replace("1e", "10^")


def endpoint_table(small: dict, large: dict, labels: tuple[str, str]) -> tuple[list[str], int]:
    head = (
        f"| endpoint | {labels[0]} req/s | p50 ms | p99 ms | {labels[1]} req/s | p50 ms | p99 ms "
        "| p50 x | p99 x | target |"
    )
    lines, missed = [head, "| --- |" + " ---: |" * 8 + " --- |"], 0
    for name, a in small.items():
        b = large[name]
        r50, r99 = b["p50"] / a["p50"], b["p99"] / a["p99"]
        ok = r50 <= TARGET and r99 <= TARGET
        missed += not ok
        errors = f" ({a['errors']}/{b['errors']} errors)" if a["errors"] or b["errors"] else ""
        lines.append(
            f"| {name}{errors} | {a['rps']:.0f} | {a['p50']:.2f} | {a['p99']:.2f} | {b['rps']:.0f}"
            f" | {b['p50']:.2f} | {b['p99']:.2f} | {r50:.2f} | {r99:.2f} |"
            f" {'met' if ok else 'MISSED'} |"
        )
    return lines, missed


def admin_table(small: dict, large: dict, labels: tuple[str, str]) -> list[str]:
    lines = [
        f"| changelist | {labels[0]} ms (median / slowest) | {labels[1]} ms | x (median) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, a in small.items():
        b = large[name]
        note = "" if b["status"] == 200 else f" ({b['status']})"
        lines.append(
            f"| {name} | {a['p50']:.0f} / {a['p99']:.0f} | {b['p50']:.0f} / {b['p99']:.0f}{note}"
            f" | {b['p50'] / a['p50']:.1f} |"
        )
    return lines


def housekeeping_lines(result: dict) -> tuple[list[str], int]:
    lines = [
        f"cleartokens: {result['seconds']:.0f} s, exit {result['returncode']}; {result['summary']}",
        *(f"  {line}" for line in result["progress"]),
        f"longest cleartokens statement seen in pg_stat_activity: "
        f"{result['longest statement'] * 1000:.0f} ms",
        f"lock waits seen: {len(result['lock waits'])} {result['lock waits'][:3]}",
        "",
        "| token endpoint | quiet req/s | p50 | p99 | beside cleartokens req/s (median round) "
        "| p50 | p99 | worst p99 | rounds | p99 x | target |",
        "| --- |" + " ---: |" * 9 + " --- |",
    ]
    missed = 0
    for name, a in result["quiet"].items():
        b = result["busy"].get(name)
        if b is None:
            lines.append(f"| {name} | {a['rps']:.0f} | {a['p50']:.2f} | {a['p99']:.2f} | not run |")
            continue
        ratio = b["p99"] / a["p99"]
        ok = ratio <= HOUSEKEEPING_TARGET
        missed += not ok
        lines.append(
            f"| {name} | {a['rps']:.0f} | {a['p50']:.2f} | {a['p99']:.2f} | {b['rps']:.0f} |"
            f" {b['p50']:.2f} | {b['p99']:.2f} | {b['worst p99']:.2f} | {b['rounds']} |"
            f" {ratio:.2f} | {'met' if ok else 'MISSED'} |"
        )
    lines += [
        "",
        "By the kind being deleted (median round; the target is judged on all rounds):",
        "",
        "| token endpoint | deleting | req/s | p50 | p99 | rounds | p99 x |",
        "| --- | --- |" + " ---: |" * 5,
    ]
    for row in result.get("during", []):
        ratio = row["p99"] / result["quiet"][row["endpoint"]]["p99"]
        lines.append(
            f"| {row['endpoint']} | {row['deleting']} | {row['rps']:.0f} | {row['p50']:.2f} |"
            f" {row['p99']:.2f} | {row['rounds']} | {ratio:.2f} |"
        )
    statement_ok = result["longest statement"] < 1.0 and not result["lock waits"]
    missed += not statement_ok
    lines.append(
        f"\nno cleartokens statement over 1 s and no lock wait: "
        f"{'met' if statement_ok else 'MISSED'}"
    )
    return lines, missed


def report(result: dict) -> int:
    labels = (size_label(result["sizes"]["small"]), size_label(result["sizes"]["large"]))
    small, large = result["small"], result["large"]
    print(f"\n### Endpoints: {labels[0]} vs {labels[1]} (wrk -t2 -c4, median round)\n")
    lines, missed = endpoint_table(small["endpoints"], large["endpoints"], labels)
    print("\n".join(lines))
    print("\n### Admin changelists (a staff session; sequential requests)\n")
    print("\n".join(admin_table(small["admin"], large["admin"], labels)))
    print(f"\n### cleartokens beside the token endpoint ({labels[1]})\n")
    lines, housekeeping_missed = housekeeping_lines(result["housekeeping"])
    print("\n".join(lines))
    missed += housekeeping_missed
    print("\nall targets met" if not missed else f"\n{missed} target(s) missed")
    return 0


# -- the run ------------------------------------------------------------------------------------


def configure() -> None:
    """Place each size; this process's own Django works on the small database."""
    database = os.environ.get("BENCH_SCALE_DB", "scale")
    small_port = free_port(PORTS)
    PLACES.update(
        small=Place(
            database,
            os.environ.get("BENCH_SCALE_CACHE", "redis://127.0.0.1:6379/8"),
            small_port,
        ),
        large=Place(
            f"{database}_large",
            os.environ.get("BENCH_SCALE_LARGE_CACHE", "redis://127.0.0.1:6379/7"),
            free_port(range(small_port + 1, PORTS.stop)),
        ),
    )
    os.environ.update(
        DATABASE_URL=pg_url(database),
        CACHE_URL=PLACES["small"].cache,
        DJANGO_SETTINGS_MODULE="bench.scale_settings",
        # One issuer for both servers, as for two servers behind one name.
        OAUTHCORE_ISSUER=f"http://127.0.0.1:{small_port}",
        DEBUG="false",
        PYTHONPATH=str(ROOT),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10^3 against 10^5 rows (CI).")
    parser.add_argument("--json", help="Also write the raw results to this file.")
    parser.add_argument(
        "--exponent", type=int, default=7, help="10^N refresh tokens at the large size (7)."
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        parser.error("needs wrk (apt-get install -y wrk)")
    cfg = mode(args.quick, args.exponent)
    configure()
    result = {"sizes": {"small": SMALL, "large": cfg["large"]}, "timings": {}}
    began = time.monotonic()

    def save() -> None:  # after every phase: a failure later keeps what was measured
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=1))

    try:
        print(f"Seeding {size_label(SMALL)} ...", flush=True)
        live = setup_database()
        made = consumables(cfg)  # before the copy: both databases hold them
        copy_database()
        print(f"Growing the copy to {size_label(cfg['large'])} ...", flush=True)
        grown = time.monotonic()
        scale_seed.grow(pg_url(PLACES["large"].database), SMALL, cfg["large"])
        result["timings"]["grow"] = time.monotonic() - grown
        result["timings"]["vacuum"] = vacuum(*(place.database for place in PLACES.values()))
        result["timings"]["settle"] = settle()
        result.update(measure(live, made, cfg))
        save()
        print("cleartokens beside the token endpoint ...", flush=True)
        result["housekeeping"] = bench_housekeeping(live, cfg)
    finally:
        drop_databases()
    result["timings"]["total"] = time.monotonic() - began
    save()
    print("timings (s): " + ", ".join(f"{k} {v:.0f}" for k, v in result["timings"].items()))
    return report(result)


if __name__ == "__main__":
    sys.exit(main())
