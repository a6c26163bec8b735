"""The example project under an ASGI server: uvicorn, two workers, driven over real HTTP.

Every endpoint answers under ASGI as under WSGI: metadata, authorize with sign-in and consent,
the token endpoint (code + PKCE, refresh, client credentials, device code), revocation,
introspection, userinfo, the DRF API and the Ninja API (Bearer and DPoP). And the token
endpoint does not hang under concurrent requests (django-oauth-toolkit's issue #929): each
request has a bounded timeout.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from tests.dpop_kit import DPoPKey
from tests.mcp_kit import TIMEOUT, ScriptedUser, start_site

pytestmark = [pytest.mark.live, pytest.mark.slow]

REDIRECT_URI = "http://127.0.0.1:8765/callback"  # demo-web's local callback: nothing listens
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
SYNC_BOUND = 3  # seconds: SYNC_INTERVAL (1 s), the time a request takes, a busy machine
CONCURRENT = 24


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The example project under uvicorn with two workers, seeded as the demo is."""
    stack = start_site(tmp_path_factory.mktemp("asgi"), "asgi", workers=2)
    yield stack
    stack.stop()
    stack.drop()


@pytest.fixture(scope="module")
def metadata(site):
    response = requests.get(f"{site.issuer}/.well-known/oauth-authorization-server", timeout=10)
    assert response.status_code == HTTPStatus.OK
    return response.json()


def api(site, path, token, *, scheme="Bearer", method="GET", **headers):
    headers["Authorization"] = f"{scheme} {token}"
    return requests.request(method, f"{site.issuer}{path}", headers=headers, timeout=TIMEOUT)


def eventually_refused(site, path, token) -> requests.Response:
    """Call until the API refuses ``token``: a revocation reaches every worker in SYNC_INTERVAL."""
    deadline = time.monotonic() + SYNC_BOUND
    while (response := api(site, path, token)).status_code == HTTPStatus.OK:
        assert time.monotonic() < deadline, "the revoked token is still accepted"
        time.sleep(0.2)
    return response


