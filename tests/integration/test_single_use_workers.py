"""Replays at other workers, on the example project's defaults: three gunicorn workers, a SQLite
file and each worker's own local-memory cache (issue 16: every default must be correct).

A DPoP proof or a client assertion used at one worker is spent in the ``SpentIdentifier`` table
(``oauthcore/single_use.py``), so the same proof or assertion sent again is refused by every
worker, the ones that never saw it included. ``X-Worker-Pid`` (tests/pid_wsgi.py) shows which
worker answered each replay.
"""

from __future__ import annotations

import json
import socket
import time
from http import HTTPStatus

import pytest
import requests

from tests import client_jwt
from tests.dpop_kit import DPoPKey
from tests.live_stack import BIN, DefaultStack

pytestmark = [pytest.mark.live, pytest.mark.slow]
WORKERS = 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    port = free_port()
    stack = DefaultStack("single-use", 0, f"http://127.0.0.1:{port}", tmp_path_factory.mktemp("su"))
    try:
        stack.create()
        stack.service = stack.create_client("Service", "client_credentials", scopes="publish")
        stack.pair = client_jwt.key_pair("ES256")
        metadata = {"token_endpoint_auth_method": "private_key_jwt", "jwks": stack.pair.jwks}
        stack.keyed = json.loads(
            stack.manage(
                "createclient", "--name", "Keyed", "--grant-types", "client_credentials",
                "--scopes", "publish", "--metadata", json.dumps(metadata), "--json",
            )
        )  # fmt: skip
        argv = [str(BIN / "gunicorn"), "tests.pid_wsgi:application"]
        argv += ["--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)]
        stack.server = stack.serve(port, argv=argv).url
        yield stack
    finally:
        stack.stop()
        stack.drop()


def replay_at_every_worker(send, first_pid: str) -> dict[str, list[requests.Response]]:
    """Send the same request again until every worker has answered it; return pid -> answers."""
    answers: dict[str, list[requests.Response]] = {}
    deadline = time.monotonic() + 60  # a worker may wait for SQLite's write lock
    while len(answers) < WORKERS and time.monotonic() < deadline:
        response = send()
        answers.setdefault(response.headers["X-Worker-Pid"], []).append(response)
    assert len(answers) == WORKERS, f"replays reached only workers {sorted(answers)}"
    assert set(answers) - {first_pid}  # workers that never saw the first use refused it too
    return answers


def dpop_token_request(stack, proof: str) -> requests.Response:
    """Ask for a client_credentials token with ``proof`` (each request a new connection)."""
    grant = {"grant_type": "client_credentials", "scope": "publish"}
    secret = (stack.service["client_id"], stack.service["client_secret"])
    url = f"{stack.server}/oauth/token/"
    return requests.post(url, data=grant, auth=secret, headers={"DPoP": proof}, timeout=30)


def test_a_dpop_proof_used_at_the_token_endpoint_is_refused_by_every_worker(stack):
    proof = DPoPKey().proof("POST", f"{stack.server}/oauth/token/")
    first = dpop_token_request(stack, proof)
    assert first.status_code == HTTPStatus.OK, first.text
    replays = replay_at_every_worker(
        lambda: dpop_token_request(stack, proof), first.headers["X-Worker-Pid"]
    )
    for pid, answers in replays.items():
        for answer in answers:
            assert answer.status_code == HTTPStatus.BAD_REQUEST, (pid, answer.text)
            assert answer.json()["error"] == "invalid_dpop_proof"
            assert "already used" in answer.json()["error_description"]


def test_a_dpop_proof_used_at_the_api_is_refused_by_every_worker(stack):
    key = DPoPKey()
    issued = dpop_token_request(stack, key.proof("POST", f"{stack.server}/oauth/token/"))
    assert issued.json()["token_type"] == "DPoP", issued.text
    token, url = issued.json()["access_token"], f"{stack.server}/api/publish/"
    headers = {"Authorization": f"DPoP {token}", "DPoP": key.proof("POST", url, access_token=token)}

    def call():
        return requests.post(url, headers=headers, timeout=30)

    first = call()
    assert first.status_code == HTTPStatus.CREATED, first.text
    for pid, answers in replay_at_every_worker(call, first.headers["X-Worker-Pid"]).items():
        for answer in answers:
            assert answer.status_code == HTTPStatus.UNAUTHORIZED, (pid, answer.text)
            assert 'error="invalid_dpop_proof"' in answer.headers["WWW-Authenticate"]
    fresh = {**headers, "DPoP": key.proof("POST", url, access_token=token)}
    assert requests.post(url, headers=fresh, timeout=30).status_code == HTTPStatus.CREATED


def test_a_client_assertion_is_refused_by_every_worker_once_used(stack):
    client_id = stack.keyed["client_id"]
    assertion = client_jwt.assertion(client_id, stack.pair, aud=stack.issuer)
    data = client_jwt.form(assertion, grant_type="client_credentials", scope="publish")

    def send():
        return requests.post(f"{stack.server}/oauth/token/", data=data, timeout=30)

    first = send()
    assert first.status_code == HTTPStatus.OK, first.text
    for pid, answers in replay_at_every_worker(send, first.headers["X-Worker-Pid"]).items():
        for answer in answers:  # each worker counts failures itself: 429 once it throttles
            refused = {HTTPStatus.UNAUTHORIZED, HTTPStatus.TOO_MANY_REQUESTS}
            assert answer.status_code in refused, (pid, answer.text)
    fresh = client_jwt.assertion(client_id, stack.pair, aud=stack.issuer)
    data = client_jwt.form(fresh, grant_type="client_credentials", scope="publish")
    assert send().status_code == HTTPStatus.OK  # a correct request is never throttled
