"""A refresh racing the revocation of the same refresh token (RFC 7009 2.1, RFC 9700 4.14.2).

Whoever wins, nothing of the family may stay alive: either the revocation came first and the
refresh fails, or the refresh rotated first and the revocation (grants.revoke_family, which
repeats its UPDATE until it changes nothing) also kills the successor and its access token.
PostgreSQL only: SQLite serializes writers, so the race cannot happen there.
"""

import threading
from functools import partial
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.urls import reverse

from oauthcore.models import RefreshToken
from oauthcore.resource_server import denylist
from tests import factories
from tests.protocol import redeem, refresh, revoke

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serializes writers, so this race cannot happen there",
    ),
]

ROUNDS = 10


def revoke_refresh_token(http, app, raw):
    return revoke(http, app, {"token": raw, "token_type_hint": "refresh_token"})


def together(*calls):
    """Run each call in its own thread (own connection), released at once; return the results."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            http = HttpClient()
            barrier.wait()
            results[index] = call(http)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def app(client, settings):
    # Each round fails at most once; the limiter must not turn a lost race into 429.
    settings.OAUTHCORE = {**settings.OAUTHCORE, "RATE_LIMIT_ENABLED": False}
    client.get(reverse("oauthcore:jwks"))  # make the signing key before the threads start
    return factories.ClientFactory()


def test_refresh_racing_revocation_leaves_nothing_alive(client, app):
    winners = {"refresh": 0, "revocation": 0}
    for _ in range(ROUNDS):
        user = factories.UserFactory()
        issued = redeem(client, app, user).json()
        raw = issued["refresh_token"]
        refreshed, revoked = together(
            partial(refresh, app=app, refresh_token=raw),
            partial(revoke_refresh_token, app=app, raw=raw),
        )
        assert revoked.status_code == HTTPStatus.OK
        assert refreshed.status_code in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST), refreshed.content
        family = RefreshToken.objects.filter(user=user)
        assert not family.filter(revoked_at__isnull=True).exists()
        for row in family:
            assert denylist.is_denied(row.access_token_jti)
        api = client.get("/api/profile/", HTTP_AUTHORIZATION=f"Bearer {issued['access_token']}")
        assert api.status_code == HTTPStatus.UNAUTHORIZED
        if refreshed.status_code == HTTPStatus.OK:
            winners["refresh"] += 1
            new = refreshed.json()
            assert family.count() == 2
            bearer = f"Bearer {new['access_token']}"
            assert client.get("/api/profile/", HTTP_AUTHORIZATION=bearer).status_code == 401
            again = refresh(client, app, new["refresh_token"])
            assert again.json()["error"] == "invalid_grant"
        else:
            winners["revocation"] += 1
            assert refreshed.json()["error"] == "invalid_grant"
            assert family.count() == 1
    assert sum(winners.values()) == ROUNDS
    print(winners)  # which side won how often, shown with -s
