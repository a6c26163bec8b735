"""One DPoP proof sent by many clients at once: exactly one is accepted, whichever store (PostgreSQL).

The database store's INSERT waits for a concurrent one of the same key and then fails; the cache
store's ``add`` is atomic. SQLite serializes writers, so the race cannot happen there (and
tests/integration/test_single_use_workers.py races real worker processes on SQLite).
"""

import threading
from collections import Counter
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client as HttpClient

from tests import factories
from tests.dpop_kit import DPoPKey
from tests.protocol import basic_auth, post_token

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

THREADS = 16
GRANT = {"grant_type": "client_credentials", "scope": "publish"}


def race(proof: str, client_id: str) -> Counter:
    """POST one token request with ``proof`` from THREADS threads released at once."""
    barrier, answers = threading.Barrier(THREADS), []

    def run():
        try:
            http = HttpClient()
            barrier.wait()
            response = post_token(http, GRANT, **basic_auth(client_id), HTTP_DPOP=proof)
            answers.append((response.status_code, response.json().get("error")))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Counter(answers)


@pytest.mark.parametrize("store", ["auto", "database"])
def test_one_proof_sent_at_once_many_times_is_accepted_once(settings, store):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "SINGLE_USE_STORE": store}
    app = factories.ClientFactory()
    for _ in range(3):
        outcome = race(DPoPKey().proof(), app.client_id)
        expected = {
            (HTTPStatus.OK, None): 1,
            (HTTPStatus.BAD_REQUEST, "invalid_dpop_proof"): THREADS - 1,
        }
        assert outcome == expected
