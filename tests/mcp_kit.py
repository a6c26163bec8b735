"""What the MCP end-to-end tests share: the example project under uvicorn, and the SDK's client.

The example project runs under uvicorn (example_project/asgi.py: Django and the MCP server) in a
subprocess on a free port, on its own SQLite file, seeded as ``make demo`` does. The SDK's own
OAuth client (``OAuthClientProvider``) runs against it; a ``ScriptedUser`` plays alice at her
browser: she signs in and presses "Allow".
"""

from __future__ import annotations

import json
import socket
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import anyio
import httpx2
import jwt
import requests
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

from tests import browser
from tests.live_stack import BIN, DefaultStack

PASSWORD = "alice-mcp-password"
SCOPES = "read:profile read:contacts"
TIMEOUT = 10  # seconds, for each HTTP request
UNVERIFIED = "This app registered itself"
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
# uvicorn's own log format, with the id of the process that wrote each line.
LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"pid": {"format": "%(process)d %(levelname)s %(name)s %(message)s"}},
    "handlers": {"out": {"class": "logging.StreamHandler", "formatter": "pid"}},
    "loggers": {
        "uvicorn": {"handlers": ["out"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": ["out"], "level": "INFO", "propagate": False},
    },
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_site(workdir: Path, name: str, *, workers: int = 1, **env: str) -> DefaultStack:
    """Migrate, seed and serve the example project under uvicorn; log lines name their process.

    The stack's ``redirect_uri`` is a loopback callback nothing listens on; ``stop()`` and
    ``drop()`` it when done (its process group is killed).
    """
    port = free_port()
    env = {"OAUTHCORE_REGISTRATION": "open", "DEMO_PASSWORD": PASSWORD, **env}
    stack = DefaultStack(name, 0, f"http://127.0.0.1:{port}", workdir, env)
    stack.redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
    try:
        stack.create()
        stack.manage("seeddemo", "--force")
        log_config = workdir / "uvicorn-log.json"
        log_config.write_text(json.dumps(LOG_CONFIG))
        argv = [str(BIN / "uvicorn"), "example_project.asgi:application", "--host", "127.0.0.1"]
        argv += ["--port", str(port), "--timeout-graceful-shutdown", "5"]
        argv += ["--log-config", str(log_config), "--workers", str(workers)]
        stack.serve(port, argv=argv)
    except BaseException:
        stack.stop()
        stack.drop()
        raise
    return stack


class MemoryStorage:
    """The SDK's ``TokenStorage``, in memory; ``client_info`` given for a pre-registered client."""

    def __init__(self, client_info=None) -> None:
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

    def sign_in(self) -> requests.Session:
        """Return a browser session in which alice has signed in."""
        agent = requests.Session()
        login = agent.get(f"{self.site.issuer}/accounts/login/", timeout=TIMEOUT)
        form = browser.form_with_button(login.text, "Sign in")
        data = [(k, v) for k, v in form.data("Sign in") if k not in ("username", "password")]
        data += [("username", "alice"), ("password", PASSWORD)]
        signed_in = agent.post(login.url, data=data, headers={"Referer": login.url}, timeout=10)
        assert "sessionid" in agent.cookies, signed_in.text[-500:]
        return agent

    def allow(self, agent: requests.Session, url: str) -> requests.Response:
        """Open the consent page at ``url`` and press "Allow"; return the answer (not followed)."""
        consent = agent.get(url, timeout=TIMEOUT)
        assert consent.status_code == HTTPStatus.OK, consent.text[-500:]
        self.consent_page = consent.text
        form = browser.form_with_button(consent.text, "Allow")
        return agent.post(
            urljoin(consent.url, form.action or consent.url),
            data=form.data("Allow"),
            headers={"Referer": consent.url},
            allow_redirects=False,
            timeout=TIMEOUT,
        )

    def sign_in_and_allow(self, url: str) -> str:
        """Return where "Allow" sends the browser: the client's redirect URI with the code."""
        allowed = self.allow(self.sign_in(), url)
        assert allowed.status_code == HTTPStatus.FOUND, allowed.text[-500:]
        return allowed.headers["Location"]


def client_metadata(site) -> OAuthClientMetadata:
    return OAuthClientMetadata(
        client_name="MCP test client",
        redirect_uris=[site.redirect_uri],
        grant_types=["authorization_code", "refresh_token"],
        token_endpoint_auth_method="none",
    )


async def _session(site, provider, seen: list, *, more_calls: int, fresh_connections: bool):
    async def record(response: httpx2.Response) -> None:
        request, challenge = response.request, response.headers.get("WWW-Authenticate", "")
        seen.append((request.method, request.url.path, response.status_code, challenge))

    options = {"auth": provider, "timeout": TIMEOUT, "event_hooks": {"response": [record]}}
    if fresh_connections:  # a new TCP connection for each request: no process is kept
        options["limits"] = httpx2.Limits(max_keepalive_connections=0)
    async with (
        httpx2.AsyncClient(**options) as http,
        streamable_http_client(f"{site.issuer}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        tools = await session.list_tools()
        results = {
            "tools": sorted(tool.name for tool in tools.tools),
            "whoami": await session.call_tool("whoami", {}),
            "list_contacts": await session.call_tool("list_contacts", {}),
        }
        names = ("whoami", "list_contacts")
        results["more"] = [await session.call_tool(names[i % 2], {}) for i in range(more_calls)]
        return results


def connect(
    site,
    storage: MemoryStorage,
    *,
    client_metadata_url: str | None = None,
    more_calls: int = 0,
    fresh_connections: bool = False,
) -> tuple[dict, ScriptedUser, list]:
    """Run the SDK's client from nothing to the tool calls; return results, the user, the trace.

    ``client_metadata_url``: the client's metadata document URL, used as its client_id when the
    server supports them; ``more_calls``: tool calls after the first two.
    """
    user, seen = ScriptedUser(site), []
    provider = OAuthClientProvider(
        server_url=f"{site.issuer}/mcp",
        client_metadata=client_metadata(site),
        storage=storage,
        redirect_handler=user.redirect_handler,
        callback_handler=user.callback_handler,
        client_metadata_url=client_metadata_url,
    )

    async def main():
        with anyio.fail_after(FLOW_TIMEOUT):
            return await _session(
                site, provider, seen, more_calls=more_calls, fresh_connections=fresh_connections
            )

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


def assert_answers_for_alice(whoami, contacts) -> None:
    assert not whoami.is_error, whoami.content
    assert whoami.structured_content["username"] == "alice"
    assert not contacts.is_error, contacts.content
    names = [contact["name"] for contact in contacts.structured_content["contacts"]]
    assert "Ada Lovelace" in names
    assert contacts.structured_content["sub"] == whoami.structured_content["sub"]


def assert_tools_answer_for_alice(results: dict) -> None:
    assert results["tools"] == ["list_contacts", "whoami"]
    assert_answers_for_alice(results["whoami"], results["list_contacts"])


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
    else:
        assert not any(m == "POST" and "regist" in p for m, p in paths)
    assert steps == sorted(steps)
    assert seen[token + 1][:2] == ("POST", "/mcp") and seen[token + 1][2] == HTTPStatus.OK


def assert_authorization_request(site, user: ScriptedUser, client_id: str) -> None:
    query = parse_qs(urlsplit(user.authorization_url).query)
    assert query["client_id"] == [client_id]
    assert query["resource"] == [f"{site.issuer}/mcp"]
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["scope"] == [SCOPES]
