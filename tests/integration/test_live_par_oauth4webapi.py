"""A spec-strict client, panva's oauth4webapi (node), pushes its authorization request (RFC 9126)
to the example project served over real HTTP, sends the user with the request_uri, and redeems
the code: confidential (client_secret_basic) and public (none) clients, PKCE S256 both."""

import json
import shutil
import subprocess
from http import HTTPStatus
from pathlib import Path

import pytest
import requests

from oauthcore.models import PushedAuthorizationRequest
from tests.integration.test_live_authlib import approve_in_browser

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
REDIRECT_URI = "http://127.0.0.1:8765/callback"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        shutil.which("node") is None or not (NODE_DIR / "node_modules" / "oauth4webapi").exists(),
        reason="needs node and oauth4webapi: npm ci --prefix tests/node",
    ),
]


def run_client(*args: str) -> dict:
    """Run tests/node/par.mjs; return its JSON answer (a failure shows oauth4webapi's error)."""
    done = subprocess.run(
        ["node", str(NODE_DIR / "par.mjs"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def issuer(live_server, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ISSUER": live_server.url}
    return live_server.url


@pytest.mark.parametrize("public", [False, True])
def test_oauth4webapi_pushes_then_authorizes(issuer, user, client_factory, secret, public):
    app = client_factory(public=public, redirect_uris=[REDIRECT_URI])
    credential = "-" if public else secret
    pushed = run_client("push", issuer, app.client_id, credential, REDIRECT_URI, "read:profile")
    assert pushed["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert 0 < pushed["expires_in"] < 600
    callback = approve_in_browser(pushed["authorization_url"])
    assert PushedAuthorizationRequest.objects.get().used_at is not None
    tokens = run_client(
        "redeem",
        issuer,
        app.client_id,
        credential,
        REDIRECT_URI,
        callback,
        pushed["code_verifier"],
        pushed["state"],
    )
    assert tokens["token_type"].lower() == "bearer" and tokens["scope"] == "read:profile"
    profile = requests.get(
        f"{issuer}/api/profile/",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    )
    assert profile.status_code == HTTPStatus.OK


def test_oauth4webapi_sees_the_challenge_of_a_bad_secret(issuer, client_factory):
    """RFC 6749 5.2: a failed Basic authentication is a 401 with a Basic challenge."""
    app = client_factory(redirect_uris=[REDIRECT_URI])
    args = ["push", issuer, app.client_id, "wrong", REDIRECT_URI, "read:profile"]
    done = subprocess.run(
        ["node", str(NODE_DIR / "par.mjs"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("WWWAuthenticateChallengeError") and '"basic"' in done.stderr
    assert not PushedAuthorizationRequest.objects.exists()
