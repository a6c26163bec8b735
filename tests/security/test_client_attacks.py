"""Attacks on client authentication (RFC 6749 2.3, 10.1; RFC 9700 2.5, 4.15).

tests/server/test_client_auth.py shows each single failure is the same invalid_client; here: guessing
in bulk, the constant-time path, public and disabled clients, at every back-channel endpoint.
"""

import hmac
from http import HTTPStatus

import pytest
from django.urls import reverse

from oauthcore import crypto
from oauthcore.errors import InvalidClientMetadata
from oauthcore.server import registration
from tests import factories, protocol
from tests.factories import make_code
from tests.protocol import basic_auth, post_token
from tests.security.kit import assert_error_page, assert_json_error, authorize, snapshot

pytestmark = pytest.mark.django_db

SECRET = factories.DEMO_SECRET
CC = {"grant_type": "client_credentials", "scope": "publish"}
ENDPOINTS = ["oauthcore:token", "oauthcore:revoke", "oauthcore:introspect"]


def post(http, name, data, **extra):
    from urllib.parse import urlencode

    body = urlencode(data)
    return http.post(reverse(name), body, content_type="application/x-www-form-urlencoded", **extra)


def guesses():
    """Wrong secrets an attacker tries: near misses, other lengths, encodings, the stored hash."""
    near = [SECRET[:-1] + chr(ord(SECRET[-1]) + 1), SECRET[1:] + "x", SECRET.upper()]
    lengths = ["", "a", "a" * len(SECRET), "a" * 64, "a" * 10_000]
    tricks = [SECRET + " ", " " + SECRET, SECRET + "\x00", SECRET[:-1], SECRET + "0"]
    return [*near, *lengths, *tricks, crypto.hash_token(SECRET), "é" * len(SECRET)]


def shape(response):
    """Everything an attacker can observe of an answer, except timing."""
    return (
        response.status_code,
        response.content,
        response.get("WWW-Authenticate"),
        response.get("Content-Type"),
    )


@pytest.fixture
def no_rate_limit(settings):
    """Guessing without the rate limiter, so the comparison itself is what is observed."""
    settings.OAUTHCORE = {**settings.OAUTHCORE, "RATE_LIMIT_ENABLED": False}


@pytest.mark.parametrize("method", ["basic", "post"])
def test_guessing_the_secret_never_succeeds_and_all_answers_are_identical(
    client, client_app, no_rate_limit, method
):
    before = snapshot()
    answers = set()
    for guess in guesses() * 3:
        if method == "basic":
            response = post_token(client, CC, **basic_auth(client_app.client_id, guess))
        else:
            data = {**CC, "client_id": client_app.client_id, "client_secret": guess}
            response = post_token(client, data)
        assert_json_error(response, HTTPStatus.UNAUTHORIZED, "invalid_client")
        answers.add(shape(response))
    assert len(answers) == 1
    assert snapshot() == before
    # The right secret afterwards still works: guessing locks nobody out without a limiter.
    ok = post_token(client, CC, **basic_auth(client_app.client_id))
    assert ok.status_code == HTTPStatus.OK


def test_guessing_with_the_rate_limiter_never_succeeds(client, client_app):
    """With the defaults, no guess succeeds and each kind of answer is always the same.

    The limiter (oauthcore/ratelimit.py) throttles failures with 429 after a few; the others
    are the one invalid_client. The right secret still works afterwards.
    """
    kinds = {}
    for guess in guesses() * 2:
        response = post_token(client, CC, **basic_auth(client_app.client_id, guess))
        assert response.status_code in (HTTPStatus.UNAUTHORIZED, HTTPStatus.TOO_MANY_REQUESTS)
        assert "access_token" not in response.json()
        kinds.setdefault(response.status_code, set()).add(response.json()["error"])
    assert kinds[HTTPStatus.UNAUTHORIZED] == {"invalid_client"}
    assert set(kinds) <= {HTTPStatus.UNAUTHORIZED, HTTPStatus.TOO_MANY_REQUESTS}
    assert post_token(client, CC, **basic_auth(client_app.client_id)).status_code == HTTPStatus.OK


