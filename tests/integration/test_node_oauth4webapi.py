"""panva's oauth4webapi, a spec-strict outside client (node), against the live example project:
discovery, client credentials, the code flow with PKCE and OpenID Connect, refresh, introspection,
revocation and the example API. See tests/node_client.py and docs/testing.md."""

from http import HTTPStatus

import jwt
import pytest

from tests import node_client as kit
from tests.node_client import REDIRECT_URI, SECRETS, NodeClient, NodeClientError

# The live example project and the node client (fixtures of tests/node_client.py).
site, metadata, node_client, alice = kit.site, kit.metadata, kit.node_client, kit.alice
pytestmark = [pytest.mark.live, pytest.mark.slow]


def verify(token: str, metadata: dict) -> dict:
    """Verify an access token as a resource server would: PyJWT and the published JWKS."""
    key = jwt.PyJWKClient(metadata["jwks_uri"]).get_signing_key_from_jwt(token)
    assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
    return jwt.decode(
        token,
        key,
        algorithms=[key.algorithm_name],
        audience=metadata["issuer"],
        issuer=metadata["issuer"],
    )


def test_discovery_is_accepted_as_published(node_client, metadata, site):
    discovered = node_client.run("discovery.mjs")
    assert discovered == metadata
    assert discovered["issuer"] == site.issuer


def test_discovery_under_another_issuer_name_is_refused_by_the_client(site):
    """oauth4webapi compares the issuer exactly (RFC 8414 3.3): the check the tests rely on."""
    other_name = site.issuer.replace("127.0.0.1", "localhost")
    with pytest.raises(NodeClientError) as failure:
        NodeClient(other_name).run("discovery.mjs")
    assert failure.value.detail["code"] == "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED"


@pytest.mark.parametrize("auth", ["client_secret_basic", "client_secret_post"])
def test_client_credentials(node_client, metadata, site, auth):
    assert auth in metadata["token_endpoint_auth_methods_supported"]
    result = node_client.run(
        "client_credentials.mjs",
        *("--client-id", "demo-service", "--client-secret", SECRETS["demo-service"]),
        *("--auth", auth, "--scope", "publish"),
        *("--api", f"{site.issuer}/api/publish/", "--api-method", "POST"),
        *("--introspect", "--revoke"),
    )
    tokens = result["tokens"]
    assert tokens["token_type"].lower() == "bearer"
    assert "refresh_token" not in tokens
    claims = verify(tokens["access_token"], metadata)
    assert claims["sub"] == claims["client_id"] == "demo-service"
    assert result["api"]["status"] == HTTPStatus.CREATED
    assert result["api"]["body"]["client_id"] == "demo-service"
    assert result["introspection"]["active"] is True
    assert result["introspection"]["jti"] == claims["jti"]
    assert result["introspection_after_revocation"] == {"active": False}
    assert result["api_after_revocation"]["status"] == HTTPStatus.UNAUTHORIZED
    challenge = result["api_after_revocation"]["challenges"][0]
    assert challenge["parameters"]["error"] == "invalid_token"


@pytest.mark.parametrize("auth", ["client_secret_basic", "client_secret_post"])
def test_a_wrong_secret_is_refused(node_client, auth):
    with pytest.raises(NodeClientError) as failure:
        node_client.run(
            "client_credentials.mjs",
            *("--client-id", "demo-service", "--client-secret", "not-the-secret"),
            *("--auth", auth, "--scope", "publish"),
        )
    assert failure.value.detail["error"] == "invalid_client"
    assert failure.value.detail["status"] == HTTPStatus.UNAUTHORIZED


def test_code_flow_pkce_openid_refresh_introspection_revocation(node_client, alice, metadata, site):
    result = node_client.code_flow(
        *("--client-id", "demo-web", "--client-secret", SECRETS["demo-web"]),
        *("--redirect-uri", REDIRECT_URI, "--scope", "openid profile read:profile"),
        *("--api", f"{site.issuer}/api/profile/", "--refresh", "--introspect", "--revoke"),
        user=alice,
    )
    assert "code_challenge_method=S256" in result["authorization_url"]
    claims = verify(result["tokens"]["access_token"], metadata)
    # The ID token was validated by oauth4webapi (signature, iss, aud, nonce, at_hash, exp).
    id_token = result["id_token_claims"]
    assert id_token["iss"] == site.issuer
    assert id_token["aud"] == "demo-web"
    assert id_token["sub"] == claims["sub"]
    assert result["api"] == {"status": HTTPStatus.OK, "body": result["api"]["body"]}
    assert result["api"]["body"]["sub"] == claims["sub"]
    assert result["api"]["body"]["username"] == "alice"

    refreshed = result["refreshed"]
    assert refreshed["refresh_token"] != result["tokens"]["refresh_token"]  # rotated
    assert verify(refreshed["access_token"], metadata)["jti"] != claims["jti"]
    assert result["api_after_refresh"]["status"] == HTTPStatus.OK
    assert result["introspection"]["active"] is True
    assert result["introspection"]["client_id"] == "demo-web"
    assert result["introspection_after_revocation"] == {"active": False}
    assert result["api_after_revocation"]["status"] == HTTPStatus.UNAUTHORIZED


def test_code_flow_client_secret_post_openid(node_client, alice, site):
    result = node_client.code_flow(
        *("--client-id", "demo-rp", "--client-secret", SECRETS["demo-rp"]),
        *("--auth", "client_secret_post", "--redirect-uri", f"{site.issuer}/demo/rp/callback/"),
        *("--scope", "openid email read:contacts", "--api", f"{site.issuer}/api/contacts/"),
        "--userinfo",
        user=alice,
    )
    assert result["id_token_claims"]["aud"] == "demo-rp"
    # UserInfo's sub was checked against the ID token's by oauth4webapi.
    assert result["userinfo"]["sub"] == result["id_token_claims"]["sub"]
    assert result["userinfo"]["email"] == "alice@example.com"
    assert result["api"]["status"] == HTTPStatus.OK


def test_code_flow_public_client(node_client, alice, site):
    """A public client (token_endpoint_auth_method none): PKCE is its only proof."""
    result = node_client.code_flow(
        *("--client-id", "demo-spa", "--auth", "none", "--redirect-uri", REDIRECT_URI),
        *("--scope", "read:profile", "--api", f"{site.issuer}/api/profile/", "--refresh"),
        user=alice,
    )
    assert result["api"]["status"] == HTTPStatus.OK
    assert result["refreshed"]["refresh_token"] != result["tokens"]["refresh_token"]
    assert result["api_after_refresh"]["status"] == HTTPStatus.OK


def test_a_token_outside_its_scope_is_refused_by_the_api(node_client, site):
    result = node_client.run(
        "client_credentials.mjs",
        *("--client-id", "demo-service", "--client-secret", SECRETS["demo-service"]),
        *("--scope", "publish", "--api", f"{site.issuer}/api/profile/"),
    )
    assert result["api"]["status"] == HTTPStatus.FORBIDDEN
    assert result["api"]["challenges"][0]["parameters"]["error"] == "insufficient_scope"
