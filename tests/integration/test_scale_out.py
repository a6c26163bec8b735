"""Two gunicorn servers of the example project behind one issuer, sharing PostgreSQL and Redis.

What one server does, the other honours: codes, refresh-token rotation and reuse detection,
revocation and a rotated secret (within SYNC_INTERVAL, through the generation in the database),
key rotation (no restart), and a separate API project that knows only the issuer follows the
rotation via JWKS.
Ends with the bounded load test of bench/load.py against both servers.
"""

import base64
import importlib.util
import json
import subprocess
import sys
import time
from http import HTTPStatus

import pytest
import requests

from tests.live_stack import ROOT, Stack, skip_reason

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or ""),
]

PORT_A, PORT_B, PORT_API = 8201, 8202, 8203
ISSUER = f"http://127.0.0.1:{PORT_A}"  # both servers serve it, as behind a load balancer
KEY_CACHE_TTL = 3  # seconds
SYNC_SECONDS = 1.5  # SYNC_INTERVAL (1 s) and a request
REDIRECT_URI = "http://127.0.0.1:8765/callback"
USER = "alice:scale-out-password"

spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
load = sys.modules["bench_load"] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(load)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    env = {"OAUTHCORE_KEY_CACHE_TTL": str(KEY_CACHE_TTL)}
    stack = Stack("oauthcore_scaleout", 11, ISSUER, tmp_path_factory.mktemp("scaleout"), env)
    try:
        stack.create()
        stack.create_user(*USER.split(":"))
        stack.web = stack.create_client(
            "Web",
            "authorization_code",
            "refresh_token",
            scopes="read:profile read:email",
            redirect_uris=[REDIRECT_URI],
        )
        stack.service = stack.create_client("Service", "client_credentials", scopes="publish")
        stack.a, stack.b = stack.serve(PORT_A).url, stack.serve(PORT_B).url
        yield stack
    finally:
        stack.stop()
        stack.drop()


def auth(client):
    return (client["client_id"], client["client_secret"])


def code_flow_tokens(stack, *, redeem_at):
    """Sign in and Allow at server A; exchange the code at ``redeem_at``; return the body."""
    code, verifier = load.authorize_code(
        requests.Session(), stack.a, stack.web["client_id"], REDIRECT_URI, USER
    )
    web = load.Credentials(*auth(stack.web))
    response = load.exchange(redeem_at, web, code, verifier, REDIRECT_URI)
    assert response.status_code == HTTPStatus.OK, response.text
    return response.json()


def token_request(server, client, **data):
    return requests.post(f"{server}/oauth/token/", data=data, auth=auth(client), timeout=10)


def client_token(server, stack) -> str:
    response = token_request(
        server, stack.service, grant_type="client_credentials", scope="publish"
    )
    assert response.status_code == HTTPStatus.OK, response.text
    return response.json()["access_token"]


def api(server, token, path="/api/profile/"):
    method = "POST" if path == "/api/publish/" else "GET"
    headers = {"Authorization": f"Bearer {token}"}
    return requests.request(method, server + path, headers=headers, timeout=10)


def remote_get(server, token):
    """GET the separate API project's view (it needs the publish scope)."""
    headers = {"Authorization": f"Bearer {token}"}
    return requests.get(f"{server}/api/publish/", headers=headers, timeout=10)


def kid_of(token):
    header = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


def test_code_issued_at_a_is_redeemed_at_b(stack):
    body = code_flow_tokens(stack, redeem_at=stack.b)
    for server in (stack.a, stack.b):
        response = api(server, body["access_token"])
        assert response.status_code == HTTPStatus.OK, response.text


