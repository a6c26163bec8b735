"""Run every benchmark and print oauthcore and django-oauth-toolkit side by side (``make bench``).

    python bench/run.py            # in-process, then HTTP on SQLite and PostgreSQL + Redis (~8 min)
    python bench/run.py --quick    # a few hundred requests, SQLite only: checks that it works

1. ``resource_server.py``: API request cost in-process (RequestFactory, CPU µs per request).
2. ``http_bench.py`` per database: gunicorn (2 sync workers) serving ``bench/project``; API calls
   under wrk, the token endpoint's grants, peak RSS of the workers; then uvicorn (2 workers):
   the ASGI rows, an async view with the async ``require_scopes`` and the async floor.
Then the tables (Markdown, as in bench/README.md) and the targets, as ratios of the same run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GRANT_NAMES = {
    "client_credentials": "client_credentials",
    "authorization_code": "code exchange",
    "refresh_token": "refresh",
}
CONTENDER_NAMES = {"ours": "oauthcore", "dot": "DOT, hashing off", "dot-hashed": "DOT, defaults"}
API_TARGET, CC_TARGET, CC_HASHED_TARGET, GRANT_TARGET = 0.8, 2.0, 100.0, 1.5
# A DPoP API call (token + a fresh proof each request) over the floor, with Redis keeping the
# proofs' jtis (production's configuration); with the local-memory cache (the SQLite half) they go
# to the database: that row is shown, without a target.
DPOP_TARGET = 0.7


def postgres_available() -> bool:
    if shutil.which("psql") is None:
        return False
    probe = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "select 1"]
    return subprocess.run(probe, capture_output=True).returncode == 0


def run_json(args: list[str], out: Path) -> dict:
    subprocess.run([sys.executable, *args, "--json", str(out)], cwd=ROOT, check=True)
    return json.loads(out.read_text())


def in_process_table(results: dict[str, float]) -> list[str]:
    floor = results["floor (no auth)"]
    lines = ["| contender | µs / request | x floor (throughput) |", "| --- | ---: | ---: |"]
    lines += [f"| {name} | {us:.1f} | {floor / us:.2f} |" for name, us in results.items()]
    return lines


def api_table(runs: dict[str, dict]) -> list[str]:
    head = "| contender |" + "".join(f" {db} req/s | x floor |" for db in runs)
    lines = [head, "| --- |" + " ---: | ---: |" * len(runs)]
    names = next(iter(runs.values()))["api"]
    for name in names:
        cells = ""
        for run in runs.values():
            rps, floor = run["api"][name]["rps"], run["api"]["floor"]["rps"]
            flag = f" ({run['api'][name]['errors']} errors)" if run["api"][name]["errors"] else ""
            cells += f" {rps:.0f}{flag} | {rps / floor:.2f} |"
        lines.append(f"| {name} |{cells}")
    return lines


def asgi_table(runs: dict[str, dict]) -> list[str]:
    """The ASGI rows: each over the uvicorn floor, and over oauthcore's gunicorn row."""
    head = "| view |" + "".join(f" {db} req/s | x uvicorn floor | x gunicorn ours |" for db in runs)
    lines = [head, "| --- |" + " ---: | ---: | ---: |" * len(runs)]
    names = next(iter(runs.values())).get("asgi", {})
    for name in names:
        cells = ""
        for run in runs.values():
            row, floor = run["asgi"][name], run["asgi"]["uvicorn floor (async view)"]["rps"]
            flag = f" ({row['errors']} errors)" if row["errors"] else ""
            gunicorn = run["api"]["ours RS256"]["rps"]
            cells += f" {row['rps']:.0f}{flag} | {row['rps'] / floor:.2f} |"
            cells += f" {row['rps'] / gunicorn:.2f} |"
        lines.append(f"| {name} |{cells}")
    return lines


def ratio_text(ours: float, other: float) -> str:
    return f"{ours / other:.2f}" if other else "n/a (none completed)"


def token_table(runs: dict[str, dict]) -> list[str]:
    head = "| grant | contender |" + "".join(f" {db} req/s | oauthcore x |" for db in runs)
    lines = [head, "| --- | --- |" + " ---: | ---: |" * len(runs)]
    for grant, label in GRANT_NAMES.items():
        for contender, name in CONTENDER_NAMES.items():
            cells = ""
            for run in runs.values():
                by = run["tokens"][grant]
                result, ours = by[contender], by["ours"]["rps"]
                note = f" ({result['errors']} errors)" if result["errors"] else ""
                note += " (bodies ran out)" if result.get("exhausted") else ""
                ratio = "" if contender == "ours" else ratio_text(ours, result["rps"])
                cells += f" {result['rps']:.1f}{note} | {ratio} |"
            lines.append(f"| {label} | {name} |{cells}")
    return lines


