"""HTTP benchmark on one database: gunicorn (2 sync workers) serving ``bench/project``.

    python bench/http_bench.py --db sqlite|postgres [--quick] [--json FILE]

Seeds a fresh database (SQLite file, or PostgreSQL ``bench_oauth`` created and dropped with
psql), starts gunicorn on a free port in 8100-8199, then measures, oauthcore and
django-oauth-toolkit in the same server process. The SQLite half uses the local-memory cache (the
defaults: DPoP ``jti``s go to the database), the PostgreSQL half Redis (production's
configuration: ``jti``s go to Redis), ``BENCH_REDIS_URL`` (default ``redis://127.0.0.1:6379/1``):

- API calls: ``wrk -t2 -c8`` against the floor, oauthcore (RS256, ES256, EdDSA; the deny-list off;
  every request a token's first use; a DPoP-bound RS256 token with a fresh ES256 proof on every
  request, made beforehand and sent once each by ``unique.lua``; and the floor view sent
  the same requests by the same script, what that load generator costs) and DOT: interleaved
  rounds, the best round's requests/s;
- the token endpoint: client_credentials, code exchange and refresh against oauthcore, DOT with
  hashing off and DOT with its defaults; wrk with ``unique.lua`` sends each code or
  refresh token once; interleaved rounds, the best round;
- without wrk, a Python load generator (threads, a new connection per request as gunicorn's sync
  workers close it) does both, and says so;
- the peak RSS (``VmHWM``) of the workers during each contender's token-endpoint load;
- the ASGI rows: uvicorn (2 workers) serving the same project, an async floor view, the async
  ``require_scopes`` (the token checked in the event loop) and the sync one (run in a thread).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import queue
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORTS = range(8100, 8200)
DPOP = "ours DPoP"  # RFC 9449: each request has its own proof, made before the round
# The floor view sent what the DPoP row sends, by the same wrk script: what the load generator
# itself costs (a Lua call and a fresh header per request), so that the DPoP row's ratio to it
# is the server's cost alone.
DPOP_FLOOR = "floor, DPoP's client"
PROOF_SENT = (DPOP, DPOP_FLOOR)
GRANTS = ("client_credentials", "authorization_code", "refresh_token")
TOKEN_CONTENDERS = ("ours", "dot", "dot-hashed")
QUIET = ["--log-level", "warning"]
PG = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c"]


def mode(quick: bool) -> dict:
    if quick:
        return {
            "rounds": 1,
            "wrk": "1s",
            "n": 800,
            "hashed": 30,
            "hashed_wrk": "3s",
            "threads": 4,
        }
    return {
        "rounds": 5,
        "wrk": "2s",
        "n": 5000,  # more than 2 s of the fastest grant: a round must not run out of bodies
        "hashed": 100,
        "hashed_wrk": "8s",
        "threads": 8,
    }


def free_port(ports: range = PORTS) -> int:
    for port in ports:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def cache_url(db: str) -> str:
    """Return the cache of a half: Redis for PostgreSQL if it answers, else local memory."""
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")
    if db != "postgres":
        return "locmemcache://"
    try:
        import redis

        redis.Redis.from_url(url, socket_timeout=2).ping()
    except Exception as e:  # not installed, not running
        print(f"  Redis not reachable at {url} ({e}): the PostgreSQL half uses local memory")
        return "locmemcache://"
    return url


def prepare_database(db: str) -> None:
    if db == "postgres":
        name = os.environ.setdefault("BENCH_PG_NAME", "bench_oauth")
        subprocess.run([*PG, f"DROP DATABASE IF EXISTS {name}"], check=True)
        subprocess.run([*PG, f"CREATE DATABASE {name}"], check=True)
    else:
        path = os.environ.setdefault("BENCH_SQLITE", str(ROOT / "bench/project/bench.sqlite3"))
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)


def drop_database(db: str) -> None:
    if db == "postgres":
        name = os.environ["BENCH_PG_NAME"]
        subprocess.run([*PG, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=False)
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(os.environ["BENCH_SQLITE"] + suffix).unlink(missing_ok=True)


class Server:
    """gunicorn with 2 sync workers on 127.0.0.1; its workers' /proc status for memory."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self.proc = subprocess.Popen(
            [gunicorn, "bench.project.wsgi", "-w", "2", "-b", f"127.0.0.1:{self.port}", *QUIET],
            cwd=ROOT,
            env=env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if request(self.port, "GET", "/api/floor/")[0] == 200 and len(self.workers()) == 2:
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def peak_rss_mb(self, reset: bool = False) -> float:
        """Return the largest VmHWM of the workers (MiB); reset the peaks after reading."""
        peaks = []
        for pid in self.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024)
            if reset:
                with contextlib.suppress(OSError):  # "5" resets the peak (Linux 4.0+)
                    Path(f"/proc/{pid}/clear_refs").write_text("5")
        return max(peaks, default=0.0)

    def drain(self) -> None:
        """Wait until both workers are idle: requests a load generator left queued are served."""
        quick, deadline = 0, time.monotonic() + 60
        while quick < 4 and time.monotonic() < deadline:
            start = time.monotonic()
            request(self.port, "GET", "/api/floor/")
            quick = quick + 1 if time.monotonic() - start < 0.05 else 0

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def request(port: int, method: str, path: str, body: str = "", headers=None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        hdrs = dict(headers or {})
        if body:
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body or None, headers=hdrs)
        response = conn.getresponse()
        return response.status, response.read()
    except OSError:
        return 0, b""
    finally:
        conn.close()


