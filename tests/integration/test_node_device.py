"""panva's oauth4webapi as a device (RFC 8628) against the live example project: the node script
asks for codes and polls over HTTP in its own process while alice, in her browser session,
opens ``verification_uri_complete`` and presses Allow (or Cancel). See tests/node_client.py."""

import json
import subprocess
import threading
from http import HTTPStatus
from urllib.parse import urljoin

import jwt
import pytest

from tests import browser
from tests import node_client as kit
from tests.node_client import NodeClient, NodeClientError

site, metadata, node_client, alice = kit.site, kit.metadata, kit.node_client, kit.alice
pytestmark = [pytest.mark.live, pytest.mark.slow]
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture(scope="module")
def device_app(site) -> dict:
    document = {
        "client_name": "Node TV",
        "grant_types": [DEVICE_CODE, "refresh_token"],
        "token_endpoint_auth_method": "none",
        "scope": "openid read:profile",
    }
    return kit.register(site, document)


def decide(user: kit.Browser, started: dict, button: str) -> None:
    """alice opens the complete verification URI and presses ``button`` (the code is filled)."""
    page = user.agent.get(started["verification_uri_complete"], timeout=kit.TIMEOUT)
    assert page.status_code == HTTPStatus.OK, page.text[-1000:]
    assert started["user_code"] in page.text
    form = browser.form_with_button(page.text, button)
    done = user.agent.post(
        urljoin(page.url, form.action or page.url),
        data=form.data(button),
        headers={"Referer": page.url},
        timeout=kit.TIMEOUT,
    )
    assert done.status_code == HTTPStatus.OK, done.text[-1000:]


def run_device(client: NodeClient, app: dict, user: kit.Browser, button: str) -> dict:
    """Run device_code.mjs; when it prints its codes, alice decides; return its result."""
    argv = [*client.argv("device_code.mjs"), f"--client-id={app['client_id']}", "--auth=none"]
    argv.append("--scope=openid read:profile")
    process = subprocess.Popen(
        argv, cwd=kit.NODE_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    timer = threading.Timer(kit.SCRIPT_TIMEOUT, process.kill)
    timer.start()
    try:
        first = process.stdout.readline()
        if not first.startswith("{"):
            process.wait()
            raise NodeClientError("device_code.mjs", process.returncode, process.stderr.read())
        decide(user, json.loads(first)["started"], button)
        stdout, stderr = process.communicate()
    finally:
        timer.cancel()
        if process.poll() is None:
            process.kill()
            process.communicate()
    if process.returncode != 0:
        raise NodeClientError("device_code.mjs", process.returncode, stderr)
    return json.loads(stdout.strip().splitlines()[-1])


def test_the_device_gets_tokens_of_the_user_who_allowed(node_client, device_app, alice, metadata):
    kit.need(metadata, "device_authorization_endpoint")
    result = run_device(node_client, device_app, alice, "Allow")
    tokens = result["tokens"]
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["client_id"] == device_app["client_id"]
    assert claims["sub"] and claims["sub"] != device_app["client_id"]
    assert tokens["scope"] == "openid read:profile" and tokens["refresh_token"]


def test_cancel_is_access_denied_for_the_device(node_client, device_app, alice, metadata):
    kit.need(metadata, "device_authorization_endpoint")
    with pytest.raises(NodeClientError) as failure:
        run_device(node_client, device_app, alice, "Cancel")
    assert failure.value.detail["error"] == "access_denied"
