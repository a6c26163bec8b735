"""Profile one endpoint in-process with pyinstrument (bench/requirements.txt).

    python bench/profile_endpoint.py WHAT [--dot] [-n N] [--time]

WHAT: client_credentials, authorization_code, refresh_token, api or dpop.

Seeds a temporary SQLite database like ``http_bench.py`` and calls the endpoint ``N`` times
through Django's test client (the whole stack: middleware, view, ORM), then prints the profile.
``dpop``: the API with a DPoP-bound token and a fresh proof per call (``BENCH_CACHE_URL`` picks
where its ``jti`` goes: the database with the default local-memory cache, or Redis).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "what", choices=["client_credentials", "authorization_code", "refresh_token", "api", "dpop"]
    )
    parser.add_argument("--dot", action="store_true")
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--time", action="store_true", help="no profiler: CPU ms per request only")
    args = parser.parse_args()
    sqlite = Path(tempfile.mkdtemp()) / "profile.sqlite3"
    os.environ.update(
        BENCH_DB="sqlite", BENCH_SQLITE=str(sqlite), DJANGO_SETTINGS_MODULE="bench.project.settings"
    )
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    import django

    django.setup()
    from django.test import Client
    from http_bench import api_targets, proofs_for, token_jobs
    from pyinstrument import Profiler
    from seed import seed

    counts = {"code": args.n + 20, "refresh": args.n + 20}
    data = seed({"ours": counts, "dot": counts, "dot-hashed": {"code": 1, "refresh": 1}})
    contender = "dot" if args.dot else "ours"
    if args.what == "dpop":
        path, header = api_targets(data)["ours DPoP"]
        api = data["ours"]["api"]
        proofs = proofs_for(api["DPoP key"], api["DPoP"], f"http://testserver{path}", args.n + 20)
        jobs = [("GET", path, "", {"Authorization": header, "DPoP": proof}) for proof in proofs]
    elif args.what == "api":
        path, header = api_targets(data)["dot" if args.dot else "ours RS256"]
        jobs = [("GET", path, "", {"Authorization": header})] * (args.n + 20)
    else:
        jobs = token_jobs(data, contender, args.what, args.n + 20)[: args.n + 20]
    http = Client()

    def call(job) -> None:
        method, path, body, headers = job
        extra = {f"HTTP_{name.upper()}": value for name, value in headers.items()}
        if method == "GET":
            response = http.get(path, **extra)
        else:
            response = http.post(path, body, "application/x-www-form-urlencoded", **extra)
        assert response.status_code == 200, response.content

    for job in jobs[:20]:  # warm-up
        call(job)
    profiler = Profiler(interval=0.0002)
    start = time.process_time()
    if args.time:
        for job in jobs[20:]:
            call(job)
    else:
        with profiler:
            for job in jobs[20:]:
                call(job)
    cpu = (time.process_time() - start) / args.n * 1e3
    if not args.time:
        print(
            profiler.output_text(
                unicode=False, color=False, show_all=os.environ.get("PROFILE_ALL") == "1"
            )
        )
    print(f"{args.what} {'DOT' if args.dot else 'oauthcore'}: {cpu:.2f} ms CPU per request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
