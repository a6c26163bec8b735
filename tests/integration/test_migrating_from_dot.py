"""docs/migrating-from-dot.md, followed literally on a real django-oauth-toolkit project.

The DOT era first: applications made with DOT's models, users signed in at the project's login
page, tokens from DOT's own endpoints (authorization code with PKCE, refresh, client
credentials, revocation). Then each command block of the document, in its order, and what it
promises: apps refresh and authenticate at oauthcore, the API accepts DOT's live tokens and
refuses revoked or expired ones, users see their apps and are not asked to consent again.
"""

from __future__ import annotations

import re
import time
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.dot.project import ROOT, Browser, Project, basic, pkce

pytestmark = [pytest.mark.live, pytest.mark.slow]

BLOCK = re.compile(r"<!-- dot:(\w+) -->\s*```\w*\n(.*?)```", re.DOTALL)
REDIRECT_URI = "https://app.example.com/callback"
WEB_SECRET = "web-secret-made-by-dot-0123456789"
BATCH_SECRET = "batch-secret-kept-in-plaintext-by-dot"

# The DOT era's applications and users, made with DOT's own models (DOT hashes secrets itself).
SETUP = f"""
import json
from django.contrib.auth import get_user_model
from oauth2_provider.models import Application
User = get_user_model()
owner = User.objects.create_user("owner", "owner@example.com", "pw")
User.objects.create_user("alice", "alice@example.com", "pw")
web = Application.objects.create(
    name="Web app", user=owner, client_type="confidential",
    authorization_grant_type="authorization-code", client_secret="{WEB_SECRET}",
    redirect_uris="{REDIRECT_URI}", post_logout_redirect_uris="https://app.example.com/bye",
    allowed_origins="https://app.example.com https://other.example.com", algorithm="RS256",
)
batch = Application.objects.create(
    name="Batch job", client_type="confidential", authorization_grant_type="client-credentials",
    client_secret="{BATCH_SECRET}", hash_client_secret=False,
)
Application.objects.create(
    name="Old mobile app", client_type="public", authorization_grant_type="password",
)
print(json.dumps({{"web": web.client_id, "batch": batch.client_id,
                  "web_stored": Application.objects.get(pk=web.pk).client_secret[:14]}}))
"""
# Expire one of DOT's access tokens (time passing, without waiting an hour).
EXPIRE = """
import json, os
from datetime import timedelta
from django.utils import timezone
from oauth2_provider.models import AccessToken
rows = AccessToken.objects.filter(token=os.environ["DOT_TOKEN"])
print(json.dumps(rows.update(expires=timezone.now() - timedelta(seconds=1))))
"""
STATE = """
import json
from oauthcore.models import Client, Consent, RefreshToken
print(json.dumps({
    "clients": {c.client_id: [c.secret_hash.split("$")[0], c.grant_types, c.allowed_scopes,
                              c.metadata.get("dot_application", {}).get("owner_username")]
                for c in Client.objects.all()},
    "families": RefreshToken.objects.count(),
    "consents": [[c.user.username, c.client.name, sorted(c.scopes)] for c in Consent.objects.all()],
}))
"""


def commands(step: str) -> list[str]:
    blocks = dict(BLOCK.findall((ROOT / "docs" / "migrating-from-dot.md").read_text()))
    assert list(blocks) == ["install", "dryrun", "commit", "again"]
    return blocks[step].strip().splitlines()


def run_step(project: Project, step: str) -> str:
    outputs = []
    for line in commands(step):
        result = project.run(line)
        assert result.returncode == 0, f"{line}\n{result.stderr}"
        outputs.append(result.stdout)
    return "\n".join(outputs)


def token_request(project: Project, path: str, data: dict, *, auth: dict) -> requests.Response:
    return requests.post(project.url + path, data=data, headers=auth, timeout=10)


