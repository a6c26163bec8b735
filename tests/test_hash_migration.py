"""Migration 0003: the hashes stored before it get their algorithm prefix, and lose it going back."""

import hashlib
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("oauthcore", "0002_sync_generation")
AFTER = ("oauthcore", "0003_hash_algorithm_prefix")


def hex_of(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def migrate(target):
    """Migrate oauthcore to ``target``; return the models as they are there."""
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    executor.loader.build_graph()
    return executor.loader.project_state([target]).apps


def stored(apps) -> dict[str, str]:
    client = apps.get_model("oauthcore", "Client").objects.get(client_id="before-0003")
    public = apps.get_model("oauthcore", "Client").objects.get(client_id="public")
    code = apps.get_model("oauthcore", "AuthorizationCode").objects.get()
    token = apps.get_model("oauthcore", "RefreshToken").objects.get()
    return {
        "secret": client.secret_hash,
        "previous": client.previous_secret_hash,
        "public": public.secret_hash,
        "code": code.token_hash,
        "refresh": token.token_hash,
    }


def write_rows(apps) -> None:
    """Write a client, a code and a refresh token as the code before 0003 did (bare hex)."""
    app_label, model_name = settings.AUTH_USER_MODEL.split(".")
    user = apps.get_model(app_label, model_name).objects.create(username="before-0003")
    clients = apps.get_model("oauthcore", "Client").objects
    client = clients.create(
        client_id="before-0003",
        name="Before",
        secret_hash=hex_of("secret"),
        previous_secret_hash=hex_of("previous"),
    )
    clients.create(client_id="public", name="Public", client_type="public", secret_hash="")
    end = timezone.now() + timedelta(days=1)
    rows = {"client": client, "user": user, "expires_at": end}
    apps.get_model("oauthcore", "AuthorizationCode").objects.create(
        token_hash=hex_of("code"), **rows
    )
    apps.get_model("oauthcore", "RefreshToken").objects.create(token_hash=hex_of("refresh"), **rows)


def test_the_migration_prefixes_stored_hashes_and_strips_them_going_back():
    leaf = MigrationExecutor(connection).loader.graph.leaf_nodes("oauthcore")
    try:
        write_rows(migrate(BEFORE))
        after = stored(migrate(AFTER))
        assert after == {
            "secret": "sha256$" + hex_of("secret"),
            "previous": "sha256$" + hex_of("previous"),
            "public": "",  # no secret: stays empty
            "code": "sha256$" + hex_of("code"),
            "refresh": "sha256$" + hex_of("refresh"),
        }
        assert stored(migrate(BEFORE)) == {
            "secret": hex_of("secret"),
            "previous": hex_of("previous"),
            "public": "",
            "code": hex_of("code"),
            "refresh": hex_of("refresh"),
        }
        assert stored(migrate(AFTER))["code"] == "sha256$" + hex_of("code")  # and again
    finally:
        MigrationExecutor(connection).migrate(leaf)
