"""The example MCP server under uvicorn with several worker processes and no sticky sessions.

Each request of the SDK's client goes on a new TCP connection, as behind a load balancer without
session affinity, so the worker that accepts it is whichever the kernel wakes. The example server
is stateless (``stateless_http=True``, ``json_response=True``): no request depends on a session
kept in one process's memory, so every call succeeds wherever it lands. uvicorn's log names the
process that served each request: the calls did spread over the workers.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from mcp.shared.auth import OAuthClientInformationFull

from tests.mcp_kit import (
    SCOPES,
    MemoryStorage,
    assert_answers_for_alice,
    assert_bound_to_the_mcp_server,
    assert_tools_answer_for_alice,
    connect,
    start_site,
)

pytestmark = [pytest.mark.live, pytest.mark.slow]
WORKERS = 3
MORE_CALLS = 10
MCP_LINE = re.compile(
    r'^(\d+) INFO uvicorn\.access .*"(POST|GET|DELETE) /mcp HTTP/1\.1" (\d+)', re.M
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    stack = start_site(tmp_path_factory.mktemp("mcp-workers"), "mcp-workers", workers=WORKERS)
    yield stack
    stack.stop()
    stack.drop()


def test_the_tools_answer_whichever_worker_takes_each_request(site):
    argv = ["createclient", "--name", "MCP workers app", "--public", "--scopes", SCOPES]
    argv += ["--grant-types", "authorization_code", "refresh_token"]
    created = json.loads(site.manage(*argv, "--redirect-uris", site.redirect_uri, "--json"))
    info = OAuthClientInformationFull(
        client_id=created["client_id"],
        redirect_uris=[site.redirect_uri],
        grant_types=["authorization_code", "refresh_token"],
        token_endpoint_auth_method="none",
    )
    storage = MemoryStorage(info)
    results, _user, seen = connect(site, storage, more_calls=MORE_CALLS, fresh_connections=True)

    assert_tools_answer_for_alice(results)
    assert len(results["more"]) == MORE_CALLS
    for whoami, contacts in zip(results["more"][::2], results["more"][1::2], strict=True):
        assert_answers_for_alice(whoami, contacts)
    assert_bound_to_the_mcp_server(site, storage.tokens.access_token)
    after_token = [s for s in seen if s[1] == "/mcp"][1:]  # the first is the 401
    assert all(status < 400 or status == 405 for _m, _p, status, _c in after_token), after_token

    served = MCP_LINE.findall(site.servers[0].log.read_text())
    answered = Counter(
        pid for pid, method, status in served if method == "POST" and status == "200"
    )
    assert sum(answered.values()) >= MORE_CALLS + 4  # initialize, list, 2 + 10 calls, the check
    assert len(answered) >= 2, answered  # more than one worker answered
