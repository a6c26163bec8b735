"""DPoP on the example project served by two real gunicorn workers (RFC 9449).

Nonces are stateless (derived from SECRET_KEY), so a nonce one worker gave is accepted by the
other, even with a per-process cache; with a shared cache (Redis) a proof accepted by one worker
is refused by every worker. The example API takes ``Authorization: DPoP`` and refuses a bound
token sent as Bearer (PRODUCT.md).
"""

from __future__ import annotations

import socket
import time
from http import HTTPStatus

import pytest
import requests

from tests.dpop_kit import DPoPKey
from tests.factories import redis_answers
from tests.live_stack import BIN, DefaultStack

pytestmark = [pytest.mark.live, pytest.mark.slow]
REDIS = "redis://127.0.0.1:6379/10"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not redis_answers(REDIS):
        pytest.skip("needs Redis at 127.0.0.1:6379 (the workers share the jti store)")
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    extra = {"CACHE_URL": REDIS, "OAUTHCORE_DPOP_NONCES": "true"}
    stack = DefaultStack("dpop", 10, issuer, tmp_path_factory.mktemp("dpop"), env_extra=extra)
    try:
        stack.create()
        stack.service = stack.create_client("Service", "client_credentials", scopes="publish")
        argv = [str(BIN / "gunicorn"), "tests.pid_wsgi:application"]
        argv += ["--bind", f"127.0.0.1:{port}", "--workers", "2"]
        stack.server = stack.serve(port, argv=argv).url
        yield stack
    finally:
        stack.stop()
        stack.drop()


def token_request(stack, key, nonce=None) -> requests.Response:
    proof = key.proof("POST", f"{stack.server}/oauth/token/", nonce=nonce)
    service = stack.service
    return requests.post(
        f"{stack.server}/oauth/token/",
        data={"grant_type": "client_credentials", "scope": "publish"},
        auth=(service["client_id"], service["client_secret"]),
        headers={"DPoP": proof},
        timeout=10,
    )


def test_a_nonce_from_one_worker_is_accepted_by_the_other(stack):
    key = DPoPKey()
    first = token_request(stack, key)
    assert first.status_code == HTTPStatus.BAD_REQUEST
    assert first.json()["error"] == "use_dpop_nonce"
    nonce, giver = first.headers["DPoP-Nonce"], first.headers["X-Worker-Pid"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        response = token_request(stack, key, nonce)
        assert response.status_code == HTTPStatus.OK, response.text
        if response.headers["X-Worker-Pid"] != giver:
            assert response.json()["token_type"] == "DPoP"
            return
    raise AssertionError("the other worker never answered")


def bound_token(stack, key) -> str:
    nonce = token_request(stack, key).headers["DPoP-Nonce"]
    response = token_request(stack, key, nonce)
    assert response.status_code == HTTPStatus.OK, response.text
    return response.json()["access_token"]


def test_the_example_api_takes_dpop_and_refuses_the_token_as_bearer(stack):
    key = DPoPKey()
    token = bound_token(stack, key)
    url = f"{stack.server}/api/publish/"
    proof = key.proof("POST", url, access_token=token)
    headers = {"Authorization": f"DPoP {token}", "DPoP": proof}
    assert requests.post(url, headers=headers, timeout=10).status_code == HTTPStatus.CREATED
    as_bearer = requests.post(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert as_bearer.status_code == HTTPStatus.UNAUTHORIZED
    assert as_bearer.json()["error"] == "invalid_token"
    assert 'DPoP algs="' in as_bearer.headers["WWW-Authenticate"]


def test_a_proof_accepted_by_one_worker_is_refused_by_both(stack):
    key = DPoPKey()
    token = bound_token(stack, key)
    url = f"{stack.server}/api/publish/"
    headers = {"Authorization": f"DPoP {token}", "DPoP": key.proof("POST", url, access_token=token)}
    assert requests.post(url, headers=headers, timeout=10).status_code == HTTPStatus.CREATED
    refused_by = set()
    deadline = time.monotonic() + 30
    while len(refused_by) < 2 and time.monotonic() < deadline:
        response = requests.post(url, headers=headers, timeout=10)
        assert response.status_code == HTTPStatus.UNAUTHORIZED, response.text
        assert 'error="invalid_dpop_proof"' in response.headers["WWW-Authenticate"]
        refused_by.add(response.headers["X-Worker-Pid"])
    assert len(refused_by) == 2
