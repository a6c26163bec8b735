"""DPoP (RFC 9449) with oauth4webapi, a spec-strict outside client, against the live example
project: tokens bound to the client's key at the token endpoint, the example API called with
``Authorization: DPoP`` and a proof, the same token refused as Bearer or with another key.

Skipped while the server's metadata does not advertise ``dpop_signing_alg_values_supported``.
"""

import base64
import hashlib
import json
import time
import uuid
from http import HTTPStatus

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from tests import node_client as kit
from tests.node_client import REDIRECT_URI, SECRETS, TIMEOUT, NodeClientError, need, register

# The live example project and the node client (fixtures of tests/node_client.py).
site, metadata, node_client, alice = kit.site, kit.metadata, kit.node_client, kit.alice
pytestmark = [pytest.mark.live, pytest.mark.slow]
ALG = "ES256"


@pytest.fixture(autouse=True)
def dpop_enabled(metadata):
    need(metadata, "dpop_signing_alg_values_supported", ALG)


def thief_call(url: str, token: str, *, method: str = "GET") -> requests.Response:
    """Call ``url`` with ``token`` and a valid proof signed by a key that is not the bound one."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    ath = base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()).rstrip(b"=")
    nonce = None
    for _ in range(2):  # once more with the server's nonce, if it asks for one
        claims = {"jti": str(uuid.uuid4()), "htm": method, "htu": url, "iat": int(time.time())}
        claims |= {"ath": ath.decode()} | ({"nonce": nonce} if nonce else {})
        proof = jwt.encode(claims, key, algorithm=ALG, headers={"typ": "dpop+jwt", "jwk": public})
        response = requests.request(
            method,
            url,
            headers={"Authorization": f"DPoP {token}", "DPoP": proof},
            timeout=TIMEOUT,
        )
        nonce = response.headers.get("DPoP-Nonce")
        if "use_dpop_nonce" not in response.headers.get("WWW-Authenticate", "") or not nonce:
            return response
    return response


def test_code_flow_bound_to_the_clients_key(node_client, alice, site):
    api = f"{site.issuer}/api/profile/"
    result = node_client.code_flow(
        *("--client-id", "demo-web", "--client-secret", SECRETS["demo-web"]),
        *("--redirect-uri", REDIRECT_URI, "--scope", "openid read:profile"),
        *("--dpop", ALG, "--api", api, "--refresh", "--introspect"),
        user=alice,
    )
    jkt = result["dpop_jkt"]
    tokens, refreshed = result["tokens"], result["refreshed"]
    assert tokens["token_type"].lower() == refreshed["token_type"].lower() == "dpop"
    assert tokens["access_token_claims"]["cnf"] == {"jkt": jkt}
    assert refreshed["access_token_claims"]["cnf"] == {"jkt": jkt}
    # protectedResourceRequest sent Authorization: DPoP and a proof with ath.
    assert result["api"]["status"] == HTTPStatus.OK
    assert result["api_after_refresh"]["status"] == HTTPStatus.OK
    assert result["introspection"]["active"] is True
    assert result["introspection"]["cnf"] == {"jkt": jkt}

    token = refreshed["access_token"]
    as_bearer = requests.get(api, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    assert as_bearer.status_code == HTTPStatus.UNAUTHORIZED
    no_proof = requests.get(api, headers={"Authorization": f"DPoP {token}"}, timeout=TIMEOUT)
    assert no_proof.status_code == HTTPStatus.UNAUTHORIZED
    assert "DPoP" in no_proof.headers["WWW-Authenticate"]
    assert thief_call(api, token).status_code == HTTPStatus.UNAUTHORIZED


def test_public_client_refresh_token_is_bound_to_the_key(node_client, alice, metadata, site):
    """dpop_jkt at /authorize binds the code; a public client's refresh token needs the key."""
    result = node_client.code_flow(
        *("--client-id", "demo-spa", "--auth", "none", "--redirect-uri", REDIRECT_URI),
        *("--scope", "read:profile", "--dpop", ALG, "--dpop-jkt", "--refresh"),
        *("--api", f"{site.issuer}/api/profile/"),
        user=alice,
    )
    assert f"dpop_jkt={result['dpop_jkt']}" in result["authorization_url"]
    assert result["refreshed"]["access_token_claims"]["cnf"] == {"jkt": result["dpop_jkt"]}
    assert result["api_after_refresh"]["status"] == HTTPStatus.OK
    stolen = requests.post(  # the refresh token alone, without a proof of the key
        metadata["token_endpoint"],
        data={
            "grant_type": "refresh_token",
            "refresh_token": result["refreshed"]["refresh_token"],
            "client_id": "demo-spa",
        },
        timeout=TIMEOUT,
    )
    assert stolen.status_code == HTTPStatus.BAD_REQUEST
    assert "access_token" not in stolen.json()


