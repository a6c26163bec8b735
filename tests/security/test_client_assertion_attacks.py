"""Attacks on JWT client authentication (RFC 7523 3, 8; RFC 8725 2, 3): each must fail."""

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta
from http import HTTPStatus

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from django.urls import reverse

from oauthcore.errors import InvalidClientMetadata
from oauthcore.server import registration
from tests import client_jwt, factories
from tests.client_jwt import assertion, claims, form, key_pair
from tests.document_server import DocumentServer
from tests.factories import UNREACHABLE_REDIS
from tests.protocol import basic_auth, post_token

pytestmark = pytest.mark.django_db

GRANT = {"grant_type": "client_credentials", "scope": "publish"}
DUMMY_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


def assert_refused(response):
    assert response.status_code == HTTPStatus.UNAUTHORIZED, response.content
    assert response.json()["error"] == "invalid_client"


def present(http, token, **fields):
    return post_token(http, {**GRANT, **form(token, **fields)})


@pytest.fixture
def pair():
    return key_pair("ES256")


@pytest.fixture
def app(pair):
    return client_jwt.key_client(pair)


@pytest.fixture
def docs(settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "FETCH_ALLOW_LOOPBACK": True}
    server = DocumentServer()
    yield server
    server.close()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hmac_signed(payload: dict, key: bytes) -> str:
    """Sign ``payload`` with HS256 by hand (PyJWT refuses a public key as an HMAC secret)."""
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(payload).encode())
    signature = hmac.new(key, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64(signature)}"


def test_a_replayed_assertion_is_refused(client, app, pair):
    token = assertion(app.client_id, pair)
    assert present(client, token).status_code == HTTPStatus.OK
    assert_refused(present(client, token))


def test_a_replayed_jti_in_a_new_assertion_is_refused(client, app, pair):
    assert present(client, assertion(app.client_id, pair, jti="same")).status_code == HTTPStatus.OK
    assert_refused(present(client, assertion(app.client_id, pair, jti="same")))


@pytest.mark.parametrize("caches", [UNREACHABLE_REDIS, DUMMY_CACHE], ids=["down", "dummy"])
def test_an_assertion_is_refused_when_used_jtis_cannot_be_remembered(
    client, app, pair, settings, caches
):
    settings.CACHES = caches  # the dummy cache only when forced to be the store (oauthcore.E019)
    store = "cache" if caches is DUMMY_CACHE else "auto"
    settings.OAUTHCORE = {
        **settings.OAUTHCORE,
        "RATE_LIMIT_ENABLED": False,
        "SINGLE_USE_STORE": store,
    }
    assert_refused(present(client, assertion(app.client_id, pair)))


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "https://other-server.example"},
        {"aud": "http://testserver/oauth/revoke/"},
        {"aud": None},
        {"iss": "someone-else"},
        {"sub": "someone-else"},
        {"iss": None},
        {"exp": None},
        {"jti": None},
        {"jti": ""},
        {"exp": int(time.time()) - 120},  # expired beyond the clock skew
        {"exp": int(time.time()) + 3600},  # lives too long
        {"iat": int(time.time()) - 3000, "exp": int(time.time()) + 60},  # lives too long
        {"nbf": int(time.time()) + 600},
        {"iat": int(time.time()) + 600},
    ],
)
def test_a_bad_claim_is_refused(client, app, pair, overrides):
    assert_refused(present(client, assertion(app.client_id, pair, **overrides)))


def test_alg_none_is_refused(client, app):
    unsigned = jwt.encode(claims(app.client_id), None, algorithm="none")
    assert_refused(present(client, unsigned))
    assert_refused(present(client, unsigned.rsplit(".", 1)[0] + ".c2ln"))


@pytest.mark.parametrize("encoding", ["pem", "jwk"])
def test_an_hmac_made_with_the_clients_public_key_is_refused(client, app, pair, encoding):
    """RFC 8725 2.1: algorithm confusion. The public key is public; it must never be a secret."""
    public = pair.private_key.public_key()
    if encoding == "pem":
        secret = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    else:
        secret = json.dumps(pair.jwk).encode()
    assert_refused(present(client, hmac_signed(claims(app.client_id), secret)))


def test_another_clients_key_is_refused(client, app):
    thief = key_pair("ES256")
    client_jwt.key_client(thief)  # a client of its own, with its own key
    assert_refused(present(client, assertion(app.client_id, thief)))
    forged_kid = key_pair("ES256", kid=app.jwks["keys"][0]["kid"])
    assert_refused(present(client, assertion(app.client_id, forged_kid)))


def test_the_assertion_must_name_the_client_id_sent_beside_it(client, app, pair):
    other = client_jwt.key_client(key_pair())
    assert_refused(present(client, assertion(app.client_id, pair), client_id=other.client_id))


