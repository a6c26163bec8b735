"""Management commands: createclient (as a real process and in-process), cleartokens, seeddemo."""

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from oauthcore.jose import keyring
from oauthcore.models import (
    AuthorizationCode,
    Client,
    RefreshToken,
    RevokedAccessToken,
    SigningKey,
    SpentIdentifier,
)
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
WEB = "https://app.example.com/cb"


@pytest.fixture(scope="module")
def db_file(tmp_path_factory):
    """A migrated SQLite file for the example project, used by real `manage.py` processes."""
    path = tmp_path_factory.mktemp("cmd") / "db.sqlite3"
    manage("migrate", "--noinput", db=path, check=True)
    return path


def manage(*args, db, check=False):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "example_project.settings",
        "DATABASE_URL": f"sqlite:///{db}",
    }
    env.pop("CACHE_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=check,
    )


def client_rows(db):
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT client_id, client_type, grant_types FROM oauthcore_client"
        ).fetchall()


def test_createclient_json_confidential_with_several_grants(db_file):
    result = manage(
        "createclient", "--name", "MyApp",
        "--grant-types", "authorization_code", "refresh_token", "client_credentials",
        "--redirect-uris", WEB, "http://127.0.0.1:8765/callback",
        "--scopes", "read:profile read:email", "--json",
        db=db_file,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)  # exactly one JSON object
    assert data["client_secret"] and len(data["client_secret"]) >= 40
    assert data["grant_types"] == ["authorization_code", "refresh_token", "client_credentials"]
    assert data["scope"] == "read:profile read:email"
    assert (data["client_id"], "confidential") in [row[:2] for row in client_rows(db_file)]