def memory_table(runs: dict[str, dict]) -> list[str]:
    lines = [
        "| phase |" + "".join(f" {db} MiB |" for db in runs),
        "| --- |" + " ---: |" * len(runs),
    ]
    labels = {"baseline": "after start-up", "api (all contenders)": "API load (all contenders)"}
    labels.update({c: f"token endpoint, {name}" for c, name in CONTENDER_NAMES.items()})
    for key, label in labels.items():
        lines.append(
            f"| {label} |" + "".join(f" {run['memory'][key]:.1f} |" for run in runs.values())
        )
    return lines


def ratio(ours: float, other: float) -> float | None:
    return ours / other if other else None


def targets(runs: dict[str, dict]) -> list[tuple[str, float | None, float | None]]:
    """Return (what, measured, target) for every target, on every database (None: no target)."""
    found = []
    for db, run in runs.items():
        api, tok = run["api"], run["tokens"]
        found.append(
            (
                f"{db}: API RS256 / floor",
                ratio(api["ours RS256"]["rps"], api["floor"]["rps"]),
                API_TARGET,
            )
        )
        if "ours DPoP" in api:
            redis = run.get("cache", "").startswith("redis")
            found.append(
                (
                    f"{db}: API DPoP / floor ({'Redis' if redis else 'database'} jti store)",
                    ratio(api["ours DPoP"]["rps"], api["floor"]["rps"]),
                    DPOP_TARGET if redis else None,
                )
            )
        if "floor, DPoP's client" in api:  # the load generator's own cost taken out
            found.append(
                (
                    f"{db}: API DPoP / floor sent the same requests by the same wrk script",
                    ratio(api["ours DPoP"]["rps"], api["floor, DPoP's client"]["rps"]),
                    None,
                )
            )
        cc = tok["client_credentials"]
        found.append(
            (
                f"{db}: client_credentials / DOT hashing off",
                ratio(cc["ours"]["rps"], cc["dot"]["rps"]),
                CC_TARGET,
            )
        )
        found.append(
            (
                f"{db}: client_credentials / DOT defaults",
                ratio(cc["ours"]["rps"], cc["dot-hashed"]["rps"]),
                CC_HASHED_TARGET,
            )
        )
        for grant in ("authorization_code", "refresh_token"):
            by = tok[grant]
            what = f"{db}: {GRANT_NAMES[grant]} / DOT hashing off"
            found.append((what, ratio(by["ours"]["rps"], by["dot"]["rps"]), GRANT_TARGET))
    return found


def main() -> int:
    quick = "--quick" in sys.argv
    flag = ["--quick"] if quick else []
    tmp = Path(tempfile.mkdtemp(prefix="oauthcore-bench-"))
    in_process = run_json(["bench/resource_server.py", *flag], tmp / "in_process.json")
    if shutil.which("wrk") is None:
        print(
            "\nwrk not found (apt-get install -y wrk): the HTTP load comes from a Python generator"
        )
    databases = ["sqlite"] if quick else ["sqlite", "postgres"]
    if "postgres" in databases and not postgres_available():
        print("\nPostgreSQL not reachable at 127.0.0.1:5432 (user postgres): SQLite only")
        databases.remove("postgres")
    runs = {}
    for db in databases:
        print(f"\nHTTP benchmark on {db} ...", flush=True)
        args = ["bench/http_bench.py", "--db", db, *flag]
        run = run_json(args, tmp / f"{db}.json")
        label = "SQLite" if db == "sqlite" else "PostgreSQL"
        runs[label + (" + Redis" if run["cache"].startswith("redis") else "")] = run
    print("\n### API request, in-process (RequestFactory, CPU µs per request)\n")
    print("\n".join(in_process_table(in_process)))
    print("\n### API request over HTTP (gunicorn, 2 sync workers; wrk -t2 -c8; best round)\n")
    print("\n".join(api_table(runs)))
    print("\n### API request under ASGI (uvicorn, 2 workers, plain Django views; best round)\n")
    print("\n".join(asgi_table(runs)))
    print("\n### Token endpoint over HTTP (each code and refresh token used once; best round)\n")
    print("\n".join(token_table(runs)))
    print("\n### Peak RSS of a gunicorn worker (VmHWM, reset before each phase)\n")
    print("\n".join(memory_table(runs)))
    print("\n### Targets (ratios within this run)\n")
    missed = 0
    for what, measured, target in targets(runs):
        if measured is None:
            missed += 1
            print(f"- {what}: not measured (no request completed)")
            continue
        if target is None:
            print(f"- {what} = {measured:.2f} (shown, no target)")
            continue
        ok = measured >= target
        missed += not ok
        print(f"- {what} = {measured:.2f} (target >= {target}): {'met' if ok else 'MISSED'}")
    print(
        "\nall targets met" if not missed else f"\n{missed} target(s) missed: see bench/README.md"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
