"""@require_scopes on ``async def`` views: the same answers, validated in the event loop.

The proof of "no thread hop, no query" is measured, not mocked: a profiler installed in every
thread records which thread ran the token checks (``access_tokens.decode``, the deny-list) and
whether ``sync_to_async`` was entered, and the test's database connection counts the queries
(a ``sync_to_async`` call of these tests runs in the test's own thread, on its connection).
"""

import json
import threading
from datetime import timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asgiref.sync import async_to_sync
from django.http import JsonResponse
from django.test import AsyncClient, AsyncRequestFactory
from django.urls import path

from oauthcore import generation
from oauthcore.jose import keyring
from oauthcore.resource_server import access_tokens, jwks_client
from oauthcore.resource_server.decorators import require_scopes
from oauthcore.server import revocation
from oauthcore.testing import make_access_token
from tests.async_kit import threads_of_calls
from tests.dpop_kit import DPoPKey

pytestmark = pytest.mark.django_db

URL = "http://testserver/profile/"


@require_scopes("read:profile")
async def profile(request):
    return JsonResponse({"sub": request.auth.subject, "thread": threading.get_ident()})


@require_scopes("read:profile")
async def username(request):
    user = await request.auser()
    return JsonResponse({"username": user.get_username()})


urlpatterns = [path("profile/", profile), path("username/", username)]


@pytest.fixture(autouse=True)
def _urls(settings):
    settings.ROOT_URLCONF = __name__
    settings.OAUTHCORE = {
        **settings.OAUTHCORE,
        "KEY_CACHE_TTL": timedelta(hours=1),  # as in production (the test settings: 0)
        "SYNC_INTERVAL": timedelta(hours=1),  # the deny-list is reread when a test says so
    }


@pytest.fixture
def token(user):
    return make_access_token(user=user, scopes=["read:profile"])


def get(path, token=None, scheme="Bearer", **headers):
    if token is not None:
        headers["Authorization"] = f"{scheme} {token}"
    return async_to_sync(AsyncClient().get)(path, headers=headers)


def call_view(view, token):
    request = AsyncRequestFactory().get("/profile/", headers={"Authorization": f"Bearer {token}"})
    return async_to_sync(view)(request)


def test_an_async_view_runs_with_a_good_token(token, user):
    response = get("/profile/", token)
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["sub"] == str(user.pk)


def test_the_token_is_checked_in_the_event_loop_with_no_query_and_no_thread_hop(
    token, django_assert_num_queries
):
    assert call_view(profile, token).status_code == HTTPStatus.OK  # loads the keys, deny-list
    with django_assert_num_queries(0), threads_of_calls() as seen:
        response = call_view(profile, token)
    assert response.status_code == HTTPStatus.OK
    loop_thread = json.loads(response.content)["thread"]
    assert seen["decode"] == [loop_thread]
    assert seen["is_denied"] == [loop_thread]
    assert seen["sync_to_async"] == []
    assert loop_thread != threading.get_ident()  # the measurement can tell the threads apart


def test_what_is_due_is_read_off_the_loop_once_then_the_loop_answers_again(
    token, django_assert_num_queries
):
    call_view(profile, token)
    generation.forget()  # the generation is due to be read again (SYNC_INTERVAL passed)
    with threads_of_calls() as seen:
        assert call_view(profile, token).status_code == HTTPStatus.OK
        assert call_view(profile, token).status_code == HTTPStatus.OK
    assert len(seen["sync_to_async"]) == 1  # the first request only
    assert seen["decode"][-1] != threading.get_ident()  # the second: in the loop


def test_a_revoked_token_is_refused_in_an_async_view(token):
    assert get("/profile/", token).status_code == HTTPStatus.OK
    revocation.revoke_access_token(access_tokens.decode(token).claims)
    generation.forget()  # SYNC_INTERVAL passed: the revocation reaches this process
    response = get("/profile/", token)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_no_token_is_a_bare_challenge():
    response = get("/profile/")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"].startswith('Bearer realm="http://testserver"')
    assert "error=" not in response["WWW-Authenticate"].partition(", DPoP")[0]


@pytest.mark.parametrize("raw", ["not-a-jwt", "a.b.c", "x" * 10_000])
def test_a_bad_token_is_invalid_token(raw):
    response = get("/profile/", raw)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_a_forged_signature_is_refused(user, token):
    get("/profile/", token)
    forged = make_access_token(user=user, scopes=["read:profile"], iss="http://testserver")
    head, body, _ = forged.split(".")
    response = get("/profile/", f"{head}.{body}.{'A' * 43}")
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_a_missing_scope_is_insufficient_scope(user):
    response = get("/profile/", make_access_token(user=user, scopes=["read:email"]))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["error"] == "insufficient_scope"
    assert 'scope="read:profile"' in response["WWW-Authenticate"]


def test_auser_loads_the_user_off_the_loop(token):
    response = get("/username/", token)
    assert response.json() == {"username": "alice"}


def test_auser_of_a_deleted_user_refuses_the_token(token, user):
    user.delete()
    response = get("/username/", token)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_token"


def test_a_dpop_bound_token_needs_its_proof_in_an_async_view(user):
    key = DPoPKey()
    bound = make_access_token(user=user, scopes=["read:profile"], cnf={"jkt": key.jkt})
    proof = key.proof("GET", URL, access_token=bound)
    assert get("/profile/", bound, scheme="DPoP", DPoP=proof).status_code == HTTPStatus.OK
    replayed = get("/profile/", bound, scheme="DPoP", DPoP=proof)
    assert replayed.status_code == HTTPStatus.UNAUTHORIZED
    assert "invalid_dpop_proof" in replayed["WWW-Authenticate"]
    as_bearer = get("/profile/", bound)
    assert as_bearer.status_code == HTTPStatus.UNAUTHORIZED
    assert as_bearer.json()["error"] == "invalid_token"


@pytest.fixture
def jwks_server():
    """The issuer's JWKS on a free loopback port, counting its fetches."""
    body, fetches = json.dumps(keyring.jwks()).encode(), []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            fetches.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/jwk-set+json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/jwks.json", fetches
    httpd.shutdown()
    httpd.server_close()


def test_a_remote_jwks_is_fetched_off_the_loop_once_then_used_in_it(settings, token, jwks_server):
    url, fetches = jwks_server
    settings.OAUTHCORE = {**settings.OAUTHCORE, "JWKS_URL": url}
    jwks_client.forget()
    with threads_of_calls() as seen:
        assert call_view(profile, token).status_code == HTTPStatus.OK
        response = call_view(profile, token)
    assert response.status_code == HTTPStatus.OK
    assert fetches == ["/jwks.json"]
    assert len(seen["sync_to_async"]) == 1  # the first request: the fetch (and the generation)
    assert seen["decode"][-1] == json.loads(response.content)["thread"]
