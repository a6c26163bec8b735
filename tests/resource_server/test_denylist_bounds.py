"""The deny-list copy each process keeps is bounded, and a change reads only what it added.

A revocation moves the generation: the next check reads the deny rows after the copy's
generation, not the whole table and not the clients; a move that was not a revocation (a client
deactivated) reads the client cutoffs again. Expired jtis leave the copy at the next sweep
(``PRUNE_INTERVAL``), so it holds only tokens that could still be presented.
bench/state_bounds.py measures it with 10^5 revoked tokens and 10^5 clients.
"""

import time
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oauthcore.resource_server import access_tokens, denylist
from oauthcore.server import revocation
from tests.protocol import tokens_for

pytestmark = pytest.mark.django_db


def api(http, token) -> int:
    return http.get("/api/profile/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code


def revoke(token: str) -> None:
    revocation.revoke_access_token(access_tokens.decode(token).claims)


def tables_read(queries) -> set[str]:
    return {
        table
        for query in queries.captured_queries
        for table in ("oauthcore_client", "oauthcore_deletedclient", "oauthcore_revokedaccesstoken")
        if f'FROM "{table}"' in query["sql"]
    }


def test_a_revocation_is_read_alone_without_the_clients(client, client_app, user):
    kept, revoked = tokens_for(client, client_app, user), tokens_for(client, client_app, user)
    assert api(client, kept["access_token"]) == HTTPStatus.OK  # the copy is loaded
    revoke(revoked["access_token"])
    with CaptureQueriesContext(connection) as queries:
        assert api(client, revoked["access_token"]) == HTTPStatus.UNAUTHORIZED
    assert tables_read(queries) == {"oauthcore_revokedaccesstoken"}
    deny_reads = [q["sql"] for q in queries.captured_queries if "revokedaccesstoken" in q["sql"]]
    assert all('"generation" >' in sql for sql in deny_reads), deny_reads
    assert api(client, kept["access_token"]) == HTTPStatus.OK


def test_a_client_deactivated_among_revocations_is_refused(client, client_app, user):
    issued, other, last = (tokens_for(client, client_app, user) for _ in range(3))
    assert api(client, issued["access_token"]) == HTTPStatus.OK
    revoke(other["access_token"])
    client_app.is_active = False
    client_app.save()
    revoke(last["access_token"])  # a revocation after it
    with CaptureQueriesContext(connection) as queries:
        assert api(client, issued["access_token"]) == HTTPStatus.UNAUTHORIZED
    assert "oauthcore_client" in tables_read(queries)  # the deactivation was not a revocation
    assert api(client, other["access_token"]) == HTTPStatus.UNAUTHORIZED


def test_expired_jtis_leave_the_copy_at_the_next_sweep(client, client_app, user, monkeypatch):
    issued = tokens_for(client, client_app, user)
    soon = timezone.now() + timedelta(seconds=1)
    revocation.deny([("expires-soon", soon)])
    assert api(client, issued["access_token"]) == HTTPStatus.OK
    assert "expires-soon" in denylist._local["jtis"]
    time.sleep(1.1)
    revocation.deny([("later", timezone.now() + timedelta(hours=1))])
    assert api(client, issued["access_token"]) == HTTPStatus.OK
    assert "expires-soon" in denylist._local["jtis"]  # no sweep on every move
    monkeypatch.setattr(denylist, "PRUNE_INTERVAL", 0.0)
    revocation.deny([("last", timezone.now() + timedelta(hours=1))])
    assert api(client, issued["access_token"]) == HTTPStatus.OK
    assert set(denylist._local["jtis"]) == {"later", "last"}
