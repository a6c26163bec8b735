"""A real django-oauth-toolkit project (tests/dot/settings.py) in its own processes: commands,
a gunicorn server on a free loopback port, and a browser session signing in and authorizing."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
DROPPED_ENV = ("DJANGO_SETTINGS_MODULE", "PYTHONPATH", "DATABASE_URL", "CACHE_URL")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pkce() -> tuple[str, str]:
    """Return a PKCE verifier and its S256 challenge (RFC 7636 4.1, 4.2)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


@dataclass
class Project:
    workdir: Path
    port: int = field(default_factory=free_port)
    server: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        """PostgreSQL when the tests run on it (a database of its own), else a SQLite file."""
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith(("postgres://", "postgresql://")):
            return f"sqlite:///{self.workdir / 'db.sqlite3'}"
        parts = urlsplit(url)
        return urlunsplit(parts._replace(path=parts.path + "_dotproject"))

    def _admin(self, statement: str) -> None:
        import psycopg

        url = urlunsplit(urlsplit(self.database_url)._replace(path="/postgres"))
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(statement)

    def create(self) -> None:
        """Make the project's database afresh and migrate it."""
        if self.database_url.startswith("postgres"):
            self.drop()
            self._admin(f'CREATE DATABASE "{self.database_name}"')
        self.manage("migrate", "--noinput")

    def drop(self) -> None:
        if self.database_url.startswith("postgres"):
            self._admin(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')

    @property
    def database_name(self) -> str:
        return urlsplit(self.database_url).path.lstrip("/")

    @property
    def env(self) -> dict[str, str]:
        kept = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
        return kept | {
            "DJANGO_SETTINGS_MODULE": "tests.dot.settings",
            "DATABASE_URL": self.database_url,
            "OAUTHCORE_ISSUER": self.url,
            "DEBUG": "false",
            "PYTHONPATH": str(ROOT),
        }

    def run(self, line: str) -> subprocess.CompletedProcess:
        """Run a documented command line (``python manage.py ...``) in this virtualenv."""
        argv = shlex.split(line)
        assert argv[:2] == ["python", "manage.py"], line
        return self.manage(*argv[2:], check=False)

    def manage(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
        argv = [sys.executable, str(ROOT / "manage.py"), *args]
        result = subprocess.run(
            argv, cwd=ROOT, env=self.env | env, capture_output=True, text=True, timeout=120
        )
        assert not check or result.returncode == 0, f"{shlex.join(args)}\n{result.stderr}"
        return result

    def shell(self, script: str, **env: str):
        """Run ``script`` in ``manage.py shell``; return the JSON it prints last."""
        output = self.manage("shell", "-c", script, **env).stdout
        return json.loads(output.strip().splitlines()[-1])

    def serve(self) -> None:
        argv = [str(BIN / "gunicorn"), "example_project.wsgi:application"]
        argv += ["--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--threads", "4"]
        log = (self.workdir / "server.log").open("w")
        self.server = subprocess.Popen(
            argv, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
        )
        for _ in range(100):
            try:
                requests.get(self.url + "/oauth/health/", timeout=10)
                return
            except requests.RequestException:
                if self.server.poll() is not None:
                    break
                time.sleep(0.2)
        self.stop()
        raise RuntimeError((self.workdir / "server.log").read_text())

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            self.server.wait(timeout=15)


class Browser:
    """A user's browser: signs in with Django's login form, then approves authorizations."""

    def __init__(self, project: Project, username: str, password: str) -> None:
        self.project, self.session = project, requests.Session()
        page = self.session.get(project.url + "/accounts/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        form = {"username": username, "password": password, "csrfmiddlewaretoken": token}
        signed_in = self.session.post(page.url, form, allow_redirects=False, timeout=10)
        assert signed_in.status_code == 302, signed_in.text

    def get(self, path: str, **params: str) -> requests.Response:
        url = self.project.url + path + ("?" + urlencode(params) if params else "")
        return self.session.get(url, allow_redirects=False, timeout=10)

    def authorize_at_dot(self, **params: str) -> dict[str, list[str]]:
        """Approve DOT's consent page ("Authorize"); return the redirect's query."""
        page = self.get("/dot/authorize/", **params)
        assert page.status_code == 200, page.text
        form = dict(HIDDEN_INPUT.findall(page.text)) | {"allow": "Authorize"}
        approved = self.session.post(page.url, form, allow_redirects=False, timeout=10)
        assert approved.status_code == 302, approved.text
        return parse_qs(urlsplit(approved.headers["Location"]).query)
