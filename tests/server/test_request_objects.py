"""Request objects by value at /authorize (RFC 9101, JAR): signed by the client's keys, and only
the parameters inside count."""

import time
from http import HTTPStatus
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from django.urls import reverse

from oauthcore.server import pkce
from tests import browser, client_jwt, protocol
from tests.client_jwt import assertion, form, key_pair, request_object
from tests.factories import VERIFIER
from tests.security.kit import assert_error_page, redirect_query

pytestmark = pytest.mark.django_db

CALLBACK = "https://app.example.com/callback"


def inner(**overrides):
    """Return the parameters of a valid authorization request, to put in an object."""
    params = {
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "scope": "read:profile",
        "state": "inner-state",
        "code_challenge": pkce.s256(VERIFIER),
        "code_challenge_method": "S256",
        **overrides,
    }
    return {name: value for name, value in params.items() if value is not None}


def get(http, params):
    return http.get(reverse("oauthcore:authorize") + "?" + urlencode(params, doseq=True))


@pytest.fixture
def pair():
    return key_pair("PS256")


@pytest.fixture
def app(pair):
    return client_jwt.key_client(pair)


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def allow(http, response):
    consent = browser.form_with_button(response.content.decode(), "Allow")
    return protocol.post_form(http, reverse("oauthcore:authorize"), consent.data("Allow"))


def test_a_request_object_runs_the_code_flow_end_to_end(signed_in, app, pair):
    obj = request_object(app, pair, **inner())
    response = get(signed_in, {"client_id": app.client_id, "request": obj})
    assert response.status_code == HTTPStatus.OK  # the consent page
    query = redirect_query(allow(signed_in, response), CALLBACK)
    assert query["state"] == "inner-state" and query["iss"] == "http://testserver"
    data = {
        "grant_type": "authorization_code",
        "code": query["code"],
        "redirect_uri": CALLBACK,
        "code_verifier": VERIFIER,
        **form(assertion(app.client_id, pair)),
    }
    token = protocol.post_token(signed_in, data)
    assert token.status_code == HTTPStatus.OK, token.content
    assert protocol.claims_of(token.json()["access_token"])["scope"] == "read:profile"


def test_parameters_outside_the_object_are_ignored(signed_in, app, pair):
    obj = request_object(app, pair, **inner())
    outer = {
        "client_id": app.client_id,
        "request": obj,
        "scope": "read:profile read:email",
        "state": "outer-state",
        "redirect_uri": "https://evil.example/callback",
        "prompt": "none",
    }
    response = get(signed_in, outer)
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "Read your profile info" in page and "Read your email address" not in page
    query = redirect_query(allow(signed_in, response), CALLBACK)
    assert query["state"] == "inner-state"


def test_the_object_may_hold_a_numeric_max_age(signed_in, app, pair):
    obj = request_object(app, pair, **inner(max_age=3600))
    assert get(signed_in, {"client_id": app.client_id, "request": obj}).status_code == 200


@pytest.mark.parametrize(
    "claims, reason",
    [
        ({"client_id": "someone-else"}, "client_id"),
        ({"client_id": None}, "client_id"),
        ({"iss": "someone-else"}, "iss"),
        ({"aud": "https://other-server.example"}, "Audience"),
        ({"aud": None}, "aud"),
        ({"exp": None}, "exp"),
        ({"exp": int(time.time()) - 600}, "expired"),
        ({"nbf": int(time.time()) + 600}, "not yet valid"),
        ({"request_uri": "https://app.example.com/req"}, "cannot hold"),
        ({"scope": {"nested": "object"}}, "must be a string"),
    ],
)
def test_a_bad_object_is_refused_on_the_error_page(signed_in, app, pair, claims, reason):
    obj = request_object(app, pair, **{**inner(), **claims})
    response = get(signed_in, {"client_id": app.client_id, "request": obj})
    assert_error_page(response, "invalid_request_object")
    assert reason in response.content.decode()


