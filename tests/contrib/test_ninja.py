"""Django Ninja authentication (oauthcore.contrib.ninja): the example's /ninja/ API, sync and async.

The same answers as the DRF classes and ``@require_scopes``: RFC 6750 errors with their
challenge, DPoP-bound tokens with their proof, and the scheme in Ninja's OpenAPI document.
"""

import threading
from datetime import timedelta
from http import HTTPStatus

import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import ImproperlyConfigured
from django.test import AsyncClient
from django.urls import path
from ninja import NinjaAPI

from oauthcore.contrib.ninja import security
from oauthcore.testing import make_access_token
from tests.async_kit import threads_of_calls
from tests.dpop_kit import DPoPKey

pytestmark = pytest.mark.django_db

SYNC, ASYNC = "/ninja/profile", "/ninja/profile/async"
BOTH = pytest.mark.parametrize("url", [SYNC, ASYNC])

# An API that forgot security.install(): refusals keep their status, without the challenge.
bare = NinjaAPI(urls_namespace="bare-ninja")


@bare.get("/profile", auth=security.OAuth2Bearer(scopes=["read:profile"]))
def bare_profile(request):
    return {"sub": request.auth.subject}


urlpatterns = [path("bare/", bare.urls)]


@pytest.fixture(autouse=True)
def _dpop_off(settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "DPOP_SIGNING_ALGORITHMS": []}


def get(http, url, token=None, scheme="Bearer", **headers):
    if token is not None:
        headers["Authorization"] = f"{scheme} {token}"
    if http == "async":
        return async_to_sync(AsyncClient().get)(url, headers=headers)
    return http.get(url, headers=headers)


def error_of(response) -> str:
    return response["WWW-Authenticate"].split('error="')[1].split('"')[0]


@BOTH
def test_a_good_token_is_admitted(client, user, url):
    token = make_access_token(user=user, scopes=["read:profile"])
    response = get(client, url, token)
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json() == {"sub": str(user.pk), "username": "alice"}


def test_the_async_operation_runs_under_asgi(user):
    token = make_access_token(user=user, scopes=["read:profile"])
    response = get("async", ASYNC, token)
    assert response.status_code == HTTPStatus.OK
    assert response.json()["username"] == "alice"


def test_the_async_class_checks_the_token_in_the_loop_with_no_query(
    user, settings, django_assert_num_queries
):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "KEY_CACHE_TTL": timedelta(hours=1)}
    token = make_access_token(user=user, scopes=["read:profile"])
    assert get("async", ASYNC, token).status_code == HTTPStatus.OK  # loads the keys
    with django_assert_num_queries(1), threads_of_calls() as seen:  # the user, by auser()
        response = get("async", ASYNC, token)
    assert response.status_code == HTTPStatus.OK
    # sync_to_async runs in this thread: the token was checked in the event loop's thread
    assert seen["decode"] and threading.get_ident() not in seen["decode"]
    assert seen["is_denied"] and threading.get_ident() not in seen["is_denied"]


@BOTH
def test_no_token_is_401_with_the_bare_challenge(client, url):
    response = get(client, url)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == 'Bearer realm="http://testserver"'
    assert response["Cache-Control"] == "no-store"


@BOTH
@pytest.mark.parametrize("raw", ["not-a-jwt", "a.b.c"])
def test_a_bad_token_is_invalid_token(client, url, raw):
    response = get(client, url, raw)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_token"
    assert error_of(response) == "invalid_token"


@BOTH
def test_an_expired_token_is_invalid_token(client, user, url):
    token = make_access_token(user=user, scopes=["read:profile"], exp=1_000_000_000)
    assert error_of(get(client, url, token)) == "invalid_token"


@BOTH
def test_a_missing_scope_is_403_insufficient_scope(client, user, url):
    token = make_access_token(user=user, scopes=["read:email"])
    response = get(client, url, token)
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["error"] == "insufficient_scope"
    assert error_of(response) == "insufficient_scope"
    assert 'scope="read:profile"' in response["WWW-Authenticate"]


@BOTH
def test_a_token_in_the_query_string_is_invalid_request(client, user, url):
    token = make_access_token(user=user, scopes=["read:profile"])
    response = client.get(f"{url}?access_token={token}")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert error_of(response) == "invalid_request"


@BOTH
def test_a_malformed_header_is_invalid_request(client, url):
    response = client.get(url, headers={"Authorization": "Bearer a b"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert error_of(response) == "invalid_request"


@BOTH
def test_a_deleted_user_s_token_is_invalid_token(client, user, url):
    token = make_access_token(user=user, scopes=["read:profile"])
    user.delete()
    response = get(client, url, token)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert error_of(response) == "invalid_token"


@BOTH
def test_a_dpop_bound_token_needs_its_proof(client, user, settings, url):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "DPOP_SIGNING_ALGORITHMS": ["ES256"]}
    key = DPoPKey()
    bound = make_access_token(user=user, scopes=["read:profile"], cnf={"jkt": key.jkt})
    proof = key.proof("GET", f"http://testserver{url}", access_token=bound)
    assert get(client, url, bound, scheme="DPoP", DPoP=proof).status_code == HTTPStatus.OK
    replayed = get(client, url, bound, scheme="DPoP", DPoP=proof)
    assert replayed.status_code == HTTPStatus.UNAUTHORIZED
    assert 'DPoP algs="ES256", error="invalid_dpop_proof"' in replayed["WWW-Authenticate"]
    as_bearer = get(client, url, bound)
    assert as_bearer.status_code == HTTPStatus.UNAUTHORIZED
    assert as_bearer.json()["error"] == "invalid_token"


def test_the_openapi_document_names_the_bearer_scheme(client):
    document = client.get("/ninja/openapi.json").json()
    assert document["components"]["securitySchemes"] == {
        "OAuth2Bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "AsyncOAuth2Bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    }
    assert document["paths"]["/ninja/profile"]["get"]["security"] == [{"OAuth2Bearer": []}]
    assert document["paths"]["/ninja/profile/async"]["get"]["security"] == [
        {"AsyncOAuth2Bearer": []}
    ]


@pytest.mark.parametrize("scopes", [[], ()])
def test_no_scope_is_a_configuration_error(scopes):
    with pytest.raises(ImproperlyConfigured):
        security.OAuth2Bearer(scopes=scopes)


def test_without_install_a_refusal_keeps_its_status(client, settings, user):
    settings.ROOT_URLCONF = __name__
    assert client.get("/bare/profile").status_code == HTTPStatus.UNAUTHORIZED
    token = make_access_token(user=user, scopes=["read:email"])
    response = client.get("/bare/profile", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "WWW-Authenticate" not in response
