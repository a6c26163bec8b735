"""Budgets that keep the document fetcher from being turned against others.

An attacker who controls DNS can point many names at one victim address, so each name's own
count would never fill; and one address opening /authorize with document URLs on slow hosts of
its own could keep every worker waiting. Both are bounded, and neither bound touches others.
"""

from http import HTTPStatus

import pytest

from oauthcore import fetch
from tests.document_server import DocumentServer
from tests.security.test_fetch_guards import Resolver, attempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def configure(settings):
    def apply(**overrides):
        settings.OAUTHCORE = {
            **settings.OAUTHCORE,
            "CLIENT_ID_METADATA_DOCUMENTS": True,
            "FETCH_ALLOW_LOOPBACK": True,  # the test's document server is on loopback
            **overrides,
        }

    return apply


@pytest.fixture
def server():
    started = DocumentServer()
    yield started
    started.close()


def test_many_names_for_one_address_share_its_count(configure, server):
    configure(FETCH_HOST_RATE_LIMIT=2)
    server.serve("/client.json", b"{}")
    # Every name resolves to the document server; each is new, so only the address's count fills.
    fetcher = Resolver(["127.0.0.1"])
    for name in ("a", "b"):
        url = f"https://{name}.victim.test:{server.port}/client.json"
        with pytest.raises(fetch.FetchError) as tried:
            fetcher.get(url)  # a TLS handshake with a plain HTTP server: it fails, but it ran
        assert "Too many fetches" not in tried.value.reason
    with pytest.raises(fetch.FetchError, match=r"Too many fetches from c\.victim\.test"):
        fetcher.get(f"https://c.victim.test:{server.port}/client.json")


def test_one_address_cannot_cause_more_fetches_than_its_budget(client, user, configure, server):
    configure(CLIENT_METADATA_FETCHES_PER_ADDRESS=2)
    urls = [server.document(f"/slow-{n}.json") for n in range(3)]
    assert attempt(client, user, urls[0]).status_code == HTTPStatus.OK
    assert attempt(client, user, urls[1]).status_code == HTTPStatus.OK
    response = attempt(client, user, urls[2])
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(response["Retry-After"]) >= 1
    assert "Location" not in response
    assert server.paths() == ["/slow-0.json", "/slow-1.json"]  # the third was never fetched


def test_the_budget_of_one_address_does_not_limit_another(client, user, configure, server):
    configure(CLIENT_METADATA_FETCHES_PER_ADDRESS=1)
    first, second = server.document("/one.json"), server.document("/two.json")
    assert attempt(client, user, first).status_code == HTTPStatus.OK
    assert attempt(client, user, second).status_code == HTTPStatus.TOO_MANY_REQUESTS
    client.defaults["REMOTE_ADDR"] = "198.51.100.7"
    assert attempt(client, user, second).status_code == HTTPStatus.OK
    # A client already stored and fresh costs no fetch, so it is never limited.
    client.defaults["REMOTE_ADDR"] = "127.0.0.1"
    assert attempt(client, user, first).status_code == HTTPStatus.OK
    assert server.paths() == ["/one.json", "/two.json"]
