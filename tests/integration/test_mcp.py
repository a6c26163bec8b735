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
import time
from http import HTTPStatus

import anyio
import httpx2
import jwt
import pytest
import requests
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull

from tests.mcp_kit import (
    FLOW_TIMEOUT,
    SCOPES,
    TIMEOUT,
    UNVERIFIED,
    MemoryStorage,
    assert_authorization_request,
    assert_bound_to_the_mcp_server,
    assert_discovery_chain,
    assert_tools_answer_for_alice,
    connect,
    mcp_post,
    metadata,
    start_site,
)

pytestmark = [pytest.mark.live, pytest.mark.slow]
SYNC_BOUND = 1.5  # seconds: SYNC_INTERVAL (1 s) and the time a request takes


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The example project under uvicorn, anonymous registration open, seeded as the demo is."""
    stack = start_site(tmp_path_factory.mktemp("mcp"), "mcp")
    yield stack
    stack.stop()
    stack.drop()


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