@pytest.mark.parametrize("name", ENDPOINTS)
def test_every_endpoint_gives_the_same_answer_to_every_wrong_secret(
    client, client_app, no_rate_limit, name
):
    answers = {
        shape(post(client, name, {"token": "x", **CC}, **basic_auth(client_app.client_id, guess)))
        for guess in guesses()
    }
    unknown = post(client, name, {"token": "x", **CC}, **basic_auth("no-such-client", SECRET))
    answers.add(shape(unknown))
    assert len(answers) == 1
    assert next(iter(answers))[0] == HTTPStatus.UNAUTHORIZED


# Constant time: the secret is hashed and the digests compared with hmac.compare_digest.


@pytest.fixture
def comparisons(monkeypatch):
    """Record each hmac.compare_digest call as the lengths of what it compared."""
    calls = []
    real = hmac.compare_digest

    def counting(a, b):
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counting)
    return calls


@pytest.mark.parametrize(
    "client_id,secret",
    [
        ("no-such-client", SECRET),  # unknown client: checked against a dummy hash
        (None, "x" * len(SECRET)),  # wrong secret, right length
        (None, "x"),  # wrong secret, wrong length
        (None, "x" * 5000),
        (None, SECRET),  # the right one: the same work
    ],
    ids=["unknown-client", "right-length", "short", "long", "right"],
)
def test_every_secret_check_costs_one_digest_comparison(
    client, client_app, comparisons, no_rate_limit, client_id, secret
):
    response = post_token(client, CC, **basic_auth(client_id or client_app.client_id, secret))
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.UNAUTHORIZED)
    # One comparison of two SHA-256 hex digests, whatever the secret's length or the client.
    assert comparisons == [(64, 64)]


def test_a_rolling_previous_secret_is_checked_in_constant_time_too(
    client, client_app, comparisons, no_rate_limit
):
    client_app.set_new_secret(keep_previous_for=__import__("datetime").timedelta(hours=1))
    client_app.save()
    response = post_token(client, CC, **basic_auth(client_app.client_id, "wrong"))
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert comparisons == [(64, 64), (64, 64)]  # current and previous, both always checked


def test_pkce_verifier_is_compared_in_constant_time(client, client_app, user, comparisons):
    code = make_code(client_app, user)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": factories.REDIRECT_URI,
        "code_verifier": "w" * 43,
    }
    response = post_token(client, data, **basic_auth(client_app.client_id))
    assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_grant")
    assert (43, 43) in comparisons  # the S256 of the verifier against the stored challenge


# Public clients


def test_a_public_client_cannot_use_client_credentials(client, public_client):
    data = {**CC, "client_id": public_client.client_id}
    assert_json_error(post_token(client, data), HTTPStatus.BAD_REQUEST, "unauthorized_client")


def test_a_public_client_with_the_grant_forced_into_the_database_still_cannot(
    client, public_client
):
    """Registration refuses the combination; even a hand-edited row gets no token."""
    public_client.grant_types = [*public_client.grant_types, "client_credentials"]
    public_client.save()
    data = {**CC, "client_id": public_client.client_id}
    assert_json_error(post_token(client, data), HTTPStatus.BAD_REQUEST, "unauthorized_client")


@pytest.mark.parametrize("secret", ["", "anything", SECRET])
@pytest.mark.parametrize("method", ["basic", "post"])
def test_a_public_client_sending_a_secret_is_refused(client, public_client, secret, method):
    data = {**CC, "grant_type": "refresh_token", "refresh_token": "x"}
    if method == "basic":
        response = post_token(client, data, **basic_auth(public_client.client_id, secret))
    else:
        sent = {**data, "client_id": public_client.client_id, "client_secret": secret}
        response = post_token(client, sent)
    assert_json_error(response, HTTPStatus.UNAUTHORIZED, "invalid_client")


