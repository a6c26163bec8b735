"""The example project's MCP server, reached by the official MCP Python SDK's own OAuth client.

The example project runs under uvicorn (example_project/asgi.py: Django and the MCP server) in a
subprocess on a free port, on its own SQLite file, seeded as ``make demo`` does. The SDK's client
starts from nothing but the MCP URL: 401 with ``resource_metadata`` → RFC 9728 metadata → RFC 8414
metadata → a client (registered by RFC 7591, or pre-registered) → authorize with PKCE and
``resource`` → a scripted sign-in and "Allow" → token → tool calls. The token it gets is bound to
the MCP server: the example API refuses it, and the MCP server refuses the API's tokens.
"""

from __future__ import annotations

import json
import socket
import time
from http import HTTPStatus
from urllib.parse import parse_qs, urljoin, urlsplit

import anyio
import httpx2
import jwt
import pytest
import requests
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata

from tests import browser
from tests.live_stack import BIN, DefaultStack

pytestmark = [pytest.mark.live, pytest.mark.slow]
PASSWORD = "alice-mcp-password"
SCOPES = "read:profile read:contacts"
TIMEOUT = 10  # seconds, for each HTTP request
UNVERIFIED = "This app registered itself"
SYNC_BOUND = 1.5  # seconds: SYNC_INTERVAL (1 s) and the time a request takes
FLOW_TIMEOUT = 40  # seconds, for a whole SDK session (discovery, sign-in, tool calls)
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"},
    },
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The example project under uvicorn, anonymous registration open, seeded as the demo is."""
    port = free_port()
    env = {"OAUTHCORE_REGISTRATION": "open", "DEMO_PASSWORD": PASSWORD}
    stack = DefaultStack("mcp", 0, f"http://127.0.0.1:{port}", tmp_path_factory.mktemp("mcp"), env)
    try:
        stack.create()
        stack.manage("seeddemo", "--force")
        argv = [str(BIN / "uvicorn"), "example_project.asgi:application"]
        argv += ["--host", "127.0.0.1", "--port", str(port), "--timeout-graceful-shutdown", "5"]
        stack.serve(port, argv=argv)
        stack.redirect_uri = f"http://127.0.0.1:{free_port()}/callback"  # nothing listens there
        yield stack
    finally:
        stack.stop()
        stack.drop()


class MemoryStorage:
    """The SDK's ``TokenStorage``, in memory; ``client_info`` given for a pre-registered client."""

    def __init__(self, client_info: OAuthClientInformationFull | None = None) -> None:
        self.tokens = None
        self.client_info = client_info

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens) -> None:
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info) -> None:
        self.client_info = client_info