def test_createclient_json_public(db_file):
    result = manage(
        "createclient", "--name", "SPA", "--public",
        "--grant-types", "authorization_code", "refresh_token",
        "--redirect-uris", "http://localhost:3000/cb", "--scopes", "read:profile", "--json",
        db=db_file,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["client_secret"] is None
    assert data["client_type"] == "public"


BAD_ARGS = {
    "unknown grant type": ["--grant-types", "password", "--scopes", "publish"],
    "non-https redirect URI": [
        "--grant-types", "authorization_code", "--redirect-uris", "http://app.example.com/cb",
    ],
    "unregistered scope": ["--grant-types", "client_credentials", "--scopes", "admin:all"],
    "public + client_credentials": ["--public", "--grant-types", "client_credentials"],
    "code without redirect URI": ["--grant-types", "authorization_code"],
    "refresh without code": ["--grant-types", "refresh_token", "--redirect-uris", WEB],
    "malformed scope list": ["--grant-types", "client_credentials", "--scopes", 'a"b'],
    "all-digit client_id (a user's sub)": ["--grant-types", "client_credentials", "--client-id", "42"],
}  # fmt: skip


@pytest.mark.parametrize("args", BAD_ARGS.values(), ids=BAD_ARGS.keys())
def test_createclient_bad_args_exit_1_with_one_line(db_file, args):
    before = client_rows(db_file)
    result = manage("createclient", "--name", "Bad", *args, "--json", db=db_file)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("CommandError: ")
    assert client_rows(db_file) == before


@pytest.mark.django_db
def test_createclient_stores_a_hashed_secret(capsys):
    call_command(
        "createclient",
        "--name", "Svc", "--grant-types", "client_credentials", "--scopes", "publish",
        "--client-id", "svc", "--json",
    )  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    client = Client.objects.get(client_id="svc")
    assert client.check_secret(data["client_secret"])
    assert data["client_secret"] not in client.secret_hash
    assert client.allowed_scopes == ["publish"]
    assert client.grant_types == ["client_credentials"]
    assert client.redirect_uris == []
    assert client.can_introspect is False


@pytest.mark.django_db
def test_createclient_can_make_a_resource_server_that_introspects(capsys):
    call_command(
        "createclient",
        "--name", "API", "--grant-types", "client_credentials", "--scopes", "publish",
        "--client-id", "api", "--can-introspect", "--json",
    )  # fmt: skip
    assert Client.objects.get(client_id="api").can_introspect is True


@pytest.mark.django_db
def test_createclient_plain_output_and_duplicate_id(capsys):
    args = ["--name", "Web", "--grant-types", "authorization_code", "--redirect-uris", WEB]
    call_command("createclient", *args, "--client-id", "web")
    out = capsys.readouterr().out
    assert "client_id: web" in out
    assert "not shown again" in out
    with pytest.raises(CommandError, match="already exists"):
        call_command("createclient", *args, "--client-id", "web")
    assert Client.objects.filter(client_id="web").count() == 1


def aged(factory, *, expired, **fields):
    expires_at = timezone.now() + (timedelta(hours=-1) if expired else timedelta(hours=1))
    return factory(expires_at=expires_at, **fields)


@pytest.mark.django_db
@pytest.mark.parametrize("batch_size", ["1000", "1"])
def test_cleartokens_deletes_only_expired_rows(client_app, user, capsys, batch_size):
    for expired in [True, True, True, False]:
        aged(factories.AuthorizationCodeFactory, expired=expired, client=client_app, user=user)
        aged(factories.RefreshTokenFactory, expired=expired, client=client_app, user=user)
        aged(factories.RevokedAccessTokenFactory, expired=expired)
        aged(SpentIdentifier.objects.create, expired=expired, key=f"{expired}{uuid.uuid4().hex}")
    keyring.signing_key()
    keyring.rotate()
    retired = SigningKey.objects.get(state="retired")
    keyring.rotate()
    retired.refresh_from_db()
    retired.expires_at = timezone.now() - timedelta(seconds=1)
    retired.save()

    call_command("cleartokens", "--batch-size", batch_size)
    assert capsys.readouterr().out.strip() == (
        "Deleted 3 authorization codes, 3 refresh tokens, 0 pushed authorization requests, "
        "3 revoked access tokens, 0 token exchanges, 1 signing keys, 0 unused self-registered clients, "
        "0 device authorizations, 3 spent identifiers, 0 audit events."
    )
    for model in (AuthorizationCode, RefreshToken, RevokedAccessToken, SpentIdentifier):
        assert model.objects.count() == 1
        assert model.objects.get().expires_at > timezone.now()
    assert set(SigningKey.objects.values_list("state", flat=True)) == {"active", "retired"}

    call_command("cleartokens")  # nothing left to do: a second (or concurrent) run is harmless
    assert capsys.readouterr().out.startswith("Deleted 0 authorization codes, 0 refresh tokens")


@pytest.mark.django_db
def test_seeddemo_refuses_without_debug():
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seeddemo")
    assert not Client.objects.exists()


def seeded_state():
    clients = Client.objects.order_by("client_id").values_list(
        "client_id", "client_type", "grant_types", "redirect_uris", "allowed_scopes", "secret_hash"
    )
    users = (
        get_user_model()
        .objects.order_by("username")
        .values_list("username", "is_superuser", "is_staff")
    )
    return list(clients), list(users)


@pytest.fixture
def demo_issuer(settings):
    """The example project's default issuer: the demo callback lives on it."""
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ISSUER": "http://127.0.0.1:8000"}


@pytest.mark.django_db
def test_seeddemo_is_idempotent(settings, monkeypatch, capsys, demo_issuer):
    settings.DEBUG = True
    monkeypatch.setenv("DEMO_PASSWORD", "my-alice-pw")
    call_command("seeddemo")
    first = seeded_state()
    out = capsys.readouterr().out
    call_command("seeddemo")
    assert seeded_state() == first
    assert [row[0] for row in first[0]] == ["demo-rp", "demo-service", "demo-spa", "demo-web"]
    assert first[1] == [("admin", True, True), ("alice", False, False)]
    assert "alice / my-alice-pw" in out
    assert "admin / admin-demo-password" in out
    assert "/.well-known/oauth-authorization-server" in out
    assert "demo-web-secret" in out

    alice = get_user_model().objects.get(username="alice")
    assert alice.check_password("my-alice-pw")
    web = Client.objects.get(client_id="demo-web")
    assert web.check_secret("demo-web-secret")
    assert web.grant_types == ["authorization_code", "refresh_token"]
    assert "http://127.0.0.1:8000/demo/callback/" in web.redirect_uris
    assert len(web.allowed_scopes) == 8  # the five API scopes and openid, profile, email
    assert Client.objects.get(client_id="demo-spa").is_public
    service = Client.objects.get(client_id="demo-service")
    assert service.check_secret("demo-service-secret")
    assert service.allowed_scopes == ["publish"]
    assert SigningKey.objects.filter(state="active").count() == 1


@pytest.mark.django_db
def test_seeddemo_follows_the_issuer(settings, demo_issuer):
    settings.DEBUG = True
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ISSUER": "http://127.0.0.1:8031"}
    call_command("seeddemo", verbosity=0)
    web = Client.objects.get(client_id="demo-web")
    assert web.redirect_uris[0] == "http://127.0.0.1:8031/demo/callback/"


@pytest.mark.django_db
def test_seeddemo_force_runs_without_debug(capsys, demo_issuer):
    call_command("seeddemo", "--force")
    assert Client.objects.count() == 4
