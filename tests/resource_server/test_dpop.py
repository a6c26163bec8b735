"""DPoP on the resource server (RFC 9449 7): the DRF classes, the decorator, userinfo.

A bound token (``cnf.jkt``) needs ``Authorization: DPoP`` and a proof of the request signed by
its key, with ``ath`` its hash; as Bearer it is refused. Errors under the DPoP scheme are
answered in the DPoP challenge, beside the Bearer one.
"""

from http import HTTPStatus

import pytest
from django.db import connection
from django.http import JsonResponse
from django.test.utils import CaptureQueriesContext
from django.urls import include, path

from oauthcore.resource_server import jwks_client
from oauthcore.resource_server.decorators import require_scopes
from oauthcore.testing import make_access_token
from tests.dpop_kit import DPoPKey

pytestmark = pytest.mark.django_db

PROFILE = "http://testserver/api/profile/"
PLAIN = "http://testserver/plain/"


@require_scopes("read:email")
def plain(request):
    return JsonResponse({"sub": request.auth.subject})


urlpatterns = [path("plain/", plain), path("", include("example_project.urls"))]


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = __name__


@pytest.fixture
def key():
    return DPoPKey()


@pytest.fixture
def bound(user, key):
    return make_access_token(user=user, scopes=["read:profile", "read:email"], cnf={"jkt": key.jkt})


def dpop_get(http, url, token, proof_key, **proof):
    proof = proof_key.header("GET", url, access_token=token, **proof)
    return http.get(url, HTTP_AUTHORIZATION=f"DPoP {token}", **proof)


def dpop_error(response) -> str:
    """Return the error named in the DPoP challenge (RFC 9449 7.1), asserting a 401."""
    assert response.status_code == HTTPStatus.UNAUTHORIZED, response.content
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    dpop_part = challenge[challenge.index(", DPoP ") :]
    assert 'algs="ES256 EdDSA PS256 RS256"' in dpop_part
    return dpop_part.split('error="')[1].split('"')[0]


@pytest.mark.parametrize("url", [PROFILE, PLAIN])
def test_a_bound_token_with_its_proof_is_accepted(client, bound, key, url):
    response = dpop_get(client, url, bound, key)
    assert response.status_code == HTTPStatus.OK, response.content


@pytest.mark.parametrize("url", [PROFILE, PLAIN])
def test_a_bound_token_sent_as_bearer_is_refused(client, bound, url):
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {bound}")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_token"
    assert response["WWW-Authenticate"].startswith('Bearer realm="http://testserver", error=')


@pytest.mark.parametrize("url", [PROFILE, PLAIN])
def test_the_dpop_scheme_without_a_proof_is_refused(client, bound, url):
    response = client.get(url, HTTP_AUTHORIZATION=f"DPoP {bound}")
    assert dpop_error(response) == "invalid_dpop_proof"


@pytest.mark.parametrize("url", [PROFILE, PLAIN])
def test_a_proof_by_another_key_than_the_tokens_is_refused(client, bound, url):
    assert dpop_error(dpop_get(client, url, bound, DPoPKey())) == "invalid_dpop_proof"


def test_a_proof_for_another_token_is_refused(client, bound, key, user):
    other = make_access_token(user=user, scopes=["read:profile"], cnf={"jkt": key.jkt})
    proof = key.header("GET", PROFILE, access_token=other)
    response = client.get(PROFILE, HTTP_AUTHORIZATION=f"DPoP {bound}", **proof)
    assert dpop_error(response) == "invalid_dpop_proof"


def test_a_proof_without_ath_is_refused(client, bound, key):
    proof = key.header("GET", PROFILE)
    response = client.get(PROFILE, HTTP_AUTHORIZATION=f"DPoP {bound}", **proof)
    assert dpop_error(response) == "invalid_dpop_proof"


@pytest.mark.parametrize(
    "htm, htu",
    [
        ("POST", PROFILE),
        ("GET", "http://testserver/api/email/"),
        ("GET", "https://testserver/api/profile/"),
    ],
)
def test_a_proof_for_another_request_is_refused(client, bound, key, htm, htu):
    proof = key.header(htm, htu, access_token=bound)
    response = client.get(PROFILE, HTTP_AUTHORIZATION=f"DPoP {bound}", **proof)
    assert dpop_error(response) == "invalid_dpop_proof"


