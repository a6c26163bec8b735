"""A spec-strict outside client: panva's oauth4webapi (node, tests/node/) against the live example.

The example project runs under gunicorn in a subprocess on a free port, on its own SQLite file,
migrated and seeded as ``make demo`` does (``site``). Each script of tests/node/ drives one flow
and prints one JSON result line (``node_client``); the code flow prints the authorization URL
first and reads the callback URL on stdin, while ``Browser`` plays alice: she signs in and presses
"Allow". Everything skips with its reason when node (>= 20) or the npm packages are missing
(``npm ci --prefix tests/node``).
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import threading
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from tests import browser
from tests.live_stack import BIN, DefaultStack

NODE_DIR = Path(__file__).resolve().parent / "node"
PASSWORD = "alice-node-password"
REDIRECT_URI = "http://127.0.0.1:8765/callback"  # seeddemo's loopback callback: nothing listens
TIMEOUT = 10  # seconds, for each HTTP request of the Python side
SCRIPT_TIMEOUT = 60  # seconds, for a whole script
SECRETS = {  # oauthcore/management/commands/seeddemo.py
    "demo-web": "demo-web-secret",
    "demo-rp": "demo-rp-secret",
    "demo-service": "demo-service-secret",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def skip_reason() -> str | None:
    """Say why the node client cannot run here, or None when it can."""
    node = shutil.which("node")
    if node is None:
        return "node is not installed (the oauth4webapi client needs Node >= 20)"
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, timeout=10
    ).stdout.strip()
    match = re.match(r"v(\d+)\.", version)
    if not match or int(match.group(1)) < 20:
        return f"node {version or '?'} is too old: oauth4webapi needs Node >= 20"
    if not (NODE_DIR / "node_modules" / "oauth4webapi" / "package.json").exists():
        return "oauth4webapi is not installed: run `npm ci --prefix tests/node`"
    return None


class NodeClientError(AssertionError):
    """A script failed: ``detail`` is its stderr JSON (oauth4webapi's code, the OAuth error)."""

    def __init__(self, script: str, returncode: int, stderr: str) -> None:
        self.detail: dict = {}
        for line in reversed(stderr.strip().splitlines()):
            try:
                self.detail = json.loads(line)
                break
            except ValueError:
                continue
        super().__init__(f"{script} exited {returncode}: {stderr[-2000:]}")


# The scripts' options that take no value; every other option is joined to its value with "=",
# so that a client_id or secret starting with "-" is not read as an option.
FLAGS = {"introspect", "revoke", "par", "jar", "dpop-jkt", "refresh", "userinfo"}


def joined(args: tuple[str, ...]) -> list[str]:
    """Return ``args`` with each ``--option value`` written ``--option=value``."""
    out, rest = [], list(args)
    while rest:
        arg = rest.pop(0)
        if arg.startswith("--") and "=" not in arg and arg[2:] not in FLAGS and rest:
            arg = f"{arg}={rest.pop(0)}"
        out.append(arg)
    return out


def _last_json_line(script: str, stdout: str) -> dict:
    lines = [line for line in stdout.strip().splitlines() if line.startswith("{")]
    assert lines, f"{script} printed no JSON: {stdout[-2000:]}"
    return json.loads(lines[-1])


class NodeClient:
    """Runs the scripts of tests/node/ against ``issuer``."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def argv(self, script: str) -> list[str]:
        return [shutil.which("node") or "node", str(NODE_DIR / script), f"--issuer={self.issuer}"]

    def run(self, script: str, *args: str) -> dict:
        """Run a script to its end; return its JSON result, or raise ``NodeClientError``."""
        result = subprocess.run(
            [*self.argv(script), *joined(args)],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            timeout=SCRIPT_TIMEOUT,
        )
        if result.returncode != 0:
            raise NodeClientError(script, result.returncode, result.stderr)
        return _last_json_line(script, result.stdout)

    def code_flow(self, *args: str, user: Browser, script: str = "authorization_code.mjs") -> dict:
        """Run the code flow: the script's authorization URL goes to ``user``, who signs in and
        allows; the callback goes back to the script. Return the script's result (with the
        ``authorization_url`` and the ``callback`` added)."""
        process = subprocess.Popen(
            [*self.argv(script), *joined(args)],
            cwd=NODE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        timer = threading.Timer(SCRIPT_TIMEOUT, process.kill)
        timer.start()
        try:
            first = process.stdout.readline()
            if not first.startswith("{"):
                process.wait()
                raise NodeClientError(script, process.returncode, first + process.stderr.read())
            start = json.loads(first)
            callback = user.allow(start["authorization_url"])
            stdout, stderr = process.communicate(callback + "\n")
        finally:
            timer.cancel()
            if process.poll() is None:
                process.kill()
                process.communicate()  # reap it and close its pipes
        if process.returncode != 0:
            raise NodeClientError(script, process.returncode, stderr)
        result = _last_json_line(script, stdout)
        return {**result, "authorization_url": start["authorization_url"], "callback": callback}


class Browser:
    """alice at her browser: signs in, opens the authorization URL, presses "Allow"."""

    def __init__(self, issuer: str, *, username: str = "alice", password: str = PASSWORD) -> None:
        self.issuer = issuer
        self.agent = requests.Session()
        login = self.agent.get(f"{issuer}/accounts/login/", timeout=TIMEOUT)
        form = browser.form_with_button(login.text, "Sign in")
        data = [(k, v) for k, v in form.data("Sign in") if k not in ("username", "password")]
        data += [("username", username), ("password", password)]
        self.agent.post(login.url, data=data, headers={"Referer": login.url}, timeout=TIMEOUT)
        assert "sessionid" in self.agent.cookies, "alice could not sign in"

    def allow(self, authorization_url: str) -> str:
        """Return where "Allow" sends the browser: the redirect URI with the code (or an error)."""
        page = self.agent.get(authorization_url, allow_redirects=False, timeout=TIMEOUT)
        if page.status_code == HTTPStatus.FOUND:  # an error sent back to the client at once
            return page.headers["Location"]
        assert page.status_code == HTTPStatus.OK, page.text[-1000:]
        form = browser.form_with_button(page.text, "Allow")
        allowed = self.agent.post(
            urljoin(page.url, form.action or page.url),
            data=form.data("Allow"),
            headers={"Referer": page.url},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        assert allowed.status_code == HTTPStatus.FOUND, allowed.text[-1000:]
        return allowed.headers["Location"]


def need(metadata: dict, member: str, value: object = None) -> None:
    """Skip unless the server's metadata advertises ``member`` (holding ``value``, if given)."""
    advertised = metadata.get(member)
    if isinstance(advertised, list):
        missing = not advertised or (value is not None and value not in advertised)
    else:
        missing = not advertised or (value is not None and advertised != value)
    if missing:
        wanted = member if value is None else f"{value!r} in {member}"
        if value is True:
            wanted = f"{member}: true"
        pytest.skip(f"the server does not advertise {wanted} (not enabled, or not built yet)")