def test_a_public_client_cannot_introspect(client, public_client):
    response = post(
        client, "oauthcore:introspect", {"token": "x", "client_id": public_client.client_id}
    )
    assert_json_error(response, HTTPStatus.UNAUTHORIZED, "invalid_client")


# Disabled clients


@pytest.fixture
def disabled(client_app):
    client_app.is_active = False
    client_app.save()
    return client_app


def test_a_disabled_client_gets_the_error_page_at_authorize(victim, disabled):
    before = snapshot()
    assert_error_page(
        authorize(victim, protocol.authorize_params(disabled)), error="invalid_client"
    )
    assert snapshot() == before


@pytest.mark.parametrize("grant", ["authorization_code", "refresh_token", "client_credentials"])
def test_a_disabled_client_gets_invalid_client_at_the_token_endpoint(client, disabled, user, grant):
    data = {
        "authorization_code": {
            "grant_type": "authorization_code",
            "code": make_code(disabled, user),
            "redirect_uri": factories.REDIRECT_URI,
            "code_verifier": factories.VERIFIER,
        },
        "refresh_token": {"grant_type": "refresh_token", "refresh_token": "x" * 43},
        "client_credentials": CC,
    }[grant]
    before = snapshot()
    assert_json_error(
        post_token(client, data, **basic_auth(disabled.client_id)),
        HTTPStatus.UNAUTHORIZED,
        "invalid_client",
    )
    assert snapshot() == before


@pytest.mark.parametrize("name", ["oauthcore:revoke", "oauthcore:introspect"])
def test_a_disabled_client_gets_invalid_client_at_revoke_and_introspect(client, disabled, name):
    response = post(client, name, {"token": "x"}, **basic_auth(disabled.client_id))
    assert_json_error(response, HTTPStatus.UNAUTHORIZED, "invalid_client")


# Confidential clients without a secret


@pytest.mark.parametrize("name", ENDPOINTS)
@pytest.mark.parametrize(
    "how", ["client_id-only", "empty-secret-post", "basic-without-colon", "basic-empty-secret"]
)
def test_a_confidential_client_without_its_secret_is_refused(client, client_app, name, how):
    import base64

    data = {"token": "x", **CC}
    extra = {}
    if how == "client_id-only":
        data["client_id"] = client_app.client_id
    elif how == "empty-secret-post":
        data |= {"client_id": client_app.client_id, "client_secret": ""}
    elif how == "basic-without-colon":
        encoded = base64.b64encode(client_app.client_id.encode()).decode()
        extra["HTTP_AUTHORIZATION"] = f"Basic {encoded}"
    else:
        extra = basic_auth(client_app.client_id, "")
    assert_json_error(post(client, name, data, **extra), HTTPStatus.UNAUTHORIZED, "invalid_client")


# A client posing as a resource owner (RFC 9700 4.15)


def test_registration_refuses_a_client_id_that_could_be_a_users_subject(user):
    with pytest.raises(InvalidClientMetadata, match="all digits"):
        registration.create_client(
            name="Impostor", grant_types=["client_credentials"], client_id=str(user.pk)
        )


def test_a_client_whose_id_is_a_users_subject_is_not_that_user(client, user):
    """Even one made directly in the database, bypassing registration, cannot act as the user."""
    impostor = factories.ClientFactory(client_id=str(user.pk))
    asked = {"grant_type": "client_credentials", "scope": "read:profile read:email"}
    token = post_token(client, asked, **basic_auth(impostor.client_id)).json()["access_token"]
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    refused = client.get("/api/profile/", **bearer)
    assert refused.status_code == HTTPStatus.FORBIDDEN  # a client token, not alice's
    assert "acts for a client" in str(refused.json())
    assert "alice" not in client.get("/api/email/", **bearer).content.decode()
