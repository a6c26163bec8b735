"""Real servers on a dedicated PostgreSQL database and Redis, for the scale-out and deployment tests.

The servers are separate processes, so they cannot use pytest-django's test database: each test
module makes its own database (dropped first, dropped again at the end) and flushes its own Redis
database. Skipped unless ``DATABASE_URL`` is PostgreSQL (and ``CACHE_URL`` Redis when asked).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DROPPED_ENV = ("DJANGO_SETTINGS_MODULE", "PYTHONPATH", "DATABASE_URL", "CACHE_URL")


def skip_reason(*, redis: bool = True) -> str | None:
    """Say why real servers cannot run here, or None when they can."""
    database_url, cache_url = os.environ.get("DATABASE_URL", ""), os.environ.get("CACHE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        return "needs DATABASE_URL=postgres://... (servers in separate processes share PostgreSQL)"
    if redis and not cache_url.startswith(("redis://", "rediss://")):
        return "needs CACHE_URL=redis://... (servers in separate processes share the cache)"
    return None


def _with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    log: Path

    def stop(self) -> None:
        """Stop gunicorn and its workers (the whole process group)."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


@dataclass
class Stack:
    """One dedicated database and Redis database, and the servers started on them."""

    name: str
    redis_db: int
    issuer: str
    workdir: Path
    env_extra: dict[str, str] = field(default_factory=dict)
    servers: list[Server] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        return _with_path(os.environ["DATABASE_URL"], f"/{self.name}")

    @property
    def cache_url(self) -> str:
        return _with_path(
            os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/1"), f"/{self.redis_db}"
        )

    def env(self, **extra: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
        return base | {
            "DATABASE_URL": self.database_url,
            "CACHE_URL": self.cache_url,
            "OAUTHCORE_ISSUER": self.issuer,
            "DEBUG": "false",
            **self.env_extra,
            **extra,
        }

    def _admin(self, statement: str) -> None:
        import psycopg

        admin = _with_path(os.environ["DATABASE_URL"], "/postgres")
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(statement)

    def create(self, *, migrate: bool = True) -> None:
        """Make the database afresh, flush the Redis database, migrate."""
        self.drop()
        self._admin(f'CREATE DATABASE "{self.name}"')
        import redis

        redis.Redis.from_url(self.cache_url).flushdb()
        if migrate:
            self.manage("migrate", "--noinput")

    def drop(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def query(self, sql: str, params=()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.database_url) as connection:
            return connection.execute(sql, params).fetchall()

    def manage(self, *args: str, **env: str) -> str:
        """Run ``manage.py`` of the example project; return its stdout."""
        argv = [sys.executable, "manage.py", *args]
        result = subprocess.run(
            argv, cwd=ROOT, env=self.env(**env), capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, f"{' '.join(args)}: {result.stderr[-2000:]}"
        return result.stdout

    def create_client(self, name: str, *grant_types: str, scopes: str, **options) -> dict:
        argv = ["createclient", "--name", name, "--grant-types", *grant_types, "--scopes", scopes]
        if uris := options.get("redirect_uris"):
            argv += ["--redirect-uris", *uris]
        return json.loads(self.manage(*argv, "--json"))

    def create_user(self, username: str, password: str) -> None:
        self.manage(
            "createsuperuser",
            "--noinput",
            "--username",
            username,
            "--email",
            f"{username}@example.com",
            DJANGO_SUPERUSER_PASSWORD=password,
        )

    def serve(
        self,
        port: int,
        *,
        app: str = "example_project.wsgi:application",
        ready: str = "/oauth/health/",
        argv: list[str] | None = None,
        **env: str,
    ) -> Server:
        """Start gunicorn (``argv``, or ``app`` with two workers) on 127.0.0.1:``port``; wait for it."""
        log = self.workdir / f"gunicorn-{port}.log"
        bind = ["--bind", f"127.0.0.1:{port}", "--workers", "2"]
        argv = argv or [str(BIN / "gunicorn"), app, *bind]  # a given argv binds to port itself
        with log.open("w") as out:
            process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=self.env(**env),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(process, f"http://127.0.0.1:{port}", log)
        self.servers.append(server)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                if requests.get(server.url + ready, timeout=5).status_code < 500:
                    return server
            except requests.RequestException:  # not listening yet, or still booting
                pass
            time.sleep(0.2)
        raise AssertionError(f"gunicorn on port {port} did not start: {log.read_text()[-3000:]}")

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
        self.servers.clear()


@dataclass
class DefaultStack(Stack):
    """The example project on its defaults: a SQLite file, and each process's local-memory cache.

    ``CACHE_URL`` is set only when ``env_extra`` names one.
    """

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.workdir / 'db.sqlite3'}"

    def env(self, **extra: str) -> dict[str, str]:
        env = super().env(**extra)
        if "CACHE_URL" not in {**self.env_extra, **extra}:
            del env["CACHE_URL"]
        return env

    def create(self, *, migrate: bool = True) -> None:
        if migrate:
            self.manage("migrate", "--noinput")

    def drop(self) -> None:
        (self.workdir / "db.sqlite3").unlink(missing_ok=True)

    def shell(self, code: str) -> str:
        """Run ``code`` in ``manage.py shell`` (another process, as an operator would)."""
        return self.manage("shell", "--no-imports", "-c", code)