def api(project: Project, token: str, path: str = "/api/profile/") -> requests.Response:
    return requests.get(
        project.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


@pytest.fixture(scope="module")
def dot(tmp_path_factory):
    """The DOT project: migrated, with its applications, and serving."""
    project = Project(tmp_path_factory.mktemp("dot-project"))
    project.create()
    try:
        apps = project.shell(SETUP)
        project.serve()
        yield project, apps
    finally:
        project.stop()
        project.drop()


def code_flow_at_dot(project: Project, browser: Browser, client_id: str, scope: str) -> dict:
    """Authorize at DOT with PKCE in the user's browser, redeem the code there; return the tokens."""
    verifier, challenge = pkce()
    query = browser.authorize_at_dot(
        response_type="code",
        client_id=client_id,
        redirect_uri=REDIRECT_URI,
        scope=scope,
        state="s1",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    code = {"grant_type": "authorization_code", "code": query["code"][0]}
    code |= {"redirect_uri": REDIRECT_URI, "code_verifier": verifier}
    issued = token_request(project, "/dot/token/", code, auth=basic(client_id, WEB_SECRET))
    assert issued.status_code == HTTPStatus.OK, issued.text
    return issued.json()


def refresh_at(project: Project, path: str, client_id: str, refresh_token: str):
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return token_request(project, path, data, auth=basic(client_id, WEB_SECRET))


@pytest.fixture(scope="module")
def dot_era(dot):
    """Tokens obtained at DOT's endpoints, as the apps hold them on the day of the switch."""
    project, apps = dot
    web, batch = apps["web"], apps["batch"]
    alice = Browser(project, "alice", "pw")
    first = code_flow_at_dot(project, alice, web, "read:profile read:email legacy")
    second = refresh_at(project, "/dot/token/", web, first["refresh_token"])
    assert second.status_code == HTTPStatus.OK, second.text
    # alice's other device, still talking to DOT after the web app has switched (step 6)
    other = code_flow_at_dot(project, alice, web, "read:profile")
    machine = {"grant_type": "client_credentials", "scope": "publish"}
    tokens = [
        token_request(project, "/dot/token/", machine, auth=basic(batch, BATCH_SECRET)).json()
        for _ in range(3)
    ]
    revoked, expired = tokens[1]["access_token"], tokens[2]["access_token"]
    revoke = {"token": revoked, "token_type_hint": "access_token"}
    assert token_request(project, "/dot/revoke_token/", revoke, auth=basic(batch, BATCH_SECRET)).ok
    assert project.shell(EXPIRE, DOT_TOKEN=expired) == 1
    return {
        "alice": alice,
        "first": first,  # its refresh token was rotated at DOT
        "live": second.json(),
        "other": other,
        "machine": tokens[0]["access_token"],
        "revoked": revoked,
        "expired": expired,
        **apps,
    }


def test_dot_issued_what_the_apps_hold(dot_era):
    assert dot_era["web_stored"] == "pbkdf2_sha256$"  # DOT's default: a Django password hash
    assert dot_era["live"]["scope"] == "read:profile read:email legacy"


QUERIES = """
import json, os
from datetime import timedelta
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from oauth2_provider.models import AccessToken
from oauthcore.resource_server import bearer, legacy_tokens
from oauthcore.testing import make_access_token

dot, jwt = os.environ["DOT_TOKEN"], make_access_token(scopes=["read:profile"])
counted = {}
with override_settings(OAUTHCORE={**settings.OAUTHCORE, "SYNC_INTERVAL": timedelta(hours=1)}):
    for name, raw in (("dot", dot), ("jwt", jwt)):
        bearer.validate(raw)  # this process's copies (keys, deny-list) are read once
        with CaptureQueriesContext(connection) as queries:
            bearer.validate(raw)
        counted[name] = [query["sql"] for query in queries.captured_queries]
rows = AccessToken.objects.filter(token_checksum=legacy_tokens.checksum(dot))
print(json.dumps({**counted, "plan": rows.explain()}))
"""


# Before the migration steps: alice's DOT access token is still live (step 6 rotates it at DOT).
def test_a_dot_token_costs_one_indexed_query_and_a_jwt_none(dot, dot_era):
    project, _ = dot
    seen = project.shell(QUERIES, DOT_TOKEN=dot_era["live"]["access_token"])
    assert seen["jwt"] == []
    (query,) = seen["dot"]
    assert "token_checksum" in query and "oauth2_provider_accesstoken" in query
    assert "USING INDEX" in seen["plan"] or "Index Scan" in seen["plan"]


def test_the_migration_steps(dot, dot_era):
    project, _ = dot
    # 1. oauthcore installed beside DOT, the transition on: the checks pass.
    installed = run_step(project, "install")
    assert "System check identified no issues" in installed

    # 3. The dry run says what it would do, and writes nothing.
    dry = run_step(project, "dryrun")
    assert "applications: 2 imported, 0 already clients, 1 skipped" in dry
    assert "refresh tokens: 2 imported, 0 already families, 0 expired, 0 skipped" in dry
    assert "consents: 1 created" in dry
    assert "left in DOT: 3 live access tokens" in dry  # alice's two and the machine's
    assert "'Old mobile app'" not in dry and "password grant is gone" in dry
    assert "legacy" in dry  # DOT's scope oauthcore has not registered
    assert "https://other.example.com" in dry  # an allowed origin not among redirect URIs
    assert "Dry run: nothing was written" in dry
    assert project.shell(STATE) == {"clients": {}, "families": 0, "consents": []}

    # 4. Import; a second run finds everything there.
    committed = run_step(project, "commit")
    assert "applications: 2 imported" in committed and "Committed." in committed
    state = project.shell(STATE)
    web, batch = dot_era["web"], dot_era["batch"]
    assert state["clients"][web] == [
        "django",
        ["authorization_code", "refresh_token"],
        list(project.shell(SCOPES)),
        "owner",
    ]
    assert state["clients"][batch][:2] == ["sha256", ["client_credentials"]]  # plaintext, hashed
    assert state["families"] == 2
    assert state["consents"] == [["alice", "Web app", ["read:email", "read:profile"]]]
    again = run_step(project, "commit")
    assert "applications: 0 imported, 2 already clients, 1 skipped" in again
    assert "refresh tokens: 0 imported, 2 already families" in again
    assert "consents: 0 created, 0 widened, 1 already there" in again
    assert project.shell(STATE) == state

    # 5. The apps switch: the web app refreshes with its DOT refresh token and its secret.
    refresh = {"grant_type": "refresh_token", "refresh_token": dot_era["live"]["refresh_token"]}
    refreshed = token_request(project, "/oauth/token/", refresh, auth=basic(web, WEB_SECRET))
    assert refreshed.status_code == HTTPStatus.OK, refreshed.text
    assert refreshed.json()["scope"] == "read:profile read:email"
    assert refreshed.json()["access_token"].count(".") == 2  # a JWT now
    assert project.shell(STATE)["clients"][web][0] == "sha256"  # the secret, upgraded on use
    assert api(project, refreshed.json()["access_token"]).status_code == HTTPStatus.OK
    stale = refresh_at(project, "/oauth/token/", web, dot_era["first"]["refresh_token"])
    assert stale.status_code == HTTPStatus.BAD_REQUEST  # DOT had rotated it: never imported
    wrong = token_request(project, "/oauth/token/", refresh, auth=basic(web, "not-the-secret"))
    assert wrong.status_code == HTTPStatus.UNAUTHORIZED
    machine = {"grant_type": "client_credentials", "scope": "publish"}
    issued = token_request(project, "/oauth/token/", machine, auth=basic(batch, BATCH_SECRET))
    assert issued.status_code == HTTPStatus.OK, issued.text

    # 2. Meanwhile the API accepts DOT's live tokens, and refuses revoked and expired ones.
    profile = api(project, dot_era["live"]["access_token"])
    assert profile.status_code == HTTPStatus.OK, profile.text
    assert profile.json()["sub"] == str(alice_pk(project))
    publish = requests.post(
        project.url + "/api/publish/",
        headers={"Authorization": f"Bearer {dot_era['machine']}"},
        timeout=10,
    )
    assert publish.status_code == HTTPStatus.CREATED, publish.text
    assert publish.json()["client_id"] == batch  # a client-credentials token: a TokenUser
    assert api(project, dot_era["machine"], "/api/email/").status_code == HTTPStatus.FORBIDDEN
    for name in ("revoked", "expired"):
        refused = api(project, dot_era[name])
        assert refused.status_code == HTTPStatus.UNAUTHORIZED, name
        assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    rotated_at_dot = api(project, dot_era["first"]["access_token"])  # DOT deleted it on refresh
    assert rotated_at_dot.status_code == HTTPStatus.UNAUTHORIZED

    # The user sees the app among her connected apps, and is not asked to consent again.
    alice = dot_era["alice"]
    assert "Web app" in alice.get("/oauth/apps/").text
    _, challenge = pkce()
    authorized = alice.get(
        "/oauth/authorize/",
        response_type="code",
        client_id=web,
        redirect_uri=REDIRECT_URI,
        scope="read:profile read:email",
        state="s2",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    assert authorized.status_code == HTTPStatus.FOUND, authorized.text
    location = authorized.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    assert parse_qs(urlsplit(location).query)["code"]

    # 6. alice's other device refreshed at DOT after the import; and someone replays the web
    # app's refresh token, already used here, at DOT (still live there).
    moved = refresh_at(project, "/dot/token/", web, dot_era["other"]["refresh_token"])
    assert moved.status_code == HTTPStatus.OK, moved.text
    replayed = refresh_at(project, "/dot/token/", web, dot_era["live"]["refresh_token"])
    assert replayed.status_code == HTTPStatus.OK, replayed.text
    last = run_step(project, "again")
    assert "applications: 0 imported, 2 already clients" in last
    assert "refresh tokens: 2 imported, 0 already families" in last
    assert "refresh tokens: 1 revoked since imported, 1 families reused at both servers" in last
    for stale in (
        dot_era["other"]["refresh_token"],  # rotated at DOT: its copy here is revoked
        refreshed.json()["refresh_token"],  # the web app's family: reused across servers
        replayed.json()["refresh_token"],  # what DOT issued from the replay: same family
    ):
        refused = refresh_at(project, "/oauth/token/", web, stale)
        assert refused.status_code == HTTPStatus.BAD_REQUEST, refused.text
        assert refused.json()["error"] == "invalid_grant"
    current = refresh_at(project, "/oauth/token/", web, moved.json()["refresh_token"])
    assert current.status_code == HTTPStatus.OK, current.text
    assert current.json()["scope"] == "read:profile"
    settled = run_step(project, "again")
    assert "refresh tokens: 0 imported, 2 already families" in settled
    assert "refresh tokens: 0 revoked since imported, 0 families reused" in settled

    # Staff deactivate the batch job in oauthcore: its DOT tokens are refused too (deny-list).
    project.shell(DEACTIVATE, CLIENT_ID=batch)
    time.sleep(1.5)  # SYNC_INTERVAL: every process honours it within a second
    refused = api(project, dot_era["machine"], "/api/contacts/")
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    assert "revoked" in refused.json()["error_description"]


DEACTIVATE = """
import json, os
from oauthcore.models import Client
client = Client.objects.get(client_id=os.environ["CLIENT_ID"])
client.is_active = False
client.save()
print(json.dumps(client.is_active))
"""


SCOPES = """
import json
from django.conf import settings
print(json.dumps(list(settings.OAUTHCORE["SCOPES"])))
"""


def alice_pk(project: Project) -> int:
    script = "import json; from django.contrib.auth.models import User; "
    script += "print(json.dumps(User.objects.get(username='alice').pk))"
    return project.shell(script)


RESOURCES = """
import json
from datetime import timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application
from oauthcore import errors
from oauthcore.resource_server import bearer

alice, app = User.objects.get(username="alice"), Application.objects.get(name="Web app")
seen = {}
for name, resource in (("api", "http://127.0.0.1/api/"), ("other", "https://other.example/")):
    AccessToken.objects.create(
        user=alice, application=app, token=name + "0123456789abcdefghij", scope="read:profile",
        expires=timezone.now() + timedelta(minutes=5), resource=[resource],
    )
    try:
        seen[name] = bearer.validate(name + "0123456789abcdefghij", audience=[
            "http://127.0.0.1/api/", "http://127.0.0.1"]).claims["aud"]
    except errors.InvalidToken as error:
        seen[name] = error.description
print(json.dumps(seen))
"""


# After the migration steps, so that its tokens are not counted there.
def test_a_dot_token_for_another_resource_is_refused(dot, dot_era):
    project, _ = dot
    seen = project.shell(RESOURCES)
    assert seen == {
        "api": "http://127.0.0.1/api/",  # its RFC 8707 resource is the view's: accepted
        "other": "The access token is for another audience.",
    }
