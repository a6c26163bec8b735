"""docs/deployment.md, followed literally on this machine (PostgreSQL + Redis).

The blocks marked ``<!-- deployment:NAME -->`` are extracted: the settings become a module, the
environment names are all provided (with local values), the commands run as written, two
gunicorn servers run the serve line (port changed), and the key and secret rotation procedures
run while a background client keeps checking that no request fails. ``sleep N`` in the rotation
block stands for "until every cache has the new key": here the caches are configured short.
"""

import base64
import json
import re
import secrets
import shlex
import threading
import time
from http import HTTPStatus

import pytest
import requests

from oauthcore.jose import keys
from tests.live_stack import BIN, ROOT, Stack, skip_reason

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or ""),
]

SYNC_SECONDS = 1.5  # SYNC_INTERVAL (1 s) and a request
BLOCK = re.compile(r"<!-- deployment:([\w-]+) -->\s*```\w*\n(.*?)```", re.DOTALL)
PORT_A, PORT_B, PORT_API = 8211, 8212, 8213
ISSUER = f"http://127.0.0.1:{PORT_A}"
CACHE_SECONDS = 2  # KEY_CACHE_TTL here, and the separate API's JWKS cache
PASSWORD = "deploy-doc-password"


def blocks():
    found = dict(BLOCK.findall((ROOT / "docs" / "deployment.md").read_text()))
    assert {"settings", "env", "commands", "serve", "rotate"} <= set(found)
    return found


def argv_of(line):
    """Turn a documented command (`python manage.py ...`) into one for this virtualenv."""
    argv = shlex.split(line)
    assert argv[:2] == ["python", "manage.py"], line
    return argv[2:]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    docs = blocks()
    workdir = tmp_path_factory.mktemp("deployment")
    (workdir / "production.py").write_text(docs["settings"])
    local = {
        "DJANGO_SETTINGS_MODULE": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "OAUTHCORE_ISSUER": ISSUER,
        "OAUTHCORE_KEY_CACHE_TTL": str(CACHE_SECONDS),
        "OAUTHCORE_TRUSTED_PROXIES": "127.0.0.1",  # no proxy here: the servers are reached directly
    }
    stack = Stack("oauthcore_deploydoc", 13, ISSUER, workdir)
    local |= {"DATABASE_URL": stack.database_url, "CACHE_URL": stack.cache_url}
    names = re.findall(r"^export (\w+)=", docs["env"], re.MULTILINE)
    assert set(names) == set(local), "every documented variable is set, and only those"
    # Over plain http on loopback, cookies cannot be "secure".
    stack.env_extra = local | {"PYTHONPATH": f"{workdir}:{ROOT}", "SECURE_COOKIES": "false"}
    try:
        stack.create(migrate=False)
        stack.outputs = [stack.manage(*argv_of(line)) for line in docs["commands"].splitlines()]
        stack.create_user("admin", PASSWORD)
        serve = shlex.split(docs["serve"].strip())
        assert serve[0] == "gunicorn"
        for port in (PORT_A, PORT_B):
            argv = [str(BIN / "gunicorn"), *serve[1:]]
            argv = [arg.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for arg in argv]
            stack.serve(port, argv=argv)
        stack.a, stack.b = (f"http://127.0.0.1:{port}" for port in (PORT_A, PORT_B))
        yield stack
    finally:
        stack.stop()
        stack.drop()


def service_client(stack):
    client = stack.create_client("Service", "client_credentials", scopes="publish")
    return client["client_id"], client["client_secret"]


def request_token(server, auth):
    data = {"grant_type": "client_credentials", "scope": "publish"}
    return requests.post(f"{server}/oauth/token/", data=data, auth=auth, timeout=10)


def publish(server, token, method="POST"):
    headers = {"Authorization": f"Bearer {token}"}
    return requests.request(method, f"{server}/api/publish/", headers=headers, timeout=10)


def test_commands_and_servers_are_up(stack):
    migrate, _check, rotate = stack.outputs  # check --deploy exited 0: no error-level issue
    assert "Applying oauthcore.0001_initial... OK" in migrate
    assert '"state": "active"' in rotate
    for server in (stack.a, stack.b):
        health = requests.get(f"{server}/oauth/health/", timeout=10)
        assert health.json() == {"status": "ok", "database": "ok", "cache": "ok"}
        metadata = requests.get(f"{server}/.well-known/oauth-authorization-server", timeout=10)
        assert metadata.json()["issuer"] == ISSUER


