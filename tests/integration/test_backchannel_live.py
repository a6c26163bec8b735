"""Back-channel logout across processes: the example project under gunicorn, a task worker
(``manage.py db_worker``) delivering the logout token, and a relying party on a loopback port that
validates it against the published JWKS with PyJWT (OIDC Back-Channel Logout 2.5, 2.6)."""

import base64
import hashlib
import secrets
import subprocess
import sys
import time
from http import HTTPStatus
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests

from tests.live_stack import ROOT, Server
from tests.logout_receiver import Receiver, validate
from tests.node_client import REDIRECT_URI, TIMEOUT, Browser, register, start_site

pytestmark = [pytest.mark.live, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The example project, live, seeded, in development mode (loopback fetches allowed)."""
    stack = start_site(tmp_path_factory.mktemp("backchannel-site"), DEBUG="true")
    yield stack
    stack.stop()
    stack.drop()


@pytest.fixture
def worker(site):
    """A real task worker process on the site's database."""
    log = site.workdir / "worker.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay"],
            cwd=ROOT,
            env=site.env(DEBUG="true"),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, "", log)
    yield server
    server.stop()


def code_flow(site, client: dict, alice: Browser) -> dict:
    """Run the code flow with openid for alice; return the token response."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile",
        "state": "s-1",
        "nonce": "n-1",
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
    }
    callback = alice.allow(f"{site.issuer}/oauth/authorize/?{urlencode(params)}")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    response = requests.post(
        f"{site.issuer}/oauth/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=(client["client_id"], client["client_secret"]),
        timeout=TIMEOUT,
    )
    assert response.status_code == HTTPStatus.OK, response.text
    return response.json()


def test_a_worker_delivers_a_valid_logout_token_to_the_relying_party(site, worker):
    with Receiver() as rp:
        client = register(
            site,
            {
                "client_name": "Back-channel RP",
                "redirect_uris": [REDIRECT_URI],
                "scope": "openid profile",
                "backchannel_logout_uri": rp.url,
                "backchannel_logout_session_required": True,
            },
        )
        alice = Browser(site.issuer)
        body = code_flow(site, client, alice)
        id_token = jwt.decode(body["id_token"], options={"verify_signature": False})
        started = time.monotonic()
        logout = alice.agent.get(
            f"{site.issuer}/oauth/logout/",
            params={"id_token_hint": body["id_token"]},
            timeout=TIMEOUT,
        )
        assert logout.status_code == HTTPStatus.OK
        assert time.monotonic() - started < 2
        deadline = time.monotonic() + 20
        while not rp.tokens and time.monotonic() < deadline:
            time.sleep(0.1)
        assert rp.tokens, worker.log.read_text()[-2000:]
        jwks = requests.get(f"{site.issuer}/oauth/jwks.json", timeout=TIMEOUT).json()
        claims = validate(rp.tokens[0], jwks, issuer=site.issuer, audience=client["client_id"])
    assert claims["sid"] == id_token["sid"]
    assert claims["sub"] == id_token["sub"]
    assert "nonce" not in claims
    assert len(rp.tokens) == 1