def python_load(port: int, jobs: list[tuple], threads: int, cap: float) -> dict:
    """Send each (method, path, body, headers) once from ``threads`` threads; stop after ``cap`` s."""
    work: queue.SimpleQueue = queue.SimpleQueue()
    for job in jobs:
        work.put(job)
    done, errors, lock = [0], [], threading.Lock()
    deadline = time.monotonic() + cap

    def worker() -> None:
        while time.monotonic() < deadline:
            try:
                job = work.get_nowait()
            except queue.Empty:
                return
            status, body = request(port, *job)
            with lock:
                done[0] += 1
                if status != 200:
                    errors.append((status, body[:200]))

    start = time.monotonic()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - start
    return {
        "rps": done[0] / elapsed,
        "requests": done[0],
        "errors": len(errors),
        "sample": errors[:1],
    }


def wrk_load(port: int, path: str, header: str, duration: str) -> dict:
    args = ["wrk", "-t2", "-c8", f"-d{duration}", f"http://127.0.0.1:{port}{path}"]
    if header:
        args[1:1] = ["-H", f"Authorization: {header}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": rps, "errors": int(bad.group(1)) if bad else 0}


def api_targets(data: dict) -> dict[str, tuple[str, str]]:
    ours = data["ours"]["api"]
    return {
        "floor": ("/api/floor/", ""),
        "ours RS256": ("/api/ours/", ours["RS256"]),
        "ours ES256": ("/api/ours/", ours["ES256"]),
        "ours EdDSA": ("/api/ours/", ours["EdDSA"]),
        "ours no deny-list": ("/api/ours-nodeny/", ours["RS256"]),
        "ours first use": ("/api/ours-first/", ours["RS256"]),
        DPOP: ("/api/ours/", "DPoP " + ours["DPoP"]),
        DPOP_FLOOR: ("/api/floor/", "DPoP " + ours["DPoP"]),
        "dot": ("/api/dot/", data["dot"]["api"]),
    }


def proofs_for(private_pem: str, token: str, htu: str, count: int) -> list[str]:
    """Return ``count`` fresh ES256 DPoP proofs of GET ``htu`` for ``token`` (RFC 9449 4.2)."""
    import jwt
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from oauthcore.jose import dpop, keys

    private_key = load_pem_private_key(private_pem.encode(), None)
    header = {"typ": "dpop+jwt", "jwk": keys.public_jwk(private_key.public_key())}
    claims = {"htm": "GET", "htu": htu, "ath": dpop.access_token_hash(token)}
    now, run = int(time.time()), secrets.token_urlsafe(6)  # jtis never repeat across calls
    return [
        jwt.encode({**claims, "jti": f"{run}-{i}", "iat": now}, private_key, "ES256", header)
        for i in range(count)
    ]


def dpop_proofs(data: dict, port: int, path: str, count: int) -> list[str]:
    """Return ``count`` fresh DPoP proofs of GET ``path`` for the bench's bound token."""
    ours = data["ours"]["api"]
    htu = f"http://127.0.0.1:{port}{path}"
    return proofs_for(ours["DPoP key"], ours["DPoP"], htu, count)


def dpop_round(server: Server, data: dict, path: str, header: str, cfg: dict, wrk: bool) -> dict:
    """One round of DPoP API calls: proofs made first (not timed), each sent once."""
    proofs = dpop_proofs(data, server.port, path, cfg["n"] * 4)
    if wrk:
        return wrk_once(server.port, path, header, proofs, cfg["wrk"], "DPoP")
    jobs = [("GET", path, "", {"Authorization": header, "DPoP": proof}) for proof in proofs]
    return python_load(server.port, jobs, 8, float(cfg["wrk"].rstrip("s")))


