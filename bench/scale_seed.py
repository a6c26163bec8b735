"""Fill oauthcore's tables with filler rows in SQL (``INSERT ... SELECT generate_series``).

Used by ``bench/scale.py``. Filler row ``i`` of a table has primary key ``i``; the rows the
benchmark itself uses are made afterwards through oauthcore's code, with keys from
``FIRST_LIVE_ID`` on (``reserve_ids``), so that growing the filler (rows ``n + 1`` to ``m``) never
collides with them. Every value has the shape real rows have: hashes are ``sha256$<64 hex>``,
JSON columns hold what oauthcore writes, timestamps are spread around now:

- users and clients; 10 % of the clients registered themselves (and were used);
- refresh tokens in families of four (three rotated, one live), written in key order over the
  last 60 days, each family ending 30 days after it began: the older half has expired and waits
  for ``cleartokens``;
- authorization codes: 90 % used and expired (written in key order over the last 30 days), 10 %
  live;
- consents, each of a distinct (user, client) pair;
- audit events written in key order over the last 180 days: the older half is past the 90-day
  retention;
- deny-list rows of access tokens that expire in one to two hours (live).

Foreign keys point at filler users and clients that exist; their triggers are skipped during the
load (``session_replication_role = replica``), the constraints stay.
"""

from __future__ import annotations

import time

FIRST_LIVE_ID = 1_000_000_000  # rows made by oauthcore's code get keys from here on
BULK = 50_000  # a growth by more rows than this rebuilds the table's indexes afterwards
FILLED = (  # the table of each filler, in the order of FILLERS
    "auth_user",
    "oauthcore_client",
    "oauthcore_refreshtoken",
    "oauthcore_authorizationcode",
    "oauthcore_consent",
    "oauthcore_auditevent",
    "oauthcore_revokedaccesstoken",
)
# Deterministic scatter of row i over a period of s seconds (uncorrelated with i).
SCATTER = "((({i}::bigint * 2654435761) % {s}) * interval '1 second')"


def _timeline(hi: int, days: int) -> str:
    """Return when row i was written: rows in key order over the last ``days``, row hi now."""
    return f"(now() - ({hi} - i) * (interval '{days} days' / {hi}))"


def _hash(kind: str) -> str:
    return f"'sha256$' || encode(sha256(('{kind}:' || i)::bytea), 'hex')"


def _user(size: dict) -> str:
    return f"(1 + (i * 7919) % {size['users']})"


def _client(size: dict) -> str:
    return f"(1 + (i * 104729) % {size['clients']})"


def users(lo: int, hi: int, size: dict) -> str:
    return f"""
INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email,
                       is_staff, is_active, date_joined)
SELECT i, '!', false, 'fill-user-' || i, '', '', 'user' || i || '@example.com', false, true,
       now() - {SCATTER.format(i="i", s=365 * 86400)}
FROM generate_series({lo}::bigint, {hi}) i"""


def clients(lo: int, hi: int, size: dict) -> str:
    dynamic = "i % 10 = 0"
    return f"""
INSERT INTO oauthcore_client (
    id, client_id, name, client_type, secret_hash, previous_secret_hash, redirect_uris,
    post_logout_redirect_uris, grant_types, allowed_scopes, default_scopes, audience,
    skip_consent, is_active, can_introspect, metadata, created_at, updated_at,
    token_endpoint_auth_method, allowed_resources, origin, registration_access_token_hash,
    dpop_bound_access_tokens, jwks, jwks_uri, require_pushed_authorization_requests,
    rotate_refresh_tokens, secret_ciphertext, backchannel_logout_session_required,
    backchannel_logout_uri, token_exchange_audiences, token_exchange_scopes, first_used_at)
SELECT i, 'fill-client-' || i, 'App ' || i, 'confidential', {_hash("client")}, '',
       jsonb_build_array('https://app' || i || '.example.com/cb'), '[]',
       '["authorization_code", "refresh_token"]', '["read:profile", "read:email"]', '[]', '',
       false, true, false, '{{}}', created, created, 'client_secret_basic', '[]',
       CASE WHEN {dynamic} THEN 'dynamic' ELSE 'staff' END,
       CASE WHEN {dynamic} THEN {_hash("registration")} ELSE '' END,
       false, '{{}}', '', false, true, '', false, '', '[]', '[]',
       CASE WHEN {dynamic} THEN created + interval '1 minute' END
FROM (SELECT i, now() - {SCATTER.format(i="i", s=365 * 86400)} AS created
      FROM generate_series({lo}::bigint, {hi}) i) AS rows"""


def refresh_tokens(lo: int, hi: int, size: dict) -> str:
    return f"""
INSERT INTO oauthcore_refreshtoken (
    id, token_hash, family_id, scope, auth_time, session_id, created_at, expires_at, rotated_at,
    revoked_at, access_token_jti, access_token_expires_at, client_id, user_id, resources, dpop_jkt)
SELECT i, {_hash("refresh")}, md5('family:' || (i / 4))::uuid, 'read:profile read:email',
       created, '', created, created + interval '30 days',
       CASE WHEN i % 4 <> 3 THEN created + interval '1 hour' END, NULL,
       md5('jti:' || i), created + interval '15 minutes',
       {_client(size)}, {_user(size)}, '[]', ''
FROM (SELECT i, {_timeline(hi, 60)} AS created
      FROM generate_series({lo}::bigint, {hi}) i) AS rows"""


