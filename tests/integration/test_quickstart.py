"""The README's quick start, followed literally on a brand-new `django-admin startproject`."""

import json
import os
import re
import shlex
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"<!-- quickstart:(\w+) -->\s*```\w*\n(.*?)```", re.DOTALL)

# Run inside the new project by `manage.py shell -c`: what a client of the new server sees.
CLIENT_SCRIPT = """
import base64, json, os
from django.test import Client
creds = json.loads(os.environ["QUICKSTART_CLIENT"])
web = Client(headers={"host": "127.0.0.1:8000"})
metadata = web.get("/.well-known/oauth-authorization-server")
token_path = metadata.json()["token_endpoint"].removeprefix("http://127.0.0.1:8000")
basic = base64.b64encode(f"{creds['client_id']}:{creds['client_secret']}".encode()).decode()
form = "grant_type=client_credentials&scope=read%3Aemail"
token = web.post(token_path, form, content_type="application/x-www-form-urlencoded",
                 headers={"authorization": "Basic " + basic})
bearer = "Bearer " + token.json().get("access_token", "none")
api = web.get("/api/email/", headers={"authorization": bearer})
anonymous = web.get("/api/email/")
print(json.dumps({
    "metadata": [metadata.status_code, metadata.json()],
    "token": [token.status_code, token.json()],
    "api": [api.status_code, api.json()],
    "anonymous": [anonymous.status_code, anonymous.get("WWW-Authenticate", "")],
}))
"""


def quickstart_blocks():
    blocks = dict(BLOCK.findall((ROOT / "README.md").read_text()))
    assert set(blocks) == {"install", "settings", "api", "urls", "commands"}
    return blocks


def run(args, cwd, **extra_env):
    dropped = ("DJANGO_SETTINGS_MODULE", "PYTHONPATH", "DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if k not in dropped} | extra_env
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{shlex.join(map(str, args))}\n{result.stderr}"
    return result.stdout


def as_argv(line):
    """Turn a README command line (`python manage.py ...`) into one for this virtualenv."""
    argv = shlex.split(line)
    assert argv[:2] == ["python", "manage.py"], line
    return [sys.executable, *argv[1:]]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A new project with the quick start applied; returns its directory and command outputs."""
    blocks = quickstart_blocks()
    assert blocks["install"].strip() == "pip install oauthcore"  # done already: we are in its venv
    base = tmp_path_factory.mktemp("quickstart")
    django_admin = Path(sys.executable).parent / "django-admin"
    run([django_admin, "startproject", "mysite"], cwd=base)
    project_dir = base / "mysite"
    package = project_dir / "mysite"
    with (package / "settings.py").open("a") as f:
        f.write("\n" + blocks["settings"])
    (package / "api.py").write_text(blocks["api"])
    with (package / "urls.py").open("a") as f:
        f.write("\n" + blocks["urls"])
    outputs = [run(as_argv(line), cwd=project_dir) for line in blocks["commands"].splitlines()]
    return project_dir, outputs


@pytest.mark.slow
def test_quickstart_commands_succeed(project):
    _, (migrate, check, createclient) = project
    assert "Applying oauthcore.0001_initial... OK" in migrate
    assert "System check identified no issues" in check
    client = json.loads(createclient)
    assert client["client_id"] and client["client_secret"]
    assert client["grant_types"] == ["client_credentials"]


@pytest.mark.slow
def test_quickstart_server_issues_tokens_the_api_accepts(project):
    project_dir, (_, _, createclient) = project
    argv = [sys.executable, "manage.py", "shell", "-c", CLIENT_SCRIPT]
    output = run(argv, cwd=project_dir, QUICKSTART_CLIENT=createclient)
    seen = json.loads(output.strip().splitlines()[-1])

    status, metadata = seen["metadata"]
    assert status == HTTPStatus.OK
    assert metadata["issuer"] == "http://127.0.0.1:8000"
    assert metadata["scopes_supported"] == ["read:email"]
    assert metadata["token_endpoint"].startswith("http://127.0.0.1:8000/")
    status, token = seen["token"]
    assert status == HTTPStatus.OK, token
    assert token["token_type"].lower() == "bearer"
    status, body = seen["api"]
    assert status == HTTPStatus.OK, body
    assert body["sub"] == json.loads(createclient)["client_id"]
    status, challenge = seen["anonymous"]
    assert status == HTTPStatus.UNAUTHORIZED
    assert challenge.startswith("Bearer")