def bench_api(server: Server, data: dict, cfg: dict) -> dict:
    targets = api_targets(data)
    for name, (path, header) in targets.items():  # warm up both workers; all must answer 200
        proofs = dpop_proofs(data, server.port, path, 4) if name in PROOF_SENT else [None] * 4
        for proof in proofs:
            headers = {"Authorization": header, **({"DPoP": proof} if proof else {})}
            status, body = request(server.port, "GET", path, headers=headers)
            assert status == 200, (path, status, body)
    use_wrk = shutil.which("wrk") is not None
    if not use_wrk:
        print("  wrk not found (apt-get install -y wrk): API load from the Python generator")
    samples: dict[str, list[dict]] = {name: [] for name in targets}
    for _ in range(cfg["rounds"]):
        for name, (path, header) in targets.items():
            if name in PROOF_SENT:
                samples[name].append(dpop_round(server, data, path, header, cfg, use_wrk))
            elif use_wrk:
                samples[name].append(wrk_load(server.port, path, header, cfg["wrk"]))
            else:
                jobs = [("GET", path, "", {"Authorization": header} if header else {})] * 100000
                seconds = float(cfg["wrk"].rstrip("s"))
                samples[name].append(python_load(server.port, jobs, 8, seconds))
    return {
        name: {
            "rps": max(s["rps"] for s in runs),
            "errors": sum(s["errors"] for s in runs),
        }
        for name, runs in samples.items()
    }


def token_request(data: dict, contender: str, grant: str, count: int) -> tuple[str, str, list[str]]:
    """Return (path, Authorization, bodies): ``count`` bodies, each code or refresh token once."""
    from seed import REDIRECT_URI, VERIFIER

    side = data[contender]
    path = "/oauth/token/" if contender == "ours" else "/dot/token/"
    if grant == "client_credentials":
        auth = side["auth"] if contender == "ours" else side["auth_cc"]
        # The same body every time: more than any run can send, so none runs out.
        return path, auth, ["grant_type=client_credentials&scope=read"] * max(count, 40000)
    kind = "code" if grant == "authorization_code" else "refresh"
    values, side[kind] = side[kind][:count], side[kind][count:]
    if grant == "authorization_code":
        form = f"grant_type=authorization_code&redirect_uri={REDIRECT_URI}&code_verifier={VERIFIER}"
        bodies = [f"{form}&code={value}" for value in values]
    else:
        bodies = [f"grant_type=refresh_token&refresh_token={value}" for value in values]
    return path, side["auth"], bodies


def token_jobs(data: dict, contender: str, grant: str, count: int) -> list[tuple]:
    path, auth, bodies = token_request(data, contender, grant, count)
    return [("POST", path, body, {"Authorization": auth}) for body in bodies]


def wrk_once(port: int, path: str, auth: str, lines: list[str], duration: str, place: str) -> dict:
    """Send each line at most once with wrk (bench/unique.lua): as the form body of a POST
    (``place`` "body") or as the header ``place`` of a GET."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as file:
        file.write("\n".join(lines) + "\n")
        file.flush()
        args = ["wrk", "-t2", "-c8", f"-d{duration}", "--timeout", "30s"]
        args += ["-s", str(ROOT / "bench/unique.lua"), f"http://127.0.0.1:{port}{path}"]
        out = subprocess.run(
            [*args, "--", file.name, "2", auth, place], capture_output=True, text=True, check=True
        ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sent = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "errors": int(bad.group(1)) if bad else 0, "exhausted": sent > len(lines)}


def best(runs: list[dict]) -> dict:
    """Return the best round among those that had a body for every request (else all rounds)."""
    counted = [r for r in runs if not r.get("exhausted")] or runs
    return {
        "rps": max(r["rps"] for r in counted),
        "errors": sum(r["errors"] for r in counted),
        "exhausted": all(r.get("exhausted") for r in counted),
    }


def bench_tokens(server: Server, data: dict, cfg: dict) -> tuple[dict, dict]:
    """Interleaved rounds per grant; each contender's peak RSS over its token-endpoint load."""
    use_wrk = shutil.which("wrk") is not None
    results: dict[str, dict[str, list[dict]]] = {
        g: {c: [] for c in TOKEN_CONTENDERS} for g in GRANTS
    }
    memory = {c: 0.0 for c in TOKEN_CONTENDERS}
    for contender in ("ours", "dot"):  # warm up both workers, every grant
        for grant in GRANTS:
            for job in token_jobs(data, contender, grant, 6)[:6]:  # client_credentials pads
                status, body = request(server.port, *job)
                assert status == 200, (contender, grant, status, body)
    for grant in GRANTS:
        for _ in range(cfg["rounds"]):
            for contender in TOKEN_CONTENDERS:
                hashed = contender == "dot-hashed"
                if hashed and results[grant][contender]:
                    continue  # PBKDF2 costs ~0.5 s a request: one longer round is enough
                count = cfg["hashed"] if hashed else cfg["n"]
                duration = cfg["hashed_wrk"] if hashed else cfg["wrk"]
                server.peak_rss_mb(reset=True)
                if use_wrk:
                    run = wrk_once(
                        server.port,
                        *token_request(data, contender, grant, count),
                        duration,
                        "body",
                    )
                else:
                    jobs = token_jobs(data, contender, grant, count)
                    run = python_load(server.port, jobs, cfg["threads"], float(duration[:-1]))
                memory[contender] = max(memory[contender], server.peak_rss_mb())
                server.drain()
                results[grant][contender].append(run)
    summary = {grant: {c: best(runs) for c, runs in by.items()} for grant, by in results.items()}
    return summary, memory


