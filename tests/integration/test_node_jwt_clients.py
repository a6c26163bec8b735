"""oauth4webapi, a spec-strict outside client, against the live example project: JWT client
authentication (``private_key_jwt``, ``client_secret_jwt``, RFC 7523), pushed authorization
requests (PAR, RFC 9126) and signed request objects (JAR, RFC 9101).

Each test is skipped while the server's metadata does not advertise its feature. The clients are
registered with ``manage.py createclient --metadata`` in the server's environment; their private
keys go to the scripts in a JWK file.
"""

import json
import time
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from jwt.algorithms import ECAlgorithm

from tests import node_client as kit
from tests.node_client import (
    REDIRECT_URI,
    SECRETS,
    TIMEOUT,
    NodeClientError,
    es256_key,
    need,
    register,
)

# The live example project and the node client (fixtures of tests/node_client.py).
site, metadata, node_client, alice = kit.site, kit.metadata, kit.node_client, kit.alice
pytestmark = [pytest.mark.live, pytest.mark.slow]
CODE_GRANTS = ["authorization_code", "refresh_token"]


def refused(response: requests.Response) -> bool:
    """True when the authorization endpoint refused: an error page, or an error sent back."""
    if response.status_code == HTTPStatus.FOUND:
        query = parse_qs(urlsplit(response.headers["Location"]).query)
        return "error" in query and "code" not in query
    return response.status_code == HTTPStatus.BAD_REQUEST and "Allow" not in response.text


class Tampering:
    """alice's browser, with ``extra`` appended to each authorization URL before it is opened."""

    def __init__(self, user: kit.Browser, extra: str) -> None:
        self.user, self.extra = user, extra

    def allow(self, authorization_url: str) -> str:
        return self.user.allow(authorization_url + self.extra)


def need_jwt_auth(metadata: dict, method: str, alg: str) -> None:
    need(metadata, "token_endpoint_auth_methods_supported", method)
    if "token_endpoint_auth_signing_alg_values_supported" in metadata:
        need(metadata, "token_endpoint_auth_signing_alg_values_supported", alg)


@pytest.fixture
def key_client(site, tmp_path):
    """Register a client with a public key (``private_key_jwt`` unless told otherwise)."""

    def make(auth: str = "private_key_jwt", **members) -> tuple[dict, str]:
        key_file = tmp_path / f"key-{len(list(tmp_path.iterdir()))}.json"
        public = es256_key(key_file, kid="k1")
        document = {
            "client_name": "oauth4webapi test client",
            "grant_types": ["client_credentials", *CODE_GRANTS],
            "redirect_uris": [REDIRECT_URI],
            "scope": "openid read:profile publish",
            "token_endpoint_auth_method": auth,
            "jwks": {"keys": [public]},
            **members,
        }
        return register(site, document), str(key_file)

    return make


def test_private_key_jwt_at_every_endpoint(node_client, metadata, key_client, tmp_path):
    need_jwt_auth(metadata, "private_key_jwt", "ES256")
    client, key_file = key_client()
    assert client["client_secret"] is None
    result = node_client.run(
        "client_credentials.mjs",
        *("--client-id", client["client_id"], "--auth", "private_key_jwt"),
        *("--key-file", key_file, "--scope", "publish", "--introspect", "--revoke"),
    )
    assert result["tokens"]["access_token_claims"]["client_id"] == client["client_id"]
    assert result["introspection"]["active"] is True  # introspection took the assertion too
    assert result["introspection_after_revocation"] == {"active": False}

    impostor = tmp_path / "impostor.json"
    es256_key(impostor, kid="k1")  # the same kid, another key: the signature does not verify
    with pytest.raises(NodeClientError) as failure:
        node_client.run(
            "client_credentials.mjs",
            *("--client-id", client["client_id"], "--auth", "private_key_jwt"),
            *("--key-file", str(impostor), "--scope", "publish"),
        )
    assert failure.value.detail["error"] == "invalid_client"