def es256_key(path: Path, kid: str) -> dict:
    """Write a fresh P-256 private JWK (for the script) to ``path``; return its public JWK."""
    private = ec.generate_private_key(ec.SECP256R1())
    private_jwk = json.loads(ECAlgorithm.to_jwk(private)) | {"alg": "ES256", "kid": kid}
    path.write_text(json.dumps(private_jwk))
    public = json.loads(ECAlgorithm.to_jwk(private.public_key()))
    return public | {"alg": "ES256", "kid": kid, "use": "sig"}


def start_site(workdir: Path, **env: str) -> DefaultStack:
    """Migrate, seed and serve the example project under gunicorn (one worker) on a free port."""
    port = free_port()
    env = {"DEMO_PASSWORD": PASSWORD, **env}
    stack = DefaultStack("node", 0, f"http://127.0.0.1:{port}", workdir, env)
    try:
        stack.create()
        stack.manage("seeddemo", "--force")
        argv = [str(BIN / "gunicorn"), "example_project.wsgi:application"]
        argv += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"]
        stack.serve(port, argv=argv)
    except BaseException:
        stack.stop()
        stack.drop()
        raise
    return stack


def register(site: DefaultStack, metadata: dict, **options: str) -> dict:
    """``manage.py createclient --metadata JSON --json`` in the server's environment."""
    argv = ["createclient", "--metadata", json.dumps(metadata), "--json"]
    for name, value in options.items():
        argv += [f"--{name.replace('_', '-')}", value]
    return json.loads(site.manage(*argv))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The example project, live, seeded (alice's password is ``PASSWORD``)."""
    if reason := skip_reason():
        pytest.skip(reason)
    stack = start_site(tmp_path_factory.mktemp("node-site"))
    yield stack
    stack.stop()
    stack.drop()


@pytest.fixture(scope="module")
def metadata(site) -> dict:
    response = requests.get(f"{site.issuer}/.well-known/oauth-authorization-server", timeout=10)
    assert response.status_code == HTTPStatus.OK
    return response.json()


@pytest.fixture
def node_client(site) -> NodeClient:
    return NodeClient(site.issuer)


@pytest.fixture
def alice(site) -> Browser:
    return Browser(site.issuer)