def test_unsigned_and_none_objects_are_refused(signed_in, app):
    payload = {"client_id": app.client_id, "aud": "http://testserver", **inner()}
    payload["exp"] = int(time.time()) + 60
    unsigned = jwt.encode(payload, None, algorithm="none")
    for obj in (unsigned, unsigned.rstrip(".") + ".c2ln", "not-a-jwt"):
        response = get(signed_in, {"client_id": app.client_id, "request": obj})
        assert_error_page(response, "invalid_request_object")


def test_an_hmac_object_is_refused_even_with_the_clients_secret(signed_in):
    hmac_app, secret = client_jwt.secret_jwt_client()
    payload = {"client_id": hmac_app.client_id, "aud": "http://testserver", **inner()}
    payload["exp"] = int(time.time()) + 60
    obj = jwt.encode(payload, secret, algorithm="HS256")
    response = get(signed_in, {"client_id": hmac_app.client_id, "request": obj})
    assert_error_page(response, "invalid_request_object")


def test_an_object_signed_by_another_clients_key_is_refused(signed_in, app):
    thief = key_pair("PS256", kid=app.jwks["keys"][0]["kid"])
    obj = request_object(app, thief, **inner())
    response = get(signed_in, {"client_id": app.client_id, "request": obj})
    assert_error_page(response, "invalid_request_object")


def test_a_client_without_keys_cannot_send_a_request_object(signed_in, client_app, pair):
    obj = request_object(client_app, pair, **inner())
    response = get(signed_in, {"client_id": client_app.client_id, "request": obj})
    assert_error_page(response, "invalid_request_object")


def test_an_encrypted_object_is_refused(signed_in, app):
    response = get(signed_in, {"client_id": app.client_id, "request": "a.b.c.d.e"})
    assert_error_page(response, "invalid_request_object")


@pytest.mark.parametrize(
    "request_uri", ["https://app.example.com/request.jwt", "http://127.0.0.1:9/r", "urn:x:y"]
)
def test_a_request_uri_to_fetch_is_refused_and_never_fetched(signed_in, app, request_uri):
    response = get(signed_in, {"client_id": app.client_id, "request_uri": request_uri, **inner()})
    assert_error_page(response, "invalid_request_uri")


def test_request_and_request_uri_together_are_refused(signed_in, app, pair):
    params = {
        "client_id": app.client_id,
        "request": request_object(app, pair, **inner()),
        "request_uri": "urn:ietf:params:oauth:request_uri:abc",
    }
    assert_error_page(get(signed_in, params), "invalid_request")


def test_an_anonymous_user_signs_in_and_comes_back_to_the_objects_parameters(
    client, app, pair, user
):
    """The object may expire while the user signs in: sign-in returns to what it said."""
    obj = request_object(app, pair, **inner(scope="read:email"))
    response = get(client, {"client_id": app.client_id, "request": obj, "scope": "publish"})
    assert response.status_code == HTTPStatus.FOUND
    login = urlsplit(response["Location"])
    assert login.path == reverse("login")
    back = parse_qs(login.query)["next"][0]
    assert "request=" not in back and obj not in back
    client.force_login(user)
    page = client.get(back)
    assert page.status_code == HTTPStatus.OK
    assert "Read your email address" in page.content.decode()


def test_the_metadata_advertises_request_objects(client):
    document = client.get("/.well-known/openid-configuration").json()
    assert document["request_parameter_supported"] is True
    assert document["request_object_signing_alg_values_supported"] == [
        "ES256",
        "EdDSA",
        "PS256",
        "RS256",
    ]
    assert document["require_signed_request_object"] is False
    oauth = client.get("/.well-known/oauth-authorization-server").json()
    assert oauth["request_parameter_supported"] is True


def test_a_client_assertion_is_not_a_request_object(signed_in, app, pair):
    """RFC 9101 10.8: another JWT of the client's, typed for another use, is refused."""
    payload = {"client_id": app.client_id, "aud": "http://testserver", **inner()}
    payload["exp"] = int(time.time()) + 60
    typed = client_jwt.sign(payload, pair, typ="client-authentication+jwt")
    response = get(signed_in, {"client_id": app.client_id, "request": typed})
    assert_error_page(response, "invalid_request_object")
    accepted = client_jwt.sign(payload, pair, typ="oauth-authz-req+jwt")
    assert get(signed_in, {"client_id": app.client_id, "request": accepted}).status_code == 200