def test_refresh_reuse_at_b_kills_the_family_on_both(stack):
    first = code_flow_tokens(stack, redeem_at=stack.a)
    second = token_request(
        stack.a, stack.web, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert second.status_code == HTTPStatus.OK
    second = second.json()

    reuse = token_request(
        stack.b, stack.web, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert reuse.status_code == HTTPStatus.BAD_REQUEST
    assert reuse.json()["error"] == "invalid_grant"
    time.sleep(SYNC_SECONDS)  # A reads the generation B moved within SYNC_INTERVAL
    for server in (stack.a, stack.b):
        again = token_request(
            server, stack.web, grant_type="refresh_token", refresh_token=second["refresh_token"]
        )
        assert again.json()["error"] == "invalid_grant"
        assert api(server, second["access_token"]).status_code == HTTPStatus.UNAUTHORIZED
    jti = load.jti_of(second["access_token"])
    (live,) = stack.query(
        "SELECT count(*) FILTER (WHERE revoked_at IS NULL) FROM oauthcore_refreshtoken"
        " WHERE family_id = (SELECT family_id FROM oauthcore_refreshtoken WHERE access_token_jti = %s)",
        (jti,),
    )
    assert live == (0,)


def test_revocation_at_a_is_refused_by_b_within_the_sync_interval(stack):
    token = client_token(stack.a, stack)
    assert api(stack.b, token, "/api/publish/").status_code == HTTPStatus.CREATED
    revoked = requests.post(
        f"{stack.a}/oauth/revoke/", data={"token": token}, auth=auth(stack.service), timeout=10
    )
    assert revoked.status_code == HTTPStatus.OK
    time.sleep(SYNC_SECONDS)  # B reads the generation again within SYNC_INTERVAL
    response = api(stack.b, token, "/api/publish/")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


ROTATE_SECRET = """
from oauthcore.models import Client
client = Client.objects.get(client_id={client_id!r})
print(client.set_new_secret())
client.save()
"""


def test_a_secret_rotated_elsewhere_is_refused_by_every_worker_within_a_second(stack):
    for server in (stack.a, stack.b):  # every worker remembers the client (2 workers each)
        for _ in range(6):
            client_token(server, stack)
    old = dict(stack.service)
    script = ROTATE_SECRET.format(client_id=old["client_id"])
    printed = stack.manage("shell", "-c", script)  # a third process saves the client
    stack.service["client_secret"] = printed.strip().splitlines()[-1]
    time.sleep(SYNC_SECONDS)  # every worker reads the generation again within SYNC_INTERVAL
    for server in (stack.a, stack.b):
        for _ in range(4):
            response = token_request(server, old, grant_type="client_credentials")
            assert response.status_code == HTTPStatus.UNAUTHORIZED
            assert response.json()["error"] == "invalid_client"
            assert client_token(server, stack)


def test_bounded_load_on_both_servers(stack):
    web = stack.create_client(
        "Load web",
        "authorization_code",
        "refresh_token",
        scopes="read:profile read:email",
        redirect_uris=[REDIRECT_URI],
    )
    argv = [
        sys.executable,
        str(ROOT / "bench" / "load.py"),
        "--servers",
        stack.a,
        stack.b,
        "--service-client",
        ":".join(auth(stack.service)),
        "--web-client",
        ":".join(auth(web)),
        "--user",
        USER,
        "--redirect-uri",
        REDIRECT_URI,
        "--requests",
        "300",
        "--seconds",
        "60",
        "--threads",
        "6",
        "--families",
        "8",
    ]
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert result.stdout, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["errors"] == [] and report["duplicate_jtis"] == []
    assert report["requests"] == 300 and result.returncode == 0, result.stderr
    assert set(report["operations"]) >= {"issue", "api", "refresh", "revoke"}
    # In the database: each family of the run has exactly one live member.
    families = stack.query(
        "SELECT count(*) FILTER (WHERE rt.rotated_at IS NULL AND rt.revoked_at IS NULL)"
        " FROM oauthcore_refreshtoken rt JOIN oauthcore_client c ON c.id = rt.client_id"
        " WHERE c.client_id = %s GROUP BY rt.family_id",
        (web["client_id"],),
    )
    assert families == [(1,)] * 8


def test_rotation_reaches_both_servers_and_the_separate_api(stack):
    env = {"DJANGO_SETTINGS_MODULE": "tests.apionly.settings", "APIONLY_ISSUER": ISSUER}
    env["APIONLY_JWKS_MIN_REFETCH_INTERVAL"] = "1"
    remote = stack.serve(
        PORT_API, app="tests.apionly.wsgi:application", ready="/api/publish/", **env
    ).url
    old = client_token(stack.a, stack)
    assert remote_get(remote, old).status_code == HTTPStatus.OK

    rotated = json.loads(stack.manage("rotatekeys", "--json"))
    assert rotated["state"] == "active" and rotated["kid"] != kid_of(old)
    time.sleep(KEY_CACHE_TTL + 0.5)  # every process rereads its keys within KEY_CACHE_TTL
    fresh = [client_token(server, stack) for server in (stack.a, stack.b) for _ in range(6)]
    assert {kid_of(token) for token in fresh} == {rotated["kid"]}

    for token in (old, fresh[0], fresh[-1]):  # old tokens still validate, new ones everywhere
        for server in (stack.a, stack.b):
            assert api(server, token, "/api/publish/").status_code == HTTPStatus.CREATED
        response = remote_get(remote, token)
        assert response.status_code == HTTPStatus.OK, response.text
        assert response.json()["jti"] == load.jti_of(token)