class ScriptedUser:
    """alice at her browser: opens the authorization URL, signs in, presses "Allow"."""

    def __init__(self, site) -> None:
        self.site = site
        self.authorization_url = ""
        self.consent_page = ""
        self.location = ""

    async def redirect_handler(self, url: str) -> None:
        self.authorization_url = url
        self.location = await anyio.to_thread.run_sync(self.sign_in_and_allow, url)

    async def callback_handler(self) -> AuthorizationCodeResult:
        query = {
            name: values[0] for name, values in parse_qs(urlsplit(self.location).query).items()
        }
        return AuthorizationCodeResult(
            code=query["code"], state=query.get("state"), iss=query.get("iss")
        )

    def sign_in_and_allow(self, url: str) -> str:
        """Return where "Allow" sends the browser: the client's redirect URI with the code."""
        agent = requests.Session()
        login = agent.get(f"{self.site.issuer}/accounts/login/", timeout=TIMEOUT)
        form = browser.form_with_button(login.text, "Sign in")
        data = [(k, v) for k, v in form.data("Sign in") if k not in ("username", "password")]
        data += [("username", "alice"), ("password", PASSWORD)]
        signed_in = agent.post(login.url, data=data, headers={"Referer": login.url}, timeout=10)
        assert "sessionid" in agent.cookies, signed_in.text[-500:]
        consent = agent.get(url, timeout=TIMEOUT)
        assert consent.status_code == HTTPStatus.OK, consent.text[-500:]
        self.consent_page = consent.text
        form = browser.form_with_button(consent.text, "Allow")
        allowed = agent.post(
            urljoin(consent.url, form.action or consent.url),
            data=form.data("Allow"),
            headers={"Referer": consent.url},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
        assert allowed.status_code == HTTPStatus.FOUND, allowed.text[-500:]
        return allowed.headers["Location"]


def client_metadata(site) -> OAuthClientMetadata:
    return OAuthClientMetadata(
        client_name="MCP test client",
        redirect_uris=[site.redirect_uri],
        grant_types=["authorization_code", "refresh_token"],
        token_endpoint_auth_method="none",
    )


async def _session(site, storage: MemoryStorage, user: ScriptedUser, seen: list) -> dict:
    provider = OAuthClientProvider(
        server_url=f"{site.issuer}/mcp",
        client_metadata=client_metadata(site),
        storage=storage,
        redirect_handler=user.redirect_handler,
        callback_handler=user.callback_handler,
    )

    async def record(response: httpx2.Response) -> None:
        request, challenge = response.request, response.headers.get("WWW-Authenticate", "")
        seen.append((request.method, request.url.path, response.status_code, challenge))

    hooks = {"response": [record]}
    async with (
        httpx2.AsyncClient(auth=provider, timeout=TIMEOUT, event_hooks=hooks) as http,
        streamable_http_client(f"{site.issuer}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        tools = await session.list_tools()
        return {
            "tools": sorted(tool.name for tool in tools.tools),
            "whoami": await session.call_tool("whoami", {}),
            "list_contacts": await session.call_tool("list_contacts", {}),
        }


def connect(site, storage: MemoryStorage) -> tuple[dict, ScriptedUser, list]:
    """Run the SDK's client from nothing to two tool calls; return results, the user, the trace."""
    user, seen = ScriptedUser(site), []

    async def main():
        with anyio.fail_after(FLOW_TIMEOUT):
            return await _session(site, storage, user, seen)

    return anyio.run(main), user, seen


def metadata(site) -> dict:
    response = requests.get(f"{site.issuer}/.well-known/oauth-authorization-server", timeout=10)
    assert response.status_code == HTTPStatus.OK
    return response.json()


def mcp_post(site, token: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}
    return requests.post(f"{site.issuer}/mcp", json=INITIALIZE, headers=headers, timeout=TIMEOUT)


def assert_bound_to_the_mcp_server(site, token: str) -> None:
    """The token is for {issuer}/mcp only: the MCP server takes it, the example API refuses it."""
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == f"{site.issuer}/mcp"
    assert mcp_post(site, token).status_code == HTTPStatus.OK
    api = requests.get(
        f"{site.issuer}/api/profile/", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert api.status_code == HTTPStatus.UNAUTHORIZED
    assert 'error="invalid_token"' in api.headers["WWW-Authenticate"]


def assert_tools_answer_for_alice(results: dict) -> None:
    assert results["tools"] == ["list_contacts", "whoami"]
    whoami, contacts = results["whoami"], results["list_contacts"]
    assert not whoami.is_error, whoami.content
    assert whoami.structured_content["username"] == "alice"
    assert not contacts.is_error, contacts.content
    names = [contact["name"] for contact in contacts.structured_content["contacts"]]
    assert "Ada Lovelace" in names
    assert contacts.structured_content["sub"] == whoami.structured_content["sub"]


def assert_discovery_chain(site, seen: list, *, registration: bool) -> None:
    """401 → protected resource metadata → AS metadata → [registration] → token → the retry."""
    paths = [(method, path) for method, path, *_ in seen]
    assert seen[0][:3] == ("POST", "/mcp", HTTPStatus.UNAUTHORIZED)
    metadata_url = f"{site.issuer}/.well-known/oauth-protected-resource/mcp"
    assert f'resource_metadata="{metadata_url}"' in seen[0][3]
    prm = paths.index(("GET", "/.well-known/oauth-protected-resource/mcp"))
    asm = paths.index(("GET", "/.well-known/oauth-authorization-server"))
    token = paths.index(("POST", "/oauth/token/"))
    steps = [prm, asm, token]
    if registration:
        steps.insert(2, next(i for i, (m, p) in enumerate(paths) if m == "POST" and "regist" in p))
    assert steps == sorted(steps)
    assert seen[token + 1][:2] == ("POST", "/mcp") and seen[token + 1][2] == HTTPStatus.OK


def assert_authorization_request(site, user: ScriptedUser, client_id: str) -> None:
    query = parse_qs(urlsplit(user.authorization_url).query)
    assert query["client_id"] == [client_id]
    assert query["resource"] == [f"{site.issuer}/mcp"]
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["scope"] == [SCOPES]


def test_the_401_names_the_metadata_which_names_the_issuer(site):
    response = mcp_post(site, "not-a-token")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    challenge = response.headers["WWW-Authenticate"]
    assert 'error="invalid_token"' in challenge
    url = f"{site.issuer}/.well-known/oauth-protected-resource/mcp"
    assert f'resource_metadata="{url}"' in challenge
    prm = requests.get(url, timeout=TIMEOUT).json()
    assert prm["resource"] == f"{site.issuer}/mcp"
    assert prm["authorization_servers"] == [site.issuer]
    assert prm["scopes_supported"] == SCOPES.split()


def test_a_pre_registered_client_connects_and_calls_the_tools(site):
    argv = ["createclient", "--name", "MCP desktop app", "--public", "--scopes", SCOPES]
    argv += ["--grant-types", "authorization_code", "refresh_token"]
    created = json.loads(site.manage(*argv, "--redirect-uris", site.redirect_uri, "--json"))
    info = OAuthClientInformationFull(
        client_id=created["client_id"],
        redirect_uris=[site.redirect_uri],
        grant_types=["authorization_code", "refresh_token"],
        token_endpoint_auth_method="none",
    )
    storage = MemoryStorage(info)
    results, user, seen = connect(site, storage)
    assert_tools_answer_for_alice(results)
    assert_discovery_chain(site, seen, registration=False)
    assert_authorization_request(site, user, created["client_id"])
    assert "MCP desktop app" in user.consent_page
    assert UNVERIFIED not in user.consent_page  # staff registered it
    assert_bound_to_the_mcp_server(site, storage.tokens.access_token)

    token = storage.tokens.access_token  # revoked by its client: the MCP server refuses it too
    data = {"token": token, "client_id": created["client_id"]}
    revoked = requests.post(f"{site.issuer}/oauth/revoke/", data=data, timeout=TIMEOUT)
    assert revoked.status_code == HTTPStatus.OK
    time.sleep(SYNC_BOUND)
    assert mcp_post(site, token).status_code == HTTPStatus.UNAUTHORIZED


def test_a_client_registers_itself_connects_and_calls_the_tools(site):
    if "registration_endpoint" not in metadata(site):
        pytest.skip("the authorization server metadata has no registration_endpoint (RFC 7591)")
    storage = MemoryStorage()
    results, user, seen = connect(site, storage)
    assert_tools_answer_for_alice(results)
    assert_discovery_chain(site, seen, registration=True)
    assert_authorization_request(site, user, storage.client_info.client_id)
    assert "MCP test client" in user.consent_page
    assert UNVERIFIED in user.consent_page  # its name is the one it chose
    assert_bound_to_the_mcp_server(site, storage.tokens.access_token)


def service_token(site, client: dict, **data: str) -> str:
    data = {"grant_type": "client_credentials", "scope": SCOPES, **data}
    auth = (client["client_id"], client["client_secret"])
    response = requests.post(f"{site.issuer}/oauth/token/", data=data, auth=auth, timeout=10)
    assert response.status_code == HTTPStatus.OK, response.text
    return response.json()["access_token"]


def test_tokens_for_other_audiences_are_refused_by_the_mcp_server(site):
    client = site.create_client("MCP audiences", "client_credentials", scopes=SCOPES)
    for_api = service_token(site, client, resource=f"{site.issuer}/api/")
    default = service_token(site, client)
    for token in (for_api, default):
        assert jwt.decode(token, options={"verify_signature": False})["aud"] != (
            f"{site.issuer}/mcp"
        )
        api = requests.get(
            f"{site.issuer}/api/contacts/", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert api.status_code == HTTPStatus.OK  # a good token, for the API
        refused = mcp_post(site, token)
        assert refused.status_code == HTTPStatus.UNAUTHORIZED
        assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
        assert "resource_metadata=" in refused.headers["WWW-Authenticate"]


def test_a_machine_token_for_the_mcp_server_gets_no_users_data(site):
    """A client-credentials token acts for no user: whoami refuses it; a missing scope is named."""
    client = site.create_client("MCP machine", "client_credentials", scopes="read:contacts")
    token = service_token(site, client, scope="read:contacts", resource=f"{site.issuer}/mcp")
    headers = {"Authorization": f"Bearer {token}"}

    async def main():
        with anyio.fail_after(FLOW_TIMEOUT):
            async with (
                httpx2.AsyncClient(headers=headers, timeout=TIMEOUT) as http,
                streamable_http_client(f"{site.issuer}/mcp", http_client=http) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                return [await session.call_tool(name, {}) for name in ("whoami", "list_contacts")]

    whoami, contacts = anyio.run(main)
    assert whoami.is_error
    assert "read:profile" in json.dumps(whoami.model_dump(mode="json"))
    assert contacts.is_error
    assert "not for a user" in json.dumps(contacts.model_dump(mode="json"))
