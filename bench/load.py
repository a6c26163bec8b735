"""A bounded load test over HTTP against one or more servers of the example project.

    python bench/load.py --servers http://127.0.0.1:8201 http://127.0.0.1:8202 \\
        --service-client ID:SECRET --web-client ID:SECRET --user alice:PASSWORD \\
        --redirect-uri http://127.0.0.1:8765/callback --requests 300 --seconds 30

First it seeds ``--families`` refresh-token families by running the code flow (sign in, Allow,
exchange) at the first server. Then ``--threads`` threads send a fixed number of requests, each
to a random server, until done or ``--seconds`` have passed: client-credentials issuance, API
calls with bearer tokens, refreshes (each family used by one thread at a time, as one app would)
and revocations (the revoked token is then refused by another server's API). At the end every
family's newest refresh token must be active and every older one inactive (introspection), and
every issued ``jti`` unique. Prints one JSON report; exits 1 on any error.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import queue
import random
import secrets
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests import browser  # the repository's form reader

SCOPES = "read:profile read:email"
WEIGHTS = {"issue": 3, "api": 4, "refresh": 2, "revoke": 1}
TIMEOUT = 15
SYNC_SECONDS = 1.5  # SYNC_INTERVAL (1 s) and a request


@dataclass
class Credentials:
    client_id: str
    secret: str

    @classmethod
    def parse(cls, value: str) -> Credentials:
        client_id, _, secret = value.partition(":")
        return cls(client_id, secret)

    @property
    def auth(self) -> tuple[str, str]:
        return (self.client_id, self.secret)


@dataclass
class Family:
    refresh_tokens: list[str]
    access_token: str


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[dict] = field(default_factory=list)
    jtis: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, op: str, seconds: float) -> None:
        with self.lock:
            self.latencies[op].append(seconds)

    def error(self, op: str, detail: str) -> None:
        with self.lock:
            self.errors.append({"op": op, "detail": detail[:300]})

    def issued(self, access_token: str) -> None:
        with self.lock:
            self.jtis.append(jti_of(access_token))


def jti_of(access_token: str) -> str:
    """Return the jti of a JWT without verifying it (the servers did)."""
    payload = access_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["jti"]


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_code(agent, server, client_id, redirect_uri, user, scope=SCOPES):
    """Act as the user at ``server``: sign in if needed, Allow if asked; return (code, verifier)."""
    verifier = secrets.token_urlsafe(48)
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": secrets.token_urlsafe(8),
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
    }
    url = f"{server}/oauth/authorize/?{urlencode(query)}"
    response = agent.get(url, allow_redirects=False, timeout=TIMEOUT)
    for _ in range(5):
        location = response.headers.get("Location", "")
        if response.status_code == 302 and location.startswith(redirect_uri):
            return parse_qs(urlsplit(location).query)["code"][0], verifier
        if response.status_code == 302:  # to the login page, or back to /authorize
            response = agent.get(
                urljoin(response.url, location), allow_redirects=False, timeout=TIMEOUT
            )
            continue
        response = _submit(agent, response, user)
    raise RuntimeError(f"The code flow did not end at the redirect URI: {response.status_code}")


def _submit(agent, page, user):
    """Fill the login form or press Allow on the consent form of ``page``."""
    html = page.text
    if 'name="password"' in html:
        form = browser.form_with_button(html, "Sign in")
        username, _, password = user.partition(":")
        data = [*form.data("Sign in"), ("username", username), ("password", password)]
        data = [(k, v) for k, v in data if k not in ("username", "password") or v]
        button = "Sign in"
    else:
        form, button = browser.form_with_button(html, "Allow"), "Allow"
        data = form.data(button)
    action = urljoin(page.url, form.action or page.url)
    return agent.post(
        action, data=data, allow_redirects=False, timeout=TIMEOUT, headers={"Referer": page.url}
    )


def exchange(server, web, code, verifier, redirect_uri):
    data = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    data["redirect_uri"] = redirect_uri
    return requests.post(f"{server}/oauth/token/", data=data, auth=web.auth, timeout=TIMEOUT)


def seed_families(args, results: Results) -> list[Family]:
    """Run the code flow ``--families`` times at the first server; return the families."""
    agent, families = requests.Session(), []
    for _ in range(args.families):
        code, verifier = authorize_code(
            agent, args.servers[0], args.web.client_id, args.redirect_uri, args.user
        )
        response = exchange(args.servers[0], args.web, code, verifier, args.redirect_uri)
        response.raise_for_status()
        body = response.json()
        results.issued(body["access_token"])
        families.append(Family([body["refresh_token"]], body["access_token"]))
    return families


class Load:
    """The shared state of one run: live client tokens, idle families, results."""

    def __init__(self, args, families: list[Family]) -> None:
        self.args, self.results = args, Results()
        self.families: queue.Queue[Family] = queue.Queue()
        for family in families:
            self.families.put(family)
        self.client_tokens: list[str] = []
        self.remaining = args.requests
        self.deadline = time.monotonic() + args.seconds
        self.lock = threading.Lock()

    def take_request(self) -> bool:
        with self.lock:
            if self.remaining <= 0 or time.monotonic() >= self.deadline:
                return False
            self.remaining -= 1
            return True

    def timed(self, op, method, url, expected, **kwargs):
        """Send one request; record its latency, or an error if its status is unexpected."""
        start = time.perf_counter()
        try:
            response = requests.request(method, url, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as e:
            self.results.error(op, f"{url}: {type(e).__name__}")
            return None
        self.results.record(op, time.perf_counter() - start)
        if response.status_code != expected:
            self.results.error(op, f"{url}: {response.status_code} {response.text}")
            return None
        return response

    def server(self) -> str:
        return random.choice(self.args.servers)

    def issue(self) -> None:
        data = {"grant_type": "client_credentials", "scope": "publish"}
        url = f"{self.server()}/oauth/token/"
        response = self.timed("issue", "POST", url, 200, data=data, auth=self.args.service.auth)
        if response is not None:
            token = response.json()["access_token"]
            self.results.issued(token)
            with self.lock:
                self.client_tokens.append(token)

    def api(self) -> None:
        token = None
        if random.random() < 0.5:
            with self.lock:  # taken out while in use, so revoke() cannot pick it meanwhile
                if self.client_tokens:
                    i = random.randrange(len(self.client_tokens))
                    token = self.client_tokens.pop(i)
        if token is not None:
            headers = {"Authorization": f"Bearer {token}"}
            url = f"{self.server()}/api/publish/"
            try:
                self.timed("api", "POST", url, 201, headers=headers, data={"content": "load"})
            finally:
                with self.lock:
                    self.client_tokens.append(token)
            return
        family = self.families.get()
        try:
            headers = {"Authorization": f"Bearer {family.access_token}"}
            self.timed("api", "GET", f"{self.server()}/api/profile/", 200, headers=headers)
        finally:
            self.families.put(family)

    def refresh(self) -> None:
        family = self.families.get()  # one refresh at a time per family, as one app would
        try:
            data = {"grant_type": "refresh_token", "refresh_token": family.refresh_tokens[-1]}
            url = f"{self.server()}/oauth/token/"
            response = self.timed("refresh", "POST", url, 200, data=data, auth=self.args.web.auth)
            if response is not None:
                body = response.json()
                self.results.issued(body["access_token"])
                family.refresh_tokens.append(body["refresh_token"])
                family.access_token = body["access_token"]
        finally:
            self.families.put(family)

    def revoke(self) -> None:
        with self.lock:
            token = self.client_tokens.pop() if self.client_tokens else None
        if token is None:
            return self.issue()
        first = self.server()
        other = random.choice([s for s in self.args.servers if s != first] or [first])
        url = f"{first}/oauth/revoke/"
        if self.timed(
            "revoke", "POST", url, 200, data={"token": token}, auth=self.args.service.auth
        ):
            # Every server's API refuses the token within SYNC_INTERVAL (one second).
            time.sleep(SYNC_SECONDS)
            headers = {"Authorization": f"Bearer {token}"}
            self.timed("api_revoked", "POST", f"{other}/api/publish/", 401, headers=headers)

    def worker(self) -> None:
        ops = [op for op, weight in WEIGHTS.items() for _ in range(weight)]
        while self.take_request():
            getattr(self, random.choice(ops))()

    def run(self) -> None:
        threads = [threading.Thread(target=self.worker) for _ in range(self.args.threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def check_families(args, families: list[Family], results: Results) -> None:
    """Require exactly one live member per family: the newest (RFC 7662 introspection)."""
    url = f"{args.servers[-1]}/oauth/introspect/"
    for family in families:
        for position, raw in enumerate(family.refresh_tokens):
            data = {"token": raw, "token_type_hint": "refresh_token"}
            response = requests.post(url, data=data, auth=args.web.auth, timeout=TIMEOUT)
            expected = position == len(family.refresh_tokens) - 1
            if response.status_code != 200 or response.json().get("active") is not expected:
                results.error("chain", f"member {position} of a family: {response.text[:100]}")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def report(load: Load, families: list[Family], elapsed: float) -> dict:
    results = load.results
    duplicates = [jti for jti, count in Counter(results.jtis).items() if count > 1]
    operations = {
        op: {
            "count": len(values),
            "p50_ms": round(statistics.median(values) * 1000, 1),
            "p99_ms": round(percentile(values, 0.99) * 1000, 1),
        }
        for op, values in sorted(results.latencies.items())
    }
    done = load.args.requests - load.remaining
    return {
        "servers": load.args.servers,
        "requests": done,
        "requested": load.args.requests,
        "seconds": round(elapsed, 2),
        "requests_per_second": round(done / elapsed, 1) if elapsed else None,
        "operations": operations,
        "errors": results.errors,
        "issued_tokens": len(results.jtis),
        "duplicate_jtis": duplicates,
        "families": len(families),
        "refreshes_per_family": [len(f.refresh_tokens) - 1 for f in families],
        "ok": not results.errors and not duplicates and done == load.args.requests,
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", nargs="+", required=True, metavar="URL")
    parser.add_argument("--service-client", dest="service", type=Credentials.parse, required=True)
    parser.add_argument("--web-client", dest="web", type=Credentials.parse, required=True)
    parser.add_argument("--user", required=True, help="username:password")
    parser.add_argument("--redirect-uri", default="http://127.0.0.1:8765/callback")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--families", type=int, default=10)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    seed = Results()
    try:
        families = seed_families(args, seed)
    except (requests.RequestException, RuntimeError, KeyError) as e:
        print(json.dumps({"ok": False, "errors": [{"op": "seed", "detail": repr(e)[:300]}]}))
        return 1
    load = Load(args, families)
    load.results.jtis.extend(seed.jtis)
    start = time.monotonic()
    load.run()
    elapsed = time.monotonic() - start
    check_families(args, families, load.results)
    result = report(load, families, elapsed)
    print(json.dumps(result, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