def test_the_query_is_ignored_in_htu(client, bound, key):
    proof = key.header("GET", PROFILE, access_token=bound)
    response = client.get(PROFILE + "?page=2", HTTP_AUTHORIZATION=f"DPoP {bound}", **proof)
    assert response.status_code == HTTPStatus.OK


def test_a_replayed_proof_is_refused(client, bound, key):
    proof = key.header("GET", PROFILE, access_token=bound)
    auth = {"HTTP_AUTHORIZATION": f"DPoP {bound}"}
    assert client.get(PROFILE, **auth, **proof).status_code == HTTPStatus.OK
    assert dpop_error(client.get(PROFILE, **auth, **proof)) == "invalid_dpop_proof"


def test_an_unbound_token_under_the_dpop_scheme_is_refused(client, user, key):
    token = make_access_token(user=user, scopes=["read:profile"])
    assert dpop_error(dpop_get(client, PROFILE, token, key)) == "invalid_token"


def test_an_unbound_token_as_bearer_still_works(client, user):
    token = make_access_token(user=user, scopes=["read:profile"])
    response = client.get(PROFILE, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == HTTPStatus.OK


def test_a_malformed_cnf_is_refused(client, user, key):
    token = make_access_token(user=user, scopes=["read:profile"], cnf="jkt")
    assert client.get(PROFILE, HTTP_AUTHORIZATION=f"Bearer {token}").json()["error"] == (
        "invalid_token"
    )


def test_no_token_gets_both_challenges(client):
    challenge = client.get(PROFILE)["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="http://testserver"')
    assert ', DPoP algs="ES256 EdDSA PS256 RS256"' in challenge
    assert "resource_metadata=" in challenge


def test_with_dpop_off_only_bearer_is_offered(client, bound, key, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "DPOP_SIGNING_ALGORITHMS": []}
    assert "DPoP" not in client.get(PROFILE)["WWW-Authenticate"]
    assert dpop_get(client, PROFILE, bound, key).status_code == HTTPStatus.UNAUTHORIZED


def test_userinfo_takes_dpop_and_refuses_a_bound_token_as_bearer(client, user, key):
    token = make_access_token(user=user, scopes=["openid"], cnf={"jkt": key.jkt})
    url = "http://testserver/oauth/userinfo/"
    assert dpop_get(client, url, token, key).status_code == HTTPStatus.OK
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize("store", ["cache", "database"])
def test_the_hot_path_makes_no_query_but_the_jti_insert(
    client, bound, key, keys_cached, settings, store
):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "SINGLE_USE_STORE": store}
    dpop_get(client, PLAIN, bound, key)  # warm the key and token caches
    with CaptureQueriesContext(connection) as queries:
        assert dpop_get(client, PLAIN, bound, key).status_code == HTTPStatus.OK
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    writes = [s for s in statements if s not in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")]
    assert writes == ([] if store == "cache" else ["INSERT"])  # the proof's jti spent


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_remote_jwks_mode_checks_proofs_too(client, user, key, settings, live_server):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "JWKS_URL": live_server.url + "/oauth/jwks.json"}
    token = make_access_token(user=user, scopes=["read:profile"], cnf={"jkt": key.jkt})
    assert dpop_get(client, PROFILE, token, key).status_code == HTTPStatus.OK
    assert jwks_client.client().fetches == 1  # the key came from the issuer's JWKS over HTTP
    assert dpop_error(dpop_get(client, PROFILE, token, DPoPKey())) == "invalid_dpop_proof"
    response = client.get(PROFILE, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.json()["error"] == "invalid_token"


@pytest.mark.parametrize("url", [PROFILE, PLAIN])
def test_insufficient_scope_under_dpop_is_in_the_dpop_challenge(client, user, key, url):
    token = make_access_token(user=user, scopes=["publish"], cnf={"jkt": key.jkt})
    response = dpop_get(client, url, token, key)
    assert response.status_code == HTTPStatus.FORBIDDEN
    dpop_part = response["WWW-Authenticate"].split(", DPoP ")[1]
    assert 'error="insufficient_scope"' in dpop_part