def test_mixing_an_assertion_with_a_secret_is_invalid_request(client, app, pair, secret):
    response = post_token(
        client, {**GRANT, **form(assertion(app.client_id, pair))}, **basic_auth(app.client_id)
    )
    assert response.json()["error"] == "invalid_request"
    mixed = {**GRANT, **form(assertion(app.client_id, pair)), "client_secret": secret}
    assert post_token(client, mixed).json()["error"] == "invalid_request"


def test_an_unknown_kid_refetches_once_per_interval(client, docs, settings):
    interval = timedelta(seconds=0.5)
    settings.OAUTHCORE = {**settings.OAUTHCORE, "JWKS_MIN_REFETCH_INTERVAL": interval}
    first, rotated = key_pair(kid="first"), key_pair(kid="rotated")
    url = docs.serve("/jwks.json", first.jwks)
    app = client_jwt.key_client(jwks_uri=url)
    assert present(client, assertion(app.client_id, first)).status_code == HTTPStatus.OK
    assert len(docs.paths()) == 1
    time.sleep(interval.total_seconds() + 0.1)  # the interval since the last fetch has passed
    for n in range(5):  # made-up kids: one refetch, then none within the interval
        assert_refused(present(client, assertion(app.client_id, key_pair(kid=f"made-up-{n}"))))
    assert len(docs.paths()) == 2
    docs.serve("/jwks.json", {"keys": [first.jwk, rotated.jwk]})
    settings.OAUTHCORE = {
        **settings.OAUTHCORE,
        "FETCH_ALLOW_LOOPBACK": True,
        "JWKS_MIN_REFETCH_INTERVAL": timedelta(0),
    }
    assert present(client, assertion(app.client_id, rotated)).status_code == HTTPStatus.OK
    assert len(docs.paths()) == 3  # the client rotated its key: the new one is found


def test_a_jwks_uri_to_a_private_address_is_never_fetched(client, docs, settings, pair):
    url = docs.serve("/jwks.json", pair.jwks)
    settings.OAUTHCORE = {**settings.OAUTHCORE, "FETCH_ALLOW_LOOPBACK": False}
    with pytest.raises(InvalidClientMetadata, match="jwks_uri cannot be fetched"):
        client_jwt.key_client(jwks_uri=url)
    app = factories.ClientFactory(
        token_endpoint_auth_method="private_key_jwt", secret_hash="", jwks_uri=url
    )
    assert_refused(present(client, assertion(app.client_id, pair)))
    private = factories.ClientFactory(
        token_endpoint_auth_method="private_key_jwt",
        secret_hash="",
        jwks_uri="https://10.0.0.1/jwks.json",
    )
    assert_refused(present(client, assertion(private.client_id, pair)))
    assert docs.paths() == []


def test_failed_assertions_count_in_the_brute_force_limiter(client, app, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "RATE_LIMIT_FAILURES": 2}
    statuses = [present(client, assertion(app.client_id, key_pair())).status_code for _ in range(6)]
    assert HTTPStatus.TOO_MANY_REQUESTS in statuses
    assert statuses[:2] == [HTTPStatus.UNAUTHORIZED, HTTPStatus.UNAUTHORIZED]


@pytest.mark.parametrize("kind", ["private", "secret"])
def test_registered_jwks_hold_public_keys_only(pair, kind):
    if kind == "private":
        jwk = jwt.algorithms.ECAlgorithm.to_jwk(pair.private_key, as_dict=True)
    else:
        jwk = {"kty": "oct", "k": b64(b"a shared secret is not a public key")}
    with pytest.raises(InvalidClientMetadata, match="public keys only"):
        registration.create_client(
            name="Leaky",
            grant_types=["client_credentials"],
            scope="publish",
            token_endpoint_auth_method="private_key_jwt",
            metadata={"jwks": {"keys": [jwk]}},
        )


def test_the_token_endpoint_url_of_another_server_is_not_an_audience(client, app, pair):
    aud = "https://evil.example" + reverse("oauthcore:token")
    assert_refused(present(client, assertion(app.client_id, pair, aud=aud)))


def test_a_request_object_is_not_a_client_assertion(client, app, pair):
    """RFC 9101 10.8: a request object travels through browsers; it must not authenticate."""
    obj = client_jwt.request_object(app, pair, sub=app.client_id, jti="j", response_type="code")
    assert_refused(present(client, obj))
    typed = client_jwt.sign(claims(app.client_id), pair, typ="oauth-authz-req+jwt")
    assert_refused(present(client, typed))


@pytest.mark.parametrize("typ", ["JWT", "client-authentication+jwt"])
def test_an_assertion_may_say_its_type(client, app, pair, typ):
    token = client_jwt.sign(claims(app.client_id), pair, typ=typ)
    assert present(client, token).status_code == HTTPStatus.OK