class Watcher(threading.Thread):
    """Keep issuing at A and checking at B and at the separate API; collect every failure."""

    def __init__(self, stack, auth, remote):
        super().__init__(daemon=True)
        self.stack, self.auth, self.remote = stack, auth, remote
        self.failures, self.checks, self.tokens = [], 0, []
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            response = request_token(self.stack.a, self.auth)
            if response.status_code != HTTPStatus.OK:
                self.failures.append(("issue", response.status_code, response.text))
                continue
            token = response.json()["access_token"]
            for server, method, expected in (
                (self.stack.b, "POST", 201),
                (self.remote, "GET", 200),
            ):
                checked = publish(server, token, method)
                if checked.status_code != expected:
                    self.failures.append((server, checked.status_code, checked.text))
            self.checks += 1
            self.tokens.append(token)
            time.sleep(0.05)


def test_zero_downtime_key_rotation(stack):
    env = {"DJANGO_SETTINGS_MODULE": "tests.apionly.settings", "APIONLY_ISSUER": ISSUER}
    env |= {
        "APIONLY_JWKS_CACHE_TTL": str(CACHE_SECONDS),
        "APIONLY_JWKS_MIN_REFETCH_INTERVAL": str(CACHE_SECONDS),
    }
    remote = stack.serve(
        PORT_API, app="tests.apionly.wsgi:application", ready="/api/publish/", **env
    )
    watcher = Watcher(stack, service_client(stack), remote.url)
    watcher.start()
    try:
        time.sleep(1)
        staged = None
        for line in blocks()["rotate"].splitlines():
            if line.startswith("sleep "):
                time.sleep(CACHE_SECONDS * 2 + 1)  # every cache has reread the keys
                continue
            output = json.loads(stack.manage(*argv_of(line)))
            staged = staged or output
        assert staged["state"] == "next"
        assert output["kid"] == staged["kid"] and output["state"] == "active"
        time.sleep(CACHE_SECONDS + 1)
    finally:
        watcher.done.set()
        watcher.join(timeout=30)
    assert watcher.failures == []
    assert watcher.checks > 10
    last = watcher.tokens[-1].split(".")[0]
    header = json.loads(base64.urlsafe_b64decode(last + "=" * (-len(last) % 4)))
    assert header["kid"] == staged["kid"]


def test_client_secret_rotation_keeps_the_old_secret_for_a_while(stack):
    client_id, old = service_client(stack)
    (pk,) = stack.query("SELECT id FROM oauthcore_client WHERE client_id = %s", (client_id,))[0]
    admin = requests.Session()
    login = admin.get(f"{stack.a}/admin/login/", timeout=10)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    data = {
        "csrfmiddlewaretoken": csrf,
        "username": "admin",
        "password": PASSWORD,
        "next": "/admin/",
    }
    assert admin.post(login.url, data=data, timeout=10).url.endswith("/admin/")
    url = f"{stack.a}/admin/oauthcore/client/{pk}/rotate-secret/"
    page = admin.get(url, timeout=10)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    shown = admin.post(
        url, data={"csrfmiddlewaretoken": csrf, "keep_previous_for": "3600"}, timeout=10
    )
    new = re.search(r'<code id="client-secret">([^<]+)</code>', shown.text).group(1)
    assert new != old
    time.sleep(SYNC_SECONDS)  # every process reads the client again within SYNC_INTERVAL
    for server in (stack.a, stack.b):  # both secrets work, on every server
        assert request_token(server, (client_id, old)).status_code == HTTPStatus.OK
        assert request_token(server, (client_id, new)).status_code == HTTPStatus.OK


def test_settings_block_is_importable_with_key_files(stack, tmp_path):
    """The SIGNING_KEYS variant: keys from PEM files; the JWKS publishes the file's key."""
    pem = tmp_path / "signing-1.pem"
    pem.write_text(keys.private_pem(keys.generate_private_key("RS256")))
    script = "from oauthcore.jose import keyring; print(keyring.jwks()['keys'][0]['kid'])"
    output = stack.manage("shell", "-c", script, OAUTHCORE_SIGNING_KEY_FILES=str(pem))
    kid = output.strip().splitlines()[-1]
    assert kid == keys.from_pem(pem.read_text()).kid
