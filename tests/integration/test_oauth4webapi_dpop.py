"""panva's oauth4webapi, a spec-strict client, against oauthcore's DPoP over real HTTP.

The package is installed from npm into tests/js/node_modules (tests/js/package.json pins it) on
first use; without node or npm the test is skipped.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import factories

pytestmark = [pytest.mark.live, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

JS = Path(__file__).resolve().parents[1] / "js"


@pytest.fixture(scope="module")
def node_client():
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("needs node and npm")
    if not (JS / "node_modules" / "oauth4webapi").is_dir():
        install = ["npm", "install", "--no-audit", "--no-fund", "--silent"]
        subprocess.run(install, cwd=JS, check=True, timeout=300)
    return JS / "dpop_client.mjs"


def test_oauth4webapi_gets_a_dpop_token_and_calls_the_api(node_client, live_server, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ISSUER": live_server.url, "DPOP_NONCES": True}
    app = factories.ClientFactory(grant_types=["client_credentials"], allowed_scopes=["publish"])
    env = {
        **os.environ,
        "ISSUER": live_server.url,
        "CLIENT_ID": app.client_id,
        "CLIENT_SECRET": factories.DEMO_SECRET,
    }
    result = subprocess.run(
        ["node", str(node_client)], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout)
    assert seen == {
        "algs": ["ES256", "EdDSA", "PS256", "RS256"],
        "nonce_asked": True,
        "token_type": "dpop",  # oauth4webapi lowercases it
        "api": 201,
        "other_key": "invalid_dpop_proof",
        "as_bearer": 401,
    }
