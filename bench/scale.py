"""Scale benchmark: every endpoint with 10^3 rows per table, then 10^7 (``make bench-scale``).

    python bench/scale.py            # 10^3, then 10^7 refresh tokens and audit events (~25 min)
    python bench/scale.py --quick    # 10^3, then 10^5, one 1-s round each (CI, ~1.5 min)
    python bench/scale.py --exponent 6    # 10^3, then 10^6
    python bench/scale.py --json FILE

On PostgreSQL (127.0.0.1:5432, user postgres; the database ``scale`` is created and dropped,
``BENCH_SCALE_DB``) and Redis (db 8, ``BENCH_SCALE_CACHE``), the example project under gunicorn
(2 sync workers, a port in 8300-8399, ``bench/scale_settings.py``: the audit log on):

1. migrate; filler rows in SQL (``scale_seed.py``); the benchmark's own user, client, consent
   and key through oauthcore's code; VACUUM ANALYZE; measure every endpoint;
2. grow the filler to the large size (10^7 refresh tokens and audit events, 10^6 codes, consents
   and users, 10^5 clients and live deny-list rows), VACUUM ANALYZE, measure again;
   before each size is measured: CHECKPOINT, and a wait until the CPU is 90 % idle again (at
   most 10 minutes), so that PostgreSQL's writing back of the seeding does not slow that size;
3. ``cleartokens --progress`` deletes the expired half (≈ 10^7 rows) while the token endpoint is
   under load: its p99 beside the run against its p99 without; the longest statement and any
   lock wait seen in ``pg_stat_activity`` meanwhile.

Each endpoint: ``wrk -t2 -c4 --latency`` rounds, the best round's requests/s, p50 and p99 (codes
and refresh tokens each sent once, ``unique_bodies.lua``); the admin changelists (a staff
session): sequential requests, median and slowest. Then the ratios, large over small, against
the targets (1.25 for every endpoint; 1.5 for the token endpoint's p99 beside ``cleartokens``).
"""

from __future__ import annotations

import argparse
import contextlib
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


SCOPE = "openid profile email read:profile"
READER = "reader"  # the user whose connected-apps page is measured


def mode(quick: bool, exponent: int) -> dict:
    if quick:
        return {
            "large": large(5),
            **{"rounds": 1, "wrk": 1, "per_round": 1500, "admin": 3, "busy": 4, "sweep": 0},
        }
    # cleartokens is stopped after "sweep" seconds (--max-seconds): its rate tells the rest.
    return {
        "large": large(exponent),
        **{"rounds": 3, "wrk": 3, "per_round": 4000, "admin": 2, "busy": 12, "sweep": 300},
    }


# -- the database -------------------------------------------------------------------------------


def admin_sql(statement: str) -> None:
    import psycopg

    with psycopg.connect(pg_url("postgres"), autocommit=True) as connection:
        connection.execute(statement)


def pg_url(name: str | None = None) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name or os.environ['BENCH_SCALE_DB']}"


def vacuum() -> float:
    import psycopg

    began = time.monotonic()
    with psycopg.connect(pg_url(), autocommit=True) as connection:
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
    with psycopg.connect(pg_url(), autocommit=True) as connection:
        connection.execute("CHECKPOINT")
    os.sync()
    while time.monotonic() - began < limit and cpu_idle(3.0) < 0.9:
        pass
    return time.monotonic() - began


def setup_database() -> dict:
    """Create the database, migrate, fill the small size; make the benchmark's own rows."""
    import redis

    name = os.environ["BENCH_SCALE_DB"]
    admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin_sql(f'CREATE DATABASE "{name}"')
    redis.Redis.from_url(os.environ["CACHE_URL"]).flushdb()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        scale_seed.reserve_ids(cursor)
    connection.close()
    scale_seed.grow(pg_url(), {}, SMALL)
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


