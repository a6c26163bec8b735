"""Concurrent use of one code or one refresh token: exactly one winner, never a 500 (PostgreSQL).

Also: a client read by another connection while its rotation is uncommitted is not trusted after.
"""

import threading
from collections import Counter
from http import HTTPStatus

import jwt
import pytest
from django.db import connection, transaction
from django.test import Client as HttpClient
from django.urls import reverse

from oauthcore.models import RefreshToken
from oauthcore.resource_server import denylist
from tests import factories
from tests.factories import REDIRECT_URI, VERIFIER, make_code
from tests.protocol import basic_auth, post_token, redeem

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serializes writers, so these races cannot happen there",
    ),
]

THREADS = 20
ROUNDS = 3


def race(data, headers):
    """POST ``data`` from THREADS threads released at once; return their responses."""
    barrier = threading.Barrier(THREADS)
    responses = [None] * THREADS

    def run(index):
        try:
            http = HttpClient()
            barrier.wait()
            responses[index] = post_token(http, data, **headers)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def outcome(responses):
    return Counter((r.status_code, r.json().get("error")) for r in responses)


@pytest.fixture
def app(client):
    client.get(reverse("oauthcore:jwks"))  # make the signing key before the threads start
    return factories.ClientFactory()


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_one_code_redeemed_at_once_by_many(app, round_):
    user = factories.UserFactory()
    raw = make_code(app, user)
    data = {
        "grant_type": "authorization_code",
        "code": raw,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": VERIFIER,
    }
    responses = race(data, basic_auth(app.client_id))
    assert outcome(responses) == {
        (HTTPStatus.OK, None): 1,
        (HTTPStatus.BAD_REQUEST, "invalid_grant"): THREADS - 1,
    }
    # The losers saw a replay: whatever the winner got is revoked.
    (winner,) = [r.json() for r in responses if r.status_code == HTTPStatus.OK]
    family = RefreshToken.objects.filter(client=app)
    assert family.count() == 1
    assert not family.filter(revoked_at__isnull=True).exists()
    jti = jwt.decode(winner["access_token"], options={"verify_signature": False})["jti"]
    assert denylist.is_denied(jti)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_one_refresh_token_used_at_once_by_many(client, app, round_):
    user = factories.UserFactory()
    issued = redeem(client, app, user).json()
    data = {"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]}
    responses = race(data, basic_auth(app.client_id))
    counts = outcome(responses)
    assert counts[(HTTPStatus.OK, None)] == 1
    assert counts[(HTTPStatus.BAD_REQUEST, "invalid_grant")] == THREADS - 1
    family = RefreshToken.objects.filter(client=app, user=user)
    assert family.count() == 2  # the presented token and the one successor
    assert not family.filter(revoked_at__isnull=True).exists()
    for row in family:
        assert denylist.is_denied(row.access_token_jti)
    (winner,) = [r.json() for r in responses if r.status_code == HTTPStatus.OK]
    again = {"grant_type": "refresh_token", "refresh_token": winner["refresh_token"]}
    assert (
        post_token(client, again, **basic_auth(app.client_id)).status_code == HTTPStatus.BAD_REQUEST
    )


def test_a_client_read_during_an_uncommitted_rotation_is_read_again_after_it_commits(app):
    """Another process reads (and remembers) the old row while the rotation is uncommitted."""
    data = {"grant_type": "client_credentials"}

    def from_another_connection():
        responses = []

        def run():
            try:
                responses.append(post_token(HttpClient(), data, **basic_auth(app.client_id)))
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
        return responses[0]

    with transaction.atomic():
        app.set_new_secret()
        app.save()
        assert from_another_connection().status_code == HTTPStatus.OK  # the committed row
    response = from_another_connection()
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_client"