def test_client_secret_jwt(node_client, metadata, site):
    need_jwt_auth(metadata, "client_secret_jwt", "HS256")
    client = register(
        site,
        {
            "client_name": "client_secret_jwt service",
            "grant_types": ["client_credentials"],
            "scope": "publish",
            "token_endpoint_auth_method": "client_secret_jwt",
        },
    )
    assert client["client_secret"]
    result = node_client.run(
        "client_credentials.mjs",
        *("--client-id", client["client_id"], "--client-secret", client["client_secret"]),
        *("--auth", "client_secret_jwt", "--scope", "publish", "--introspect", "--revoke"),
        *("--api", f"{site.issuer}/api/publish/", "--api-method", "POST"),
    )
    assert result["api"]["status"] == HTTPStatus.CREATED
    assert result["introspection_after_revocation"] == {"active": False}
    with pytest.raises(NodeClientError) as failure:
        node_client.run(
            "client_credentials.mjs",
            *("--client-id", client["client_id"], "--client-secret", "not-the-secret"),
            *("--auth", "client_secret_jwt", "--scope", "publish"),
        )
    assert failure.value.detail["error"] == "invalid_client"


def test_pushed_authorization_request_code_flow(node_client, alice, metadata):
    need(metadata, "pushed_authorization_request_endpoint")
    result = node_client.code_flow(
        *("--client-id", "demo-web", "--client-secret", SECRETS["demo-web"]),
        *("--redirect-uri", REDIRECT_URI, "--scope", "openid read:profile", "--par"),
        user=alice,
    )
    pushed = result["pushed"]
    assert pushed["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert 0 < pushed["expires_in"] < 600
    assert set(parse_qs(urlsplit(result["authorization_url"]).query)) == {
        "client_id",
        "request_uri",
    }
    assert result["id_token_claims"]["aud"] == "demo-web"


def test_a_request_uri_is_used_once_and_by_its_own_client(node_client, alice, metadata):
    need(metadata, "pushed_authorization_request_endpoint")

    def push() -> str:
        return node_client.run(
            "push_authorization.mjs",
            *("--client-id", "demo-web", "--client-secret", SECRETS["demo-web"]),
            *("--redirect-uri", REDIRECT_URI, "--scope", "read:profile"),
        )["authorization_url"]

    url = push()
    callback = alice.allow(url)
    assert "code" in parse_qs(urlsplit(callback).query)
    assert refused(alice.agent.get(url, allow_redirects=False, timeout=TIMEOUT))  # replayed

    other_client = push().replace("client_id=demo-web", "client_id=demo-spa")
    assert refused(alice.agent.get(other_client, allow_redirects=False, timeout=TIMEOUT))


def test_a_client_that_requires_par_is_refused_without_it(node_client, alice, metadata, site):
    need(metadata, "pushed_authorization_request_endpoint")
    client = register(
        site,
        {
            "client_name": "PAR-only app",
            "grant_types": CODE_GRANTS,
            "redirect_uris": [REDIRECT_URI],
            "scope": "read:profile",
            "token_endpoint_auth_method": "client_secret_basic",
            "require_pushed_authorization_requests": True,
        },
    )
    query = {"client_id": client["client_id"], "response_type": "code", "state": "s"}
    query |= {"redirect_uri": REDIRECT_URI, "scope": "read:profile"}
    query |= {"code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}
    query |= {"code_challenge_method": "S256"}
    direct = f"{metadata['authorization_endpoint']}?{urlencode(query)}"
    assert refused(alice.agent.get(direct, allow_redirects=False, timeout=TIMEOUT))
    result = node_client.code_flow(
        *("--client-id", client["client_id"], "--client-secret", client["client_secret"]),
        *("--redirect-uri", REDIRECT_URI, "--scope", "read:profile", "--par"),
        user=alice,
    )
    assert result["tokens"]["access_token_claims"]["client_id"] == client["client_id"]


def test_private_key_jwt_par_and_dpop_together(node_client, alice, metadata, key_client, site):
    """The FAPI 2.0 shape: private_key_jwt, PAR, PKCE and DPoP, one client."""
    need_jwt_auth(metadata, "private_key_jwt", "ES256")
    need(metadata, "pushed_authorization_request_endpoint")
    need(metadata, "dpop_signing_alg_values_supported", "ES256")
    client, key_file = key_client()
    result = node_client.code_flow(
        *("--client-id", client["client_id"], "--auth", "private_key_jwt"),
        *("--key-file", key_file, "--redirect-uri", REDIRECT_URI, "--scope", "openid read:profile"),
        *("--par", "--dpop", "ES256", "--api", f"{site.issuer}/api/profile/", "--refresh"),
        user=alice,
    )
    assert result["tokens"]["access_token_claims"]["cnf"] == {"jkt": result["dpop_jkt"]}
    assert result["api"]["status"] == HTTPStatus.OK
    assert result["api_after_refresh"]["status"] == HTTPStatus.OK


def test_signed_request_object(node_client, alice, metadata, key_client, tmp_path):
    need(metadata, "request_parameter_supported", True)
    if "request_object_signing_alg_values_supported" in metadata:
        need(metadata, "request_object_signing_alg_values_supported", "ES256")
    client, key_file = key_client("client_secret_basic")
    result = node_client.code_flow(
        *("--client-id", client["client_id"], "--client-secret", client["client_secret"]),
        *("--key-file", key_file, "--jar", "--redirect-uri", REDIRECT_URI),
        *("--scope", "openid read:profile"),
        user=alice,
    )
    assert set(parse_qs(urlsplit(result["authorization_url"]).query)) == {"client_id", "request"}
    assert result["id_token_claims"]["aud"] == client["client_id"]

    # Parameters sent beside the object do not count (RFC 9101 6.3): a wider scope added outside.
    widened = node_client.code_flow(
        *("--client-id", client["client_id"], "--client-secret", client["client_secret"]),
        *("--key-file", key_file, "--jar", "--redirect-uri", REDIRECT_URI),
        *("--scope", "read:profile"),
        user=Tampering(alice, "&scope=read%3Aprofile+publish&response_type=token"),
    )
    assert widened["tokens"]["access_token_claims"]["scope"] == "read:profile"

    claims = {
        "iss": client["client_id"],
        "aud": metadata["issuer"],
        "client_id": client["client_id"],
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "read:profile",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        "iat": int(time.time()),
        "exp": int(time.time()) + 60,
    }

    def opened(client_id: str, request: str) -> requests.Response:
        query = urlencode({"client_id": client_id, "request": request})
        url = f"{metadata['authorization_endpoint']}?{query}"
        return alice.agent.get(url, allow_redirects=False, timeout=TIMEOUT)

    key = json.loads(Path(key_file).read_text())
    signed = jwt.encode(claims, ECAlgorithm.from_jwk(key), "ES256", headers={"kid": key["kid"]})
    assert not refused(opened(client["client_id"], signed))  # the object itself is right
    assert refused(opened(client["client_id"], jwt.encode(claims, None, algorithm="none")))
    assert refused(opened("demo-web", signed))  # client_id outside and inside differ
    other_key = tmp_path / "other.json"
    es256_key(other_key, kid=key["kid"])  # a key the client did not register
    other = json.loads(other_key.read_text())
    forged = jwt.encode(claims, ECAlgorithm.from_jwk(other), "ES256", headers={"kid": other["kid"]})
    assert refused(opened(client["client_id"], forged))


def test_signed_request_object_pushed(node_client, alice, metadata, key_client):
    need(metadata, "request_parameter_supported", True)
    need(metadata, "pushed_authorization_request_endpoint")
    client, key_file = key_client("client_secret_basic")
    result = node_client.code_flow(
        *("--client-id", client["client_id"], "--client-secret", client["client_secret"]),
        *("--key-file", key_file, "--jar", "--par", "--redirect-uri", REDIRECT_URI),
        *("--scope", "read:profile"),
        user=alice,
    )
    assert result["tokens"]["access_token_claims"]["client_id"] == client["client_id"]