def test_client_credentials_with_dpop(node_client, site):
    result = node_client.run(
        "client_credentials.mjs",
        *("--client-id", "demo-service", "--client-secret", SECRETS["demo-service"]),
        *("--scope", "publish", "--dpop", ALG, "--introspect"),
        *("--api", f"{site.issuer}/api/publish/", "--api-method", "POST"),
    )
    assert result["tokens"]["token_type"].lower() == "dpop"
    assert result["tokens"]["access_token_claims"]["cnf"] == {"jkt": result["dpop_jkt"]}
    assert result["api"]["status"] == HTTPStatus.CREATED
    assert result["introspection"]["cnf"] == {"jkt": result["dpop_jkt"]}
    stolen = thief_call(
        f"{site.issuer}/api/publish/", result["tokens"]["access_token"], method="POST"
    )
    assert stolen.status_code == HTTPStatus.UNAUTHORIZED


def test_a_client_registered_with_dpop_bound_access_tokens_needs_a_proof(node_client, site):
    client = register(
        site,
        {
            "client_name": "DPoP-only service",
            "grant_types": ["client_credentials"],
            "scope": "publish",
            "token_endpoint_auth_method": "client_secret_basic",
            "dpop_bound_access_tokens": True,
        },
    )
    credentials = ("--client-id", client["client_id"], "--client-secret", client["client_secret"])
    with pytest.raises(NodeClientError) as failure:
        node_client.run("client_credentials.mjs", *credentials, "--scope", "publish")
    assert failure.value.detail["status"] == HTTPStatus.BAD_REQUEST
    bound = node_client.run(
        "client_credentials.mjs", *credentials, "--scope", "publish", "--dpop", ALG
    )
    assert bound["tokens"]["token_type"].lower() == "dpop"


@pytest.fixture(scope="module")
def nonce_site(tmp_path_factory):
    """The example project again, with DPoP server nonces on (tests/node_settings.py)."""
    if reason := kit.skip_reason():
        pytest.skip(reason)
    stack = kit.start_site(
        tmp_path_factory.mktemp("node-nonce-site"), DJANGO_SETTINGS_MODULE="tests.node_settings"
    )
    yield stack
    stack.stop()
    stack.drop()


def test_server_nonces_are_fetched_and_used(nonce_site):
    """The server asks for its nonce (use_dpop_nonce, DPoP-Nonce) at the token endpoint and the
    API; oauth4webapi retries once with it, as RFC 9449 8 and 9 expect of a client."""
    result = kit.NodeClient(nonce_site.issuer).run(
        "client_credentials.mjs",
        *("--client-id", "demo-service", "--client-secret", SECRETS["demo-service"]),
        *("--scope", "publish", "--dpop", ALG),
        *("--api", f"{nonce_site.issuer}/api/publish/", "--api-method", "POST"),
    )
    assert result["tokens"]["access_token_claims"]["cnf"] == {"jkt": result["dpop_jkt"]}
    assert result["api"]["status"] == HTTPStatus.CREATED
    # A proof without the nonce is refused with a fresh one to use.
    key = ec.generate_private_key(ec.SECP256R1())
    public = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    well_known = f"{nonce_site.issuer}/.well-known/oauth-authorization-server"
    url = requests.get(well_known, timeout=TIMEOUT).json()["token_endpoint"]
    claims = {"jti": str(uuid.uuid4()), "htm": "POST", "htu": url, "iat": int(time.time())}
    proof = jwt.encode(claims, key, algorithm=ALG, headers={"typ": "dpop+jwt", "jwk": public})
    response = requests.post(
        url,
        data={"grant_type": "client_credentials", "scope": "publish"},
        auth=("demo-service", SECRETS["demo-service"]),
        headers={"DPoP": proof},
        timeout=TIMEOUT,
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "use_dpop_nonce"
    assert response.headers["DPoP-Nonce"]