def code_flow(site, metadata, scope) -> tuple[OAuth2Session, dict]:
    """Authorization code + PKCE (RFC 7636) with Authlib; alice signs in and allows."""
    session = OAuth2Session(
        "demo-web",
        "demo-web-secret",
        scope=scope,
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
    )
    verifier = generate_token(64)
    url, state = session.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier
    )
    callback = ScriptedUser(site).sign_in_and_allow(url)
    assert parse_qs(urlsplit(callback).query)["state"] == [state]
    token = session.fetch_token(
        metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    return session, token


def test_the_metadata_documents(site, metadata):
    assert metadata["issuer"] == site.issuer
    assert DEVICE_CODE in metadata["grant_types_supported"]
    discovery = requests.get(f"{site.issuer}/.well-known/openid-configuration", timeout=10)
    assert discovery.json()["userinfo_endpoint"] == metadata["userinfo_endpoint"]
    assert requests.get(metadata["jwks_uri"], timeout=10).json()["keys"]


def test_code_pkce_then_the_apis_userinfo_refresh_introspection_revocation(site, metadata):
    session, token = code_flow(site, metadata, "openid read:profile read:email")
    access = token["access_token"]
    assert api(site, "/api/profile/", access).json()["username"] == "alice"
    for path in ("/ninja/profile", "/ninja/profile/async"):
        assert api(site, path, access).json()["username"] == "alice", path
    assert api(site, "/api/contacts/", access).status_code == HTTPStatus.FORBIDDEN  # no scope
    userinfo = api(site, urlsplit(metadata["userinfo_endpoint"]).path, access)
    assert userinfo.status_code == HTTPStatus.OK and userinfo.json()["sub"]

    refreshed = session.refresh_token(metadata["token_endpoint"])
    assert refreshed["refresh_token"] != token["refresh_token"]  # rotated
    introspected = requests.post(
        metadata["introspection_endpoint"],
        data={"token": refreshed["access_token"]},
        auth=("demo-web", "demo-web-secret"),
        timeout=TIMEOUT,
    ).json()
    assert introspected["active"] is True and introspected["client_id"] == "demo-web"

    revoked = requests.post(
        metadata["revocation_endpoint"],
        data={"token": refreshed["access_token"]},
        auth=("demo-web", "demo-web-secret"),
        timeout=TIMEOUT,
    )
    assert revoked.status_code == HTTPStatus.OK
    for path in ("/api/profile/", "/ninja/profile", "/ninja/profile/async"):
        refusal = eventually_refused(site, path, refreshed["access_token"])
        assert refusal.status_code == HTTPStatus.UNAUTHORIZED, path
        assert 'error="invalid_token"' in refusal.headers["WWW-Authenticate"], path


def test_client_credentials_bearer_and_dpop(site, metadata):
    service = OAuth2Session("demo-service", "demo-service-secret", scope="publish")
    token = service.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    assert api(site, "/api/publish/", token["access_token"], method="POST").ok

    key = DPoPKey()
    bound = requests.post(
        metadata["token_endpoint"],
        data={"grant_type": "client_credentials", "scope": "publish"},
        auth=("demo-service", "demo-service-secret"),
        headers={"DPoP": key.proof("POST", metadata["token_endpoint"])},
        timeout=TIMEOUT,
    ).json()
    assert bound["token_type"] == "DPoP"
    url = f"{site.issuer}/api/publish/"
    proof = key.proof("POST", url, access_token=bound["access_token"])
    accepted = api(
        site, "/api/publish/", bound["access_token"], scheme="DPoP", method="POST", DPoP=proof
    )
    assert accepted.ok, accepted.text
    as_bearer = api(site, "/api/publish/", bound["access_token"], method="POST")
    assert as_bearer.status_code == HTTPStatus.UNAUTHORIZED


def test_a_dpop_bound_user_token_on_the_ninja_apis(site, metadata):
    _session, token = code_flow(site, metadata, "read:profile read:contacts")  # new: consent
    key = DPoPKey()
    bound = requests.post(
        metadata["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        auth=("demo-web", "demo-web-secret"),
        headers={"DPoP": key.proof("POST", metadata["token_endpoint"])},
        timeout=TIMEOUT,
    ).json()
    assert bound["token_type"] == "DPoP", bound
    for path in ("/ninja/profile", "/ninja/profile/async"):
        proof = key.proof("GET", f"{site.issuer}{path}", access_token=bound["access_token"])
        response = api(site, path, bound["access_token"], scheme="DPoP", DPoP=proof)
        assert response.json()["username"] == "alice", path


def test_the_device_flow(site, metadata):
    device = {"client_name": "Living Room TV", "token_endpoint_auth_method": "none"}
    device |= {"grant_types": [DEVICE_CODE], "scope": "read:profile"}  # RFC 7591 (open)
    registered = requests.post(metadata["registration_endpoint"], json=device, timeout=TIMEOUT)
    assert registered.status_code == HTTPStatus.CREATED, registered.text
    client_id = registered.json()["client_id"]
    started = requests.post(
        metadata["device_authorization_endpoint"],
        data={"client_id": client_id, "scope": "read:profile"},
        timeout=TIMEOUT,
    ).json()
    poll = {
        "grant_type": DEVICE_CODE,
        "device_code": started["device_code"],
        "client_id": client_id,
    }
    pending = requests.post(metadata["token_endpoint"], data=poll, timeout=TIMEOUT)
    assert pending.json()["error"] == "authorization_pending"
    polled_at = time.monotonic()

    alice = ScriptedUser(site)
    allowed = alice.allow(alice.sign_in(), started["verification_uri_complete"])
    assert allowed.status_code == HTTPStatus.OK, allowed.text[-500:]  # "you may go back"

    time.sleep(max(0, started["interval"] + 0.5 - (time.monotonic() - polled_at)))  # RFC 8628 3.5
    issued = requests.post(metadata["token_endpoint"], data=poll, timeout=TIMEOUT)
    assert issued.status_code == HTTPStatus.OK, issued.text
    assert api(site, "/ninja/profile/async", issued.json()["access_token"]).ok


def test_concurrent_token_requests_do_not_hang(site, metadata):
    """Token requests and API calls at once, each bounded: none hangs, none fails."""

    def token_then_call(_):
        response = requests.post(
            metadata["token_endpoint"],
            data={"grant_type": "client_credentials", "scope": "publish"},
            auth=("demo-service", "demo-service-secret"),
            timeout=TIMEOUT,
        )
        assert response.status_code == HTTPStatus.OK, response.text
        access = response.json()["access_token"]
        return api(site, "/api/publish/", access, method="POST").status_code

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        statuses = list(pool.map(token_then_call, range(CONCURRENT * 2), timeout=4 * TIMEOUT))
    assert statuses == [HTTPStatus.CREATED] * (CONCURRENT * 2)
    assert time.monotonic() - started < 4 * TIMEOUT
