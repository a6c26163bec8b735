"""Resource-server benchmark: per-request cost of bearer authentication + a scope check.

One process, one run, a small DRF view behind: no authentication (the floor); oauthcore's
``JWTAuthentication`` + ``HasScope`` with RS256, ES256 and EdDSA tokens; django-oauth-toolkit's
``OAuth2Authentication`` + ``TokenHasScope`` with an opaque token (a database lookup).
Requests are made with Django's RequestFactory. Run: ``python bench/run.py`` (or ``make bench``).
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta

import django
from django.conf import settings

ROUNDS, REQUESTS, WARMUP = 7, 2000, 300
TARGET_FLOOR_RATIO, TARGET_DOT_RATIO = 1.6, 6.0

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
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
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
from oauth2_provider.contrib.rest_framework import (  # noqa: E402
    OAuth2Authentication,
    TokenHasScope,
)
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from oauthcore import keys, tokens  # noqa: E402
from oauthcore.contrib.rest_framework.authentication import JWTAuthentication  # noqa: E402
from oauthcore.contrib.rest_framework.permissions import HasScope  # noqa: E402


class FloorView(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request):
        return Response({"ok": True})


class OursView(FloorView):
    authentication_classes = [JWTAuthentication]
    permission_classes = [HasScope.of("read")]


class DotView(FloorView):
    authentication_classes = [OAuth2Authentication]
    permission_classes = [TokenHasScope]
    required_scopes = ["read"]


def setup_data() -> dict[str, tuple]:
    """Create a user, clients and one token per contender; return name -> (view, header)."""
    from django.contrib.auth.models import User
    from oauth2_provider.models import AccessToken, Application

    from oauthcore.models import Client

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench", password="x")
    client = Client.objects.create(client_id="bench", name="Bench", allowed_scopes=["read"])
    contenders = {"floor (no auth)": (FloorView.as_view(), "")}
    for alg in ("RS256", "ES256", "EdDSA"):
        keys.rotate(alg)
        raw = tokens.issue(client=client, user=user, scope=["read"]).value
        contenders[f"oauthcore {alg}"] = (OursView.as_view(), f"Bearer {raw}")
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
        DotView.as_view(),
        "Bearer opaque-bench-token-0123456789abcdef",
    )
    return contenders


def run(view, header: str, count: int, factory: RequestFactory) -> float:
    """Return the mean CPU microseconds per request over ``count`` requests.

    CPU time of this process (not wall time), so other processes on the machine blur it less.
    """
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    start = time.process_time()
    for _ in range(count):
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


def report(results: dict[str, float]) -> bool:
    floor, ours, dot = (
        results["floor (no auth)"],
        results["oauthcore RS256"],
        results["django-oauth-toolkit"],
    )
    print(f"{'contender':<24}{'us/request':>12}{'x floor':>10}")
    for name, micros in results.items():
        print(f"{name:<24}{micros:>12.1f}{micros / floor:>10.2f}")
    floor_ratio, dot_ratio = ours / floor, dot / ours
    ok = floor_ratio <= TARGET_FLOOR_RATIO and dot_ratio >= TARGET_DOT_RATIO
    print(f"\nours (RS256) / floor = {floor_ratio:.2f}  (target <= {TARGET_FLOOR_RATIO})")
    print(f"DOT / ours (RS256)   = {dot_ratio:.2f}  (target >= {TARGET_DOT_RATIO})")
    print("targets met" if ok else "TARGETS MISSED")
    return ok


def main() -> int:
    print(
        f"Python {sys.version.split()[0]}, Django {django.get_version()}; {ROUNDS} rounds of {REQUESTS}"
    )
    report(measure(setup_data()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
