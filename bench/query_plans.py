"""Print PostgreSQL's plan (EXPLAIN) of every query on oauthcore's hot path.

    createdb -h 127.0.0.1 -U postgres oauthcore_plans
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oauthcore_plans \\
        .venv/bin/python bench/query_plans.py --seed 20000

Migrates the database, adds ``--seed`` rows of each kind when the tables are empty, runs
ANALYZE, then prints one plan per query. Every plan should be an index scan (or a bitmap index
scan), never a sequential scan of a big table. The output is recorded in docs/deployment.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.utils import timezone  # noqa: E402

from oauthcore import crypto  # noqa: E402
from oauthcore.models import (  # noqa: E402
    AuthorizationCode,
    Client,
    Consent,
    RefreshToken,
    RevokedAccessToken,
    SigningKey,
)

USERS, CLIENTS = 500, 20


def seed(count: int) -> None:
    """Add ``count`` codes, refresh tokens (families of four) and deny-list rows, spread out."""
    now = timezone.now()
    User = get_user_model()
    users = User.objects.bulk_create([User(username=f"plan-user-{i}") for i in range(USERS)])
    clients = Client.objects.bulk_create(
        [Client(client_id=f"plan-client-{i}", name=f"App {i}") for i in range(CLIENTS)]
    )

    def owner(i):
        return {"user": users[i % USERS], "client": clients[i % CLIENTS]}

    def hashed():
        return crypto.hash_token(crypto.new_token())

    def end(i):
        return now + timedelta(minutes=i % 1000 - 100)

    AuthorizationCode.objects.bulk_create(
        [
            AuthorizationCode(token_hash=hashed(), expires_at=end(i), **owner(i))
            for i in range(count)
        ],
        batch_size=2000,
    )
    families = [uuid.uuid4() for _ in range(count // 4)]
    RefreshToken.objects.bulk_create(
        [
            RefreshToken(
                token_hash=hashed(), family_id=families[i // 4], expires_at=end(i), **owner(i // 4)
            )
            for i in range(len(families) * 4)
        ],
        batch_size=2000,
    )
    RevokedAccessToken.objects.bulk_create(
        [RevokedAccessToken(jti=hashed()[:32], expires_at=end(i)) for i in range(count)],
        batch_size=2000,
    )
    Consent.objects.bulk_create(
        [Consent(user=u, client=c, scopes=["read:profile"]) for u in users for c in clients[:4]]
    )


def hot_path_queries() -> dict[str, object]:
    """Return a name -> queryset for each lookup the endpoints and cleartokens make."""
    now = timezone.now()
    token = RefreshToken.objects.order_by("pk")[len(RefreshToken.objects.all()) // 2]
    user, client = token.user, token.client
    return {
        "token endpoint: code by value": AuthorizationCode.objects.by_value("raw-code"),
        "token endpoint: refresh token by value": RefreshToken.objects.by_value("raw-refresh"),
        "reuse / revocation: a refresh family": RefreshToken.objects.family(token.family_id).filter(
            revoked_at__isnull=True
        ),
        "connected apps: last use per client": RefreshToken.objects.filter(user=user)
        .values("client_id")
        .annotate(last=Max("created_at")),
        "revoke a user's access: refresh tokens": RefreshToken.objects.filter(
            user=user, client=client
        ),
        "revoke a user's access: codes": AuthorizationCode.objects.filter(user=user, client=client),
        "consent screen: consent of user and client": Consent.objects.filter(
            user=user, client=client
        ),
        "client authentication: client by client_id": Client.objects.filter(
            client_id="plan-client-3"
        ),
        "deny-list: one jti": RevokedAccessToken.objects.filter(jti="some-jti"),
        "deny-list reload: unexpired rows": RevokedAccessToken.objects.filter(
            expires_at__gt=now + timedelta(minutes=890)
        ).values_list("jti", "expires_at"),
        "cleartokens: a batch of expired codes": AuthorizationCode.objects.expired(
            now - timedelta(minutes=90)
        ).values_list("pk", flat=True)[:1000],
        "cleartokens: a batch of expired refresh tokens": RefreshToken.objects.expired(
            now - timedelta(minutes=90)
        ).values_list("pk", flat=True)[:1000],
        "keys: the published signing keys": SigningKey.objects.published(now),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="EXPLAIN the hot-path queries on PostgreSQL.")
    parser.add_argument("--seed", type=int, default=20000, help="Rows of each kind to add.")
    args = parser.parse_args(argv)
    if connection.vendor != "postgresql":
        parser.error("Set DATABASE_URL to a PostgreSQL database.")
    call_command("migrate", verbosity=0)
    if not RefreshToken.objects.exists():
        seed(args.seed)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    for name, queryset in hot_path_queries().items():
        print(f"-- {name}")
        print(queryset.explain())
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
