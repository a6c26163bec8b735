"""`cleartokens` from cron on several machines at once: three runs in parallel on PostgreSQL.

No run fails, every expired row is gone, nothing live is touched. The runs are separate
processes, so they use a dedicated database (tests/live_stack.py), not pytest-django's.
"""

import subprocess
import sys

import pytest

from tests.live_stack import ROOT, Stack, skip_reason

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(skip_reason(redis=False) is not None, reason=skip_reason(redis=False) or ""),
]

RUNS = 3
EXPIRED, LIVE = 2000, 300  # rows of each kind

SEED = f"""
import uuid
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from oauthcore import crypto
from oauthcore.jose import keys
from oauthcore.jose import keyring
from oauthcore.models import AuthorizationCode, Client, RefreshToken, RevokedAccessToken, SigningKey

now = timezone.now()
user = get_user_model().objects.create(username="alice")
client = Client.objects.create(client_id="app", name="App", grant_types=["authorization_code"])
def when(expired):
    return now - timedelta(minutes=5) if expired else now + timedelta(days=1)
def rows(expired, count):
    for i in range(count):
        yield expired, crypto.hash_token(crypto.new_token()), when(expired)
codes, tokens, denied = [], [], []
for expired, count in ((True, {EXPIRED}), (False, {LIVE})):
    for _, digest, end in rows(expired, count):
        codes.append(AuthorizationCode(token_hash=digest, client=client, user=user, expires_at=end))
    for family in range(count // 4):  # families of four: rotated, rotated, rotated, live
        family_id = uuid.uuid4()
        for _, digest, end in rows(expired, 4):
            tokens.append(RefreshToken(token_hash=digest, family_id=family_id, client=client,
                                       user=user, expires_at=end))
    for i, (_, digest, end) in enumerate(rows(expired, count)):
        denied.append(RevokedAccessToken(jti=digest[:32], expires_at=end))
AuthorizationCode.objects.bulk_create(codes, batch_size=500)
RefreshToken.objects.bulk_create(tokens, batch_size=500)
RevokedAccessToken.objects.bulk_create(denied, batch_size=500)
keyring.signing_key()  # the active key
for expired in (True, False):
    row = keyring.create_key(state="retired")
    SigningKey.objects.filter(pk=row.pk).update(retired_at=now, expires_at=when(expired))
"""

TABLES = {
    "oauthcore_authorizationcode": "expires_at",
    "oauthcore_refreshtoken": "expires_at",
    "oauthcore_revokedaccesstoken": "expires_at",
    "oauthcore_signingkey": "expires_at",
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(
        "oauthcore_cleartokens", 12, "http://127.0.0.1:8000", tmp_path_factory.mktemp("ct")
    )
    try:
        stack.create()
        stack.manage("shell", "-c", SEED)
        yield stack
    finally:
        stack.drop()


def counts(stack):
    """Return table -> (expired rows, live rows); rows without an end (active key) are live."""
    found = {}
    for table, column in TABLES.items():
        sql = (
            f"SELECT count(*) FILTER (WHERE {column} <= now()),"
            f" count(*) FILTER (WHERE {column} > now() OR {column} IS NULL) FROM {table}"
        )
        (found[table],) = stack.query(sql)
    return found


def test_parallel_runs_delete_every_expired_row_and_nothing_live(stack):
    before = counts(stack)
    assert before["oauthcore_authorizationcode"] == (EXPIRED, LIVE)
    assert before["oauthcore_refreshtoken"] == (EXPIRED, LIVE)
    assert before["oauthcore_signingkey"] == (1, 2)

    argv = [sys.executable, "manage.py", "cleartokens", "--batch-size", "100"]
    runs = [
        subprocess.Popen(
            argv,
            cwd=ROOT,
            env=stack.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(RUNS)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    for run, (stdout, stderr) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, stderr
        assert stderr == "" and stdout.startswith("Deleted ")

    after = counts(stack)
    assert after == {table: (0, live) for table, (_, live) in before.items()}
    # Together the runs deleted each expired code exactly once.
    deleted = [
        int(stdout.split(" authorization codes")[0].rsplit(" ", 1)[-1]) for stdout, _ in outputs
    ]
    assert sum(deleted) == EXPIRED