def codes(lo: int, hi: int, size: dict) -> str:
    return f"""
INSERT INTO oauthcore_authorizationcode (
    id, token_hash, redirect_uri, scope, code_challenge, nonce, auth_time, session_id,
    created_at, expires_at, used_at, family_id, access_token_jti, user_id, client_id,
    access_token_expires_at, resources, dpop_jkt)
SELECT i, {_hash("code")}, 'https://app' || {_client(size)} || '.example.com/cb',
       'read:profile',
       rtrim(translate(encode(sha256(('challenge:' || i)::bytea), 'base64'), '+/', '-_'), '='),
       '', ends, '',
       ends - interval '10 minutes', ends,
       CASE WHEN live THEN NULL ELSE ends - interval '9 minutes' END,
       CASE WHEN live THEN NULL ELSE md5('family:' || i)::uuid END,
       CASE WHEN live THEN '' ELSE md5('code-jti:' || i) END,
       {_user(size)}, {_client(size)}, NULL, '[]', ''
FROM (SELECT i, i % 10 = 0 AS live,
             CASE WHEN i % 10 = 0 THEN now() + interval '10 minutes'
                  ELSE {_timeline(hi, 30)} - interval '10 minutes' END AS ends
      FROM generate_series({lo}::bigint, {hi}) i) AS rows"""


def consents(lo: int, hi: int, size: dict) -> str:
    # (user, client) pairs are distinct: i -> user (i - 1) % U + 1 is one-to-one for i <= U, and
    # the small seed (U = C) pairs i with itself.
    pair_user = f"(1 + (i - 1) % {size['users']})"
    pair_client = f"(1 + ((i - 1) / {size['users']} + i - 1) % {size['clients']})"
    return f"""
INSERT INTO oauthcore_consent (id, scopes, created_at, updated_at, client_id, user_id)
SELECT i, '["read:profile", "read:email"]', at, at, {pair_client}, {pair_user}
FROM (SELECT i, now() - {SCATTER.format(i="i", s=365 * 86400)} AS at
      FROM generate_series({lo}::bigint, {hi}) i) AS rows"""


def audit_events(lo: int, hi: int, size: dict) -> str:
    events = "ARRAY['token_issued', 'token_refreshed', 'token_revoked', 'consent_granted']"
    return f"""
INSERT INTO oauthcore_auditevent (
    id, event, client_identifier, ip, details, created_at, user_id, client_id)
SELECT i, ({events})[1 + i % 4], 'fill-client-' || {_client(size)},
       '10.0.0.0'::inet + (i % 65536),
       jsonb_build_object('grant_type', 'refresh_token', 'jti', md5('audit:' || i)),
       {_timeline(hi, 180)}, {_user(size)}, {_client(size)}
FROM generate_series({lo}::bigint, {hi}) i"""


def denied(lo: int, hi: int, size: dict) -> str:
    return f"""
INSERT INTO oauthcore_revokedaccesstoken (id, jti, expires_at, revoked_at, generation)
SELECT i, md5('denied:' || i), now() + interval '1 hour' + {SCATTER.format(i="i", s=3600)},
       now(), 0
FROM generate_series({lo}::bigint, {hi}) i"""


# Size key -> the statement that adds filler rows lo..hi; in this order (foreign keys).
FILLERS = {
    "users": users,
    "clients": clients,
    "refresh tokens": refresh_tokens,
    "codes": codes,
    "consents": consents,
    "audit events": audit_events,
    "revoked access tokens": denied,
}


def reserve_ids(cursor) -> None:
    """Make the rows oauthcore's code inserts take keys from ``FIRST_LIVE_ID`` on."""
    for table in FILLED:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", [table, FIRST_LIVE_ID]
        )


def drop_indexes(cursor, table: str) -> list[str]:
    """Drop ``table``'s secondary indexes and unique constraints; return what rebuilds them."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype = 'u'",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN"
        " (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype IN"
        " ('p', 'u'))",
        [table, table],
    )
    indexes = cursor.fetchall()
    for name, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    rebuild = [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {sql}' for name, sql in constraints]
    return rebuild + [sql for _, sql in indexes]


def _fill(url: str, kinds: list[str], before: dict, after: dict, report) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        cursor = connection.cursor()
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for kind in kinds:
            added = after[kind] - before.get(kind, 0)
            if added <= 0:
                continue
            began, table = time.monotonic(), FILLED[list(FILLERS).index(kind)]
            rebuild = drop_indexes(cursor, table) if added > BULK else []
            cursor.execute(FILLERS[kind](before.get(kind, 0) + 1, after[kind], after))
            for sql in rebuild:
                cursor.execute(sql)
            report(f"  {kind}: {after[kind]:,} rows ({time.monotonic() - began:.0f} s)")


def grow(url: str, before: dict, after: dict, report=print) -> None:
    """Add filler rows so that each table holds ``after[kind]`` of them (it held ``before``).

    Users and clients first, then the other tables on two connections at once. A large growth
    drops the table's secondary indexes first and builds them again after the load (sorted: far
    faster than inserting 10^7 random hashes into a B-tree). Such an index is compact; one grown
    by live inserts is about a third larger, at the same depth.
    """
    from concurrent.futures import ThreadPoolExecutor

    _fill(url, ["users", "clients"], before, after, report)
    groups = [["refresh tokens", "codes"], ["audit events", "consents", "revoked access tokens"]]
    with ThreadPoolExecutor(len(groups)) as pool:
        for done in [pool.submit(_fill, url, kinds, before, after, report) for kinds in groups]:
            done.result()