class Server:
    """gunicorn serving the example project with the scale settings: 2 sync workers."""

    def __init__(self) -> None:
        self.port = int(os.environ["BENCH_SCALE_PORT"])
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        args = ["-w", "2", "-b", f"127.0.0.1:{self.port}", "--timeout", "300"]
        self.proc = subprocess.Popen(
            [gunicorn, "example_project.wsgi", *args, "--log-level", "warning"],
            cwd=ROOT,
            env=dict(os.environ),
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
        script = ["-s", str(HERE / "unique_bodies.lua"), url, "--", file.name, "2"]
        out = subprocess.run(
            [*args, *script, target.get("auth", "")], capture_output=True, text=True
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


def best(runs: list[dict]) -> dict:
    counted = [r for r in runs if not r.get("exhausted")] or runs
    return {
        "rps": max(r["rps"] for r in counted),
        "p50": min(r["p50"] for r in counted),
        "p99": min(r["p99"] for r in counted),
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


def bench_endpoints(port: int, live: dict, made: dict, cookies: dict, cfg: dict) -> dict:
    targets = endpoints(live, made, cookies, cfg["per_round"])
    check_answers(port, endpoints(live, made, cookies, 2))
    runs: dict[str, list[dict]] = {name: [] for name in targets}
    for _ in range(cfg["rounds"]):
        for name, make in targets.items():
            runs[name].append(wrk(port, make(), cfg["wrk"]))
    return {name: best(rounds) for name, rounds in runs.items()}


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


def bench_admin(port: int, cookie: str, cfg: dict) -> dict:
    """Each changelist requested ``cfg['admin']`` times in a row: median and slowest ms."""
    import requests

    results = {}
    for name, path in changelists().items():
        times, status = [], None
        for _ in range(cfg["admin"]):
            began = time.monotonic()
            try:
                answer = requests.get(
                    f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie}, timeout=60
                )
                status = answer.status_code
            except requests.Timeout:
                times, status = [60000.0], "timeout after 60 s"
                break
            times.append((time.monotonic() - began) * 1000)
        results[name] = {"p50": statistics.median(times), "p99": max(times), "status": status}
    return results


def measure(live: dict, cfg: dict, label: str) -> dict:
    made = consumables(cfg)
    server = Server()
    try:
        cookies = {name: login(server.port, live["password"], name) for name in ("bench", READER)}
        print(f"  measuring the endpoints ({label}) ...", flush=True)
        result = {"endpoints": bench_endpoints(server.port, live, made, cookies, cfg)}
        print(f"  measuring the admin changelists ({label}) ...", flush=True)
        result["admin"] = bench_admin(server.port, cookies["bench"], cfg)
    finally:
        server.stop()
    return result


# -- housekeeping beside traffic ----------------------------------------------------------------


class Watch(threading.Thread):
    """Sample pg_stat_activity: the longest cleartokens statement, and who waits on a lock."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop, self.longest, self.waits = threading.Event(), 0.0, []

    def run(self) -> None:
        import psycopg

        with psycopg.connect(pg_url(), autocommit=True) as connection:
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


def bench_housekeeping(live: dict, cfg: dict) -> dict:
    """The token endpoint without, then beside, ``cleartokens`` deleting the expired rows."""
    made = consumables(cfg, extra_refresh=cfg["per_round"] * cfg["busy"])
    server = Server()
    try:
        targets = token_targets(live, made, cfg["per_round"])
        quiet = {name: [] for name in targets}
        for _ in range(cfg["rounds"]):
            for name, make in targets.items():
                quiet[name].append(wrk(server.port, make(), cfg["wrk"]))
        env = {**os.environ, "PGAPPNAME": "cleartokens"}
        watch = Watch()
        watch.start()
        began = time.monotonic()
        limit = ["--max-seconds", str(cfg["sweep"])] if cfg["sweep"] else []
        if "BENCH_SCALE_PAUSE" in os.environ:  # else the command's default
            limit += ["--pause", os.environ["BENCH_SCALE_PAUSE"]]
        run = subprocess.Popen(
            [sys.executable, "manage.py", "cleartokens", "--progress", *limit],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        busy = {name: [] for name in targets}
        for _ in range(cfg["busy"]):
            for name, make in targets.items():
                if run.poll() is None:
                    busy[name].append(wrk(server.port, make(), cfg["wrk"]))
        out, err = run.communicate()
        seconds = time.monotonic() - began
        watch.stop.set()
        watch.join()
    finally:
        server.stop()
    return {
        "quiet": {name: best(rounds) for name, rounds in quiet.items()},
        "busy": {name: worst(rounds) for name, rounds in busy.items() if rounds},
        "seconds": seconds,
        "summary": out.strip(),
        "progress": [line for line in err.splitlines() if "so far" not in line],
        "returncode": run.returncode,
        "longest statement": watch.longest,
        "lock waits": watch.waits[:20],
    }


def worst(runs: list[dict]) -> dict:
    """The rounds beside cleartokens: the median round's numbers, and the worst p99."""
    return {
        "rps": statistics.median(r["rps"] for r in runs),
        "p50": statistics.median(r["p50"] for r in runs),
        "p99": statistics.median(r["p99"] for r in runs),
        "worst p99": max(r["p99"] for r in runs),
        "rounds": len(runs),
        "errors": sum(r["errors"] for r in runs),
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
    print(f"\n### Endpoints: {labels[0]} vs {labels[1]} (wrk -t2 -c4, best round)\n")
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
    os.environ.setdefault("BENCH_SCALE_DB", "scale")
    port = free_port(PORTS)
    os.environ.update(
        BENCH_SCALE_PORT=str(port),
        DATABASE_URL=pg_url(),
        CACHE_URL=os.environ.get("BENCH_SCALE_CACHE", "redis://127.0.0.1:6379/8"),
        DJANGO_SETTINGS_MODULE="bench.scale_settings",
        OAUTHCORE_ISSUER=f"http://127.0.0.1:{port}",
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
        result["timings"]["vacuum small"] = vacuum()
        result["timings"]["settle small"] = settle()
        result["small"] = measure(live, cfg, "small")
        save()
        print(f"Growing to {size_label(cfg['large'])} ...", flush=True)
        grown = time.monotonic()
        scale_seed.grow(pg_url(), SMALL, cfg["large"])
        result["timings"]["grow"] = time.monotonic() - grown
        result["timings"]["vacuum large"] = vacuum()
        result["timings"]["settle large"] = settle()
        result["large"] = measure(live, cfg, "large")
        save()
        print("cleartokens beside the token endpoint ...", flush=True)
        result["housekeeping"] = bench_housekeeping(live, cfg)
    finally:
        admin_sql(f'DROP DATABASE IF EXISTS "{os.environ["BENCH_SCALE_DB"]}" WITH (FORCE)')
    result["timings"]["total"] = time.monotonic() - began
    save()
    print("timings (s): " + ", ".join(f"{k} {v:.0f}" for k, v in result["timings"].items()))
    return report(result)


if __name__ == "__main__":
    sys.exit(main())
