"""oauth4webapi against the live example project with ``SECURITY_PROFILE = "fapi2"``: the whole
FAPI 2.0 flow (PAR with private_key_jwt, PKCE S256, the code with DPoP and private_key_jwt, the
API with DPoP, a refresh that keeps its refresh token), and a secret client refused."""

from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest

from tests import node_client as kit
from tests.live_stack import BIN, DefaultStack
from tests.node_client import PASSWORD, REDIRECT_URI, NodeClientError, es256_key, register

pytestmark = [pytest.mark.live, pytest.mark.slow]
FAPI_ENV = {"OAUTHCORE_SECURITY_PROFILE": "fapi2", "OAUTHCORE_SIGNING_ALGORITHM": "ES256"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The example project, live, under the FAPI 2.0 profile, with alice and no demo clients."""
    if reason := kit.skip_reason():
        pytest.skip(reason)
    port = kit.free_port()
    workdir = tmp_path_factory.mktemp("node-fapi")
    stack = DefaultStack("nodefapi", 0, f"http://127.0.0.1:{port}", workdir, FAPI_ENV)
    try:
        stack.create()
        stack.create_user("alice", PASSWORD)
        argv = [str(BIN / "gunicorn"), "example_project.wsgi:application"]
        argv += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"]
        stack.serve(port, argv=argv)
        yield stack
    finally:
        stack.stop()
        stack.drop()


def _client(site, tmp_path, **members) -> tuple[dict, str]:
    key_file = tmp_path / "key.json"
    document = {
        "client_name": "oauth4webapi FAPI client",
        "application_type": "native",  # a loopback http redirect URI (FAPI 2.0 5.3.2.2 8)
        "grant_types": ["authorization_code", "refresh_token"],
        "redirect_uris": [REDIRECT_URI],
        "scope": "openid read:profile",
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": {"keys": [es256_key(key_file, kid="k1")]},
        **members,
    }
    return register(site, document), str(key_file)


def test_the_whole_fapi_flow(site, tmp_path):
    client, key_file = _client(site, tmp_path)
    assert client["rotate_refresh_tokens"] is False
    result = kit.NodeClient(site.issuer).code_flow(
        *("--client-id", client["client_id"], "--auth", "private_key_jwt"),
        *("--key-file", key_file, "--redirect-uri", REDIRECT_URI, "--scope", "openid read:profile"),
        *("--par", "--dpop", "ES256", "--api", f"{site.issuer}/api/profile/", "--refresh"),
        user=kit.Browser(site.issuer),
    )
    assert parse_iss(result["callback"]) == site.issuer
    assert result["tokens"]["access_token_claims"]["cnf"] == {"jkt": result["dpop_jkt"]}
    assert result["api"]["status"] == HTTPStatus.OK
    assert result["api_after_refresh"]["status"] == HTTPStatus.OK


def test_a_flow_without_par_is_refused(site, tmp_path):
    client, key_file = _client(site, tmp_path)
    with pytest.raises(NodeClientError) as refused:
        kit.NodeClient(site.issuer).code_flow(
            *("--client-id", client["client_id"], "--auth", "private_key_jwt"),
            *("--key-file", key_file, "--redirect-uri", REDIRECT_URI, "--scope", "read:profile"),
            *("--dpop", "ES256"),
            user=kit.Browser(site.issuer),
        )
    assert "invalid_request" in str(refused.value)


def parse_iss(callback: str) -> str:
    return parse_qs(urlsplit(callback).query)["iss"][0]
