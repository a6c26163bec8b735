"""Resource-server benchmark: per-request cost of bearer authentication + a scope check.

One process, one run, a small DRF view behind: no authentication (the floor); oauthcore's
``JWTAuthentication`` + ``HasScope`` with RS256, ES256 and EdDSA tokens, also without the
deny-list lookup and on each token's first use (the verified-token cache forgets it before every
request, so the signature is checked every time); a DPoP call (an RS256 token bound to an ES256
key, a fresh proof per request, made before the round: its ``jti`` is spent in the one-time
identifier store, ``oauthcore/single_use.py``: the database with the local-memory cache, the
cache with ``BENCH_CACHE_URL=redis://...``); django-oauth-toolkit's
``OAuth2Authentication`` + ``TokenHasScope`` with an opaque token (a database lookup).
The views are ``bench/project/views.py``'s. Requests are made with Django's RequestFactory.
Run: ``python bench/run.py`` (or ``make bench``); ``--quick`` only checks that it works.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import timedelta
from pathlib import Path

import django
import environ
from django.conf import settings

QUICK = "--quick" in sys.argv
ROUNDS, REQUESTS, WARMUP = (1, 200, 50) if QUICK else (7, 2000, 300)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only",
    ALLOWED_HOSTS=["testserver"],
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "rest_framework",
        "oauth2_provider",
        "oauthcore",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    # BENCH_CACHE_URL=redis://... measures with Redis as the cache (the deny-list uses none).
    CACHES={"default": environ.Env().cache("BENCH_CACHE_URL", default="locmemcache://")},
    ROOT_URLCONF=__name__,
    USE_TZ=True,
    REST_FRAMEWORK={"UNAUTHENTICATED_USER": None},
    OAUTHCORE={
        "ISSUER": "http://127.0.0.1:8000",
        "SCOPES": {"read": "Read"},
        "KEY_CACHE_TTL": timedelta(hours=1),
    },
    OAUTH2_PROVIDER={"SCOPES": {"read": "Read"}},
)
django.setup()
urlpatterns: list = []

from django.core.management import call_command  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.project.views import API_VIEWS  # noqa: E402
from oauthcore.jose import keyring  # noqa: E402
from oauthcore.server import issuance  # noqa: E402


def setup_data() -> dict[str, tuple]:
    """Create a user, clients and one token per contender; return name -> (view, header)."""
    from django.contrib.auth.models import User
    from oauth2_provider.models import AccessToken, Application

    from oauthcore.models import Client

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench", password="x")
    client = Client.objects.create(client_id="bench", name="Bench", allowed_scopes=["read"])
    contenders = {"floor (no auth)": (API_VIEWS["floor"].as_view(), "")}
    for alg in ("RS256", "ES256", "EdDSA"):
        keyring.rotate(alg)
        raw = issuance.issue(client=client, user=user, scope=["read"]).value
        contenders[f"oauthcore {alg}"] = (API_VIEWS["ours"].as_view(), f"Bearer {raw}")
        if alg == "RS256":
            rs256 = f"Bearer {raw}"
    contenders["oauthcore RS256, no deny-list"] = (API_VIEWS["ours-nodeny"].as_view(), rs256)
    contenders["oauthcore DPoP (ES256 proof)"] = (
        API_VIEWS["ours"].as_view(),
        dpop_calls(client, user),
    )
    for alg in ("RS256", "ES256", "EdDSA"):
        header = contenders[f"oauthcore {alg}"][1]
        contenders[f"oauthcore {alg}, first use"] = (API_VIEWS["ours-first"].as_view(), header)
    app = Application.objects.create(
        name="bench",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        user=user,
    )
    AccessToken.objects.create(
        user=user,
        application=app,
        token="opaque-bench-token-0123456789abcdef",
        expires=timezone.now() + timedelta(hours=1),
        scope="read",
    )
    contenders["django-oauth-toolkit"] = (
        API_VIEWS["dot"].as_view(),
        "Bearer opaque-bench-token-0123456789abcdef",
    )
    return contenders


def dpop_calls(client, user):
    """Return a function making ``count`` DPoP calls' headers, each with a fresh proof."""
    from bench.http_bench import proofs_for
    from oauthcore.jose import keys

    private_key = keys.generate_private_key("ES256")
    jkt = keys.thumbprint(keys.public_jwk(private_key.public_key()))
    token = issuance.issue(client=client, user=user, scope=["read"], jkt=jkt).value
    pem = keys.private_pem(private_key)

    def headers(count: int) -> list[dict[str, str]]:
        proofs = proofs_for(pem, token, "http://testserver/api/", count)
        return [{"HTTP_AUTHORIZATION": f"DPoP {token}", "HTTP_DPOP": proof} for proof in proofs]

    return headers


def headers_of(header, count: int) -> list[dict[str, str]]:
    """Return each request's headers: ``header``'s own for a DPoP call, else the same each time."""
    if callable(header):
        return header(count)
    return [{"HTTP_AUTHORIZATION": header} if header else {}] * count


def run(view, header, count: int, factory: RequestFactory) -> float:
    """Return the mean CPU microseconds per request over ``count`` requests.

    CPU time of this process (not wall time), so other processes on the machine blur it less;
    the headers (DPoP proofs) are made before the clock starts.
    """
    requests = headers_of(header, count)
    start = time.process_time()
    for extra in requests:
        response = view(factory.get("/api/", **extra))
    elapsed = time.process_time() - start
    assert response.status_code == 200, response.data
    return elapsed / count * 1e6


def measure(contenders: dict[str, tuple]) -> dict[str, float]:
    """Interleave the contenders for ROUNDS rounds; keep each one's best round (least disturbed)."""
    factory = RequestFactory()
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for view, header in contenders.values():
        run(view, header, WARMUP, factory)
    for _ in range(ROUNDS):
        for name, (view, header) in contenders.items():
            samples[name].append(run(view, header, REQUESTS, factory))
    return {name: min(values) for name, values in samples.items()}


def report(results: dict[str, float]) -> None:
    """Print µs per request and the throughput relative to the floor (floor µs / µs)."""
    floor = results["floor (no auth)"]
    print(f"{'contender':<34}{'us/request':>12}{'x floor':>10}")
    for name, micros in results.items():
        print(f"{name:<34}{micros:>12.1f}{floor / micros:>10.2f}")
    dot = results["django-oauth-toolkit"]
    print(f"ours RS256 / DOT (throughput) = {dot / results['oauthcore RS256']:.2f}")


def main() -> int:
    print(
        f"In-process (RequestFactory), CPU µs per request: Python {sys.version.split()[0]}, "
        f"Django {django.get_version()}; best of {ROUNDS} rounds of {REQUESTS}"
    )
    results = measure(setup_data())
    if "--json" in sys.argv:
        Path(sys.argv[sys.argv.index("--json") + 1]).write_text(json.dumps(results))
    else:
        report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