def seed_counts(cfg: dict) -> dict:
    plain = {"code": cfg["n"] * cfg["rounds"] + 6, "refresh": cfg["n"] * cfg["rounds"] + 6}
    hashed = {"code": cfg["hashed"], "refresh": cfg["hashed"]}
    return {"ours": plain, "dot": dict(plain), "dot-hashed": hashed}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json")
    args = parser.parse_args()
    cfg = mode(args.quick)
    os.environ.update(BENCH_DB=args.db, DJANGO_SETTINGS_MODULE="bench.project.settings")
    os.environ["BENCH_CACHE_URL"] = cache_url(args.db)
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    prepare_database(args.db)
    import django

    django.setup()
    from django.db import connections

    data = seed(seed_counts(cfg))
    connections.close_all()
    server = Server(dict(os.environ))
    try:
        baseline = server.peak_rss_mb(reset=True)
        api = bench_api(server, data, cfg)
        api_peak = server.peak_rss_mb(reset=True)
        tokens, memory = bench_tokens(server, data, cfg)
        asgi = bench_asgi(data, cfg)
    finally:
        server.stop()
        drop_database(args.db)
    result = {"db": args.db, "cache": os.environ["BENCH_CACHE_URL"], "api": api, "tokens": tokens}
    result["asgi"] = asgi
    result["memory"] = {"baseline": baseline, "api (all contenders)": api_peak, **memory}
    if args.json:
        Path(args.json).write_text(json.dumps(result))
    else:
        print(json.dumps(result, indent=1))
    return 0


# --- the ASGI rows: uvicorn (2 workers) serving the same project, plain Django views ---------

ASGI = {
    "uvicorn floor (async view)": "/api/async-floor/",
    "uvicorn ours (async view)": "/api/async-ours/",
    "uvicorn ours (sync view)": "/api/sync-ours/",
}


class AsgiServer(Server):
    """uvicorn with 2 workers on 127.0.0.1: ``bench/project/asgi.py``."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        uvicorn = str(Path(sys.executable).parent / "uvicorn")
        argv = [uvicorn, "bench.project.asgi:application", "--workers", "2", "--no-access-log"]
        argv += ["--host", "127.0.0.1", "--port", str(self.port), *QUIET]
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if request(self.port, "GET", "/api/async-floor/")[0] == 200:
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("uvicorn did not start")


def asgi_round(port: int, path: str, header: str, cfg: dict, use_wrk: bool) -> dict:
    if use_wrk:
        return wrk_load(port, path, header, cfg["wrk"])
    jobs = [("GET", path, "", {"Authorization": header} if header else {})] * 100000
    return python_load(port, jobs, 8, float(cfg["wrk"].rstrip("s")))


def bench_asgi(data: dict, cfg: dict) -> dict:
    """API calls under uvicorn: the async floor, the async and the sync ``require_scopes``."""
    header = data["ours"]["api"]["RS256"]
    use_wrk = shutil.which("wrk") is not None
    server = AsgiServer(dict(os.environ))
    try:
        for path in ASGI.values():  # warm up both workers (their keys); all must answer 200
            for _ in range(8):
                status, body = request(server.port, "GET", path, headers={"Authorization": header})
                assert status == 200, (path, status, body)
        samples: dict[str, list[dict]] = {name: [] for name in ASGI}
        for _ in range(cfg["rounds"]):
            for name, path in ASGI.items():
                auth = "" if "floor" in name else header
                samples[name].append(asgi_round(server.port, path, auth, cfg, use_wrk))
    finally:
        server.stop()
    return {name: best(runs) for name, runs in samples.items()}


def seed(counts: dict) -> dict:
    from seed import seed as fill

    return fill(counts)


if __name__ == "__main__":
    sys.exit(main())
