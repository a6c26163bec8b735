"""Attacks on DPoP proofs at the token endpoint (RFC 9449 4.3, 11): each is refused."""

import time
from http import HTTPStatus

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from oauthcore.jose import keys
from oauthcore.models import RefreshToken
from tests.dpop_kit import TOKEN_URL, DPoPKey, claims, handmade, private_jwk
from tests.factories import UNREACHABLE_REDIS
from tests.protocol import basic_auth, post_token

pytestmark = pytest.mark.django_db

GRANT = {"grant_type": "client_credentials", "scope": "publish"}


def send(http, app, proof):
    return post_token(http, GRANT, **basic_auth(app.client_id), HTTP_DPOP=proof)


def refused(response) -> bool:
    return (
        response.status_code == HTTPStatus.BAD_REQUEST
        and response.json()["error"] == "invalid_dpop_proof"
    )


def test_a_replayed_proof_is_refused(client, client_app):
    proof = DPoPKey().proof()
    assert send(client, client_app, proof).status_code == HTTPStatus.OK
    assert refused(send(client, client_app, proof))


def test_a_replayed_jti_in_a_new_proof_is_refused(client, client_app):
    key = DPoPKey()
    assert send(client, client_app, key.proof(jti="same")).status_code == HTTPStatus.OK
    assert refused(send(client, client_app, key.proof(jti="same")))


@pytest.mark.parametrize(
    "htm, htu",
    [
        ("GET", TOKEN_URL),
        ("post", TOKEN_URL),
        ("POST", "http://testserver/oauth/introspect/"),
        ("POST", "http://evil.example/oauth/token/"),
        ("POST", "https://testserver/oauth/token/"),
        ("POST", "http://testserver:8080/oauth/token/"),
        ("POST", "/oauth/token/"),
        ("POST", "javascript:alert(1)"),
    ],
)
def test_a_proof_for_another_request_is_refused(client, client_app, htm, htu):
    assert refused(send(client, client_app, DPoPKey().proof(htm, htu)))


@pytest.mark.parametrize(
    "htu", [TOKEN_URL + "?a=b", TOKEN_URL + "#frag", "HTTP://TestServer:80/oauth/token/"]
)
def test_query_fragment_and_case_are_ignored_in_htu(client, client_app, htu):
    assert send(client, client_app, DPoPKey().proof("POST", htu)).status_code == HTTPStatus.OK


@pytest.mark.parametrize("age", [-120, 3600, 10**10])
def test_a_stale_or_future_proof_is_refused(client, client_app, age):
    assert refused(send(client, client_app, DPoPKey().proof(iat=time.time() - age)))


@pytest.mark.parametrize("iat", ["now", None, True, 1e400])
def test_a_proof_without_a_valid_iat_is_refused(client, client_app, iat):
    proof = DPoPKey().proof(claims={"iat": iat})
    assert refused(send(client, client_app, proof))


@pytest.mark.parametrize("name", ["jti", "htm", "htu"])
def test_a_proof_missing_a_claim_is_refused(client, client_app, name):
    proof = DPoPKey().proof(claims={name: None})
    assert refused(send(client, client_app, proof))


def test_alg_none_is_refused(client, client_app):
    key = DPoPKey()
    proof = handmade({"typ": "dpop+jwt", "alg": "none", "jwk": key.jwk}, claims())
    assert refused(send(client, client_app, proof))


def test_hs256_with_the_public_key_as_secret_is_refused(client, client_app):
    key = DPoPKey("RS256")
    pem = key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"typ": "dpop+jwt", "alg": "HS256", "jwk": key.jwk}
    assert refused(send(client, client_app, handmade(header, claims(), hmac_secret=pem)))


def test_hs256_is_refused_even_if_configured(client, client_app, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "DPOP_SIGNING_ALGORITHMS": ["HS256", "ES256"]}
    jwk = {"kty": "oct", "k": "c2VjcmV0"}
    header = {"typ": "dpop+jwt", "alg": "HS256", "jwk": jwk}
    assert refused(send(client, client_app, handmade(header, claims(), hmac_secret=b"secret")))


def test_an_algorithm_not_configured_is_refused(client, client_app, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "DPOP_SIGNING_ALGORITHMS": ["ES256"]}
    assert refused(send(client, client_app, DPoPKey("RS256").proof()))


def test_a_private_key_in_the_jwk_is_refused(client, client_app):
    key = DPoPKey()
    assert refused(send(client, client_app, key.proof(jwk=private_jwk(key))))


@pytest.mark.parametrize("typ", [None, "JWT", "at+jwt", 7])
def test_a_missing_or_wrong_typ_is_refused(client, client_app, typ):
    assert refused(send(client, client_app, DPoPKey().proof(typ=typ)))


def test_a_signature_by_another_key_than_the_jwk_is_refused(client, client_app):
    key, thief = DPoPKey(), DPoPKey()
    assert refused(send(client, client_app, key.proof(signer=thief.private_key)))


@pytest.mark.parametrize(
    "jwk",
    [
        None,
        "a string",
        {"kty": "RSA", "crv": "P-256", "x": "AA", "y": "AA"},
        {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"},
    ],
)
def test_a_jwk_that_is_no_valid_key_for_its_alg_is_refused(client, client_app, jwk):
    assert refused(send(client, client_app, DPoPKey().proof(jwk=jwk)))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the attack
def test_a_short_rsa_key_is_refused(client, client_app):
    key = DPoPKey("RS256")
    key.private_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    key.jwk = keys.public_jwk(key.private_key.public_key())
    assert refused(send(client, client_app, key.proof()))


@pytest.mark.parametrize("proof", ["", "a.b", "a.b.c", "!!.!!.!!", "x" * 20000])
def test_garbage_is_refused_without_a_500(client, client_app, proof):
    assert refused(send(client, client_app, proof))


def test_two_dpop_headers_are_refused(client, client_app):
    key = DPoPKey()
    assert refused(send(client, client_app, key.proof() + ", " + key.proof()))


def test_when_the_cache_cannot_answer_the_proof_is_refused(client, client_app, settings):
    settings.CACHES = UNREACHABLE_REDIS  # whatever cache the run uses: a real one that is down
    assert refused(send(client, client_app, DPoPKey().proof()))


def test_a_public_clients_stolen_refresh_token_is_useless_without_the_key(
    client, public_client, refresh_token_factory
):
    key = DPoPKey()
    raw = refresh_token_factory.create_with_raw(client=public_client, dpop_jkt=key.jkt)[1]
    data = {
        "grant_type": "refresh_token",
        "refresh_token": raw,
        "client_id": public_client.client_id,
    }
    assert refused(post_token(client, data, **DPoPKey().header()))
    assert RefreshToken.objects.get().rotated_at is None  # nothing was used up
