"""Every way a bearer token is refused, with the exact status, body and WWW-Authenticate (RFC 6750 3)."""

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

from oauthcore.jose import keyring
from oauthcore.server import issuance, revocation
from oauthcore.testing import make_access_token
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _bearer_challenge_alone(settings):
    """Word the Bearer challenge alone: DPoP off (the DPoP challenge beside it is tested in
    tests/resource_server/test_dpop.py)."""
    settings.OAUTHCORE = {**settings.OAUTHCORE, "DPOP_SIGNING_ALGORITHMS": []}


URL = "/api/email/"
REALM = 'Bearer realm="http://testserver"'
# The example API names its metadata in every challenge (RFC 9728 5.1)
METADATA = 'resource_metadata="http://testserver/.well-known/oauth-protected-resource/api/"'
BARE = f"{REALM}, {METADATA}"


def b64(data) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def parts(raw: str):
    head, payload, signature = raw.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (
        json.loads(base64.urlsafe_b64decode(pad(head))),
        json.loads(base64.urlsafe_b64decode(pad(payload))),
        signature,
    )


def challenge(error: str, description: str) -> str:
    return f'{REALM}, error="{error}", error_description="{description}", {METADATA}'


def call(client, authorization=None, **extra):
    if authorization is not None:
        extra["HTTP_AUTHORIZATION"] = authorization
    return client.get(URL, **extra)


def assert_refused(response, status, error, description):
    assert response.status_code == status
    assert response["WWW-Authenticate"] == challenge(error, description)
    assert response.json() == {"error": error, "error_description": description}


def assert_invalid_token(response, description):
    assert_refused(response, HTTPStatus.UNAUTHORIZED, "invalid_token", description)


@pytest.fixture
def good(user):
    return make_access_token(user=user, scopes=["read:email"])


def test_a_good_token_passes(client, good):
    response = call(client, f"Bearer {good}")
    assert response.status_code == HTTPStatus.OK
    assert response.json()["email"] == "alice@example.com"


def test_no_token_is_a_bare_challenge(client):
    response = call(client)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == BARE  # RFC 6750 3.1: no error code


def test_another_scheme_is_not_ours(client):
    response = call(client, "Basic dXNlcjpwdw==")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"] == BARE


def test_tampered_payload(client, user, good):
    head, _, signature = good.split(".")
    claims = parts(good)[1]
    claims["scope"] = "read:email read:contacts"
    assert_invalid_token(
        call(client, f"Bearer {head}.{b64(claims)}.{signature}"),
        "The access token signature is invalid.",
    )


def test_signature_of_another_token(client, user, good):
    other = make_access_token(user=user, scopes=["read:profile"])
    forged = ".".join([*good.split(".")[:2], other.split(".")[2]])
    assert_invalid_token(call(client, f"Bearer {forged}"), "The access token signature is invalid.")


@pytest.mark.parametrize(
    "claims,description",
    [
        ({"exp": int(time.time()) - 3600}, "The access token has expired."),
        ({"nbf": int(time.time()) + 3600}, "The access token is not valid yet."),
        ({"iss": "https://evil.example"}, "The access token is from another issuer."),
        ({"aud": "https://other-api.example"}, "The access token is for another audience."),
        ({"exp": None}, "The access token has no exp claim."),
        ({"jti": None}, "The access token has no jti claim."),
        ({"exp": "tomorrow"}, "The access token is invalid."),
        ({"exp": float("inf")}, "The access token is invalid."),
        ({"iat": int(time.time()) + 3600}, "The access token is not valid yet."),
        ({"sub": 42}, "The access token is invalid."),
    ],
)
def test_bad_claims(client, user, claims, description):
    raw = make_access_token(user=user, scopes=["read:email"], **claims)
    assert_invalid_token(call(client, f"Bearer {raw}"), description)


def test_clock_skew_is_tolerated(client, user):
    raw = make_access_token(user=user, scopes=["read:email"], exp=int(time.time()) - 5)
    assert call(client, f"Bearer {raw}").status_code == HTTPStatus.OK


def test_alg_none(client, good):
    header, claims, _ = parts(good)
    unsigned = f"{b64({**header, 'alg': 'none'})}.{b64(claims)}."
    assert_invalid_token(call(client, f"Bearer {unsigned}"), "The access token is malformed.")


def test_hs256_signed_with_the_public_key(client, good):
    """The classic alg confusion: HMAC keyed with our RSA public key PEM (RFC 8725 2.1)."""
    header, claims, _ = parts(good)
    public_pem = keyring.find(header["kid"]).public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{b64({**header, 'alg': 'HS256'})}.{b64(claims)}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{b64(mac)}"
    assert_invalid_token(
        call(client, f"Bearer {forged}"), "The access token algorithm is not its key's."
    )


@pytest.mark.parametrize("typ", ["JWT", "id_token+jwt", "", None])
def test_typ_other_than_at_jwt(client, user, typ):
    """RFC 9068 4: a resource server MUST refuse a JWT whose typ is not at+jwt (e.g. an ID token)."""
    key = keyring.signing_key()
    claims = parts(make_access_token(user=user, scopes=["read:email"]))[1]
    header = {"alg": key.algorithm, "kid": key.kid, **({} if typ is None else {"typ": typ})}
    assert_invalid_token(
        call(client, f"Bearer {signed(header, claims)}"),
        "The token is not an access token (typ must be at+jwt).",
    )


def signed(header, claims) -> str:
    """Sign by hand with our real key, so only the part under test is wrong."""
    key = keyring.signing_key()
    signing_input = f"{b64(header)}.{b64(claims)}"
    signature = jwt.get_algorithm_by_name(key.algorithm).sign(
        signing_input.encode(), key.private_key
    )
    return f"{signing_input}.{b64(signature)}"


def test_critical_header_extensions_are_refused(client, good):
    header, claims, _ = parts(good)
    raw = signed({**header, "crit": ["b64"], "b64": False}, claims)  # RFC 7797: not understood
    assert_invalid_token(call(client, f"Bearer {raw}"), "The access token is malformed.")


def test_hand_signed_token_is_accepted(client, good):
    """The helper above signs like the server does: the refusals are due to the changed part."""
    header, claims, _ = parts(good)
    assert call(client, f"Bearer {signed(header, claims)}").status_code == HTTPStatus.OK


def test_unknown_kid(client, good):
    header, claims, signature = parts(good)
    forged = f"{b64({**header, 'kid': 'no-such-key'})}.{b64(claims)}.{signature}"
    assert_invalid_token(
        call(client, f"Bearer {forged}"), "The access token was signed by an unknown key."
    )


def test_oversized_token(client):
    assert_invalid_token(call(client, "Bearer " + "a" * 9000), "The access token is too long.")


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "a.b.c",
        "a.b.c.d",
        "W10.e30.e30",
        "e30.e30.",
        "QR.e30.e30",
        "Zm9v.YmFy.YmF6",
        # a header of JSON nested past Python's recursion limit, under the size limit
        base64.urlsafe_b64encode(b"[" * 5000).decode().rstrip("=") + ".e30.e30",
    ],
    ids=lambda value: value[:16],
)
def test_garbage_tokens(client, value):
    assert_invalid_token(call(client, f"Bearer {value}"), "The access token is malformed.")


@pytest.mark.parametrize("value", ["Bearer", "Bearer ", "Bearer a b", "Bearer  abc", "Bearer é"])
def test_malformed_header_is_invalid_request(client, value):
    """RFC 6750 3.1: a malformed request is 400 invalid_request."""
    assert_refused(
        call(client, value),
        HTTPStatus.BAD_REQUEST,
        "invalid_request",
        "The Authorization header is malformed.",
    )


def test_revoked_token(client, user):
    issued = issuance.issue(client=ClientFactory(), user=user, scope=["read:email"])
    assert call(client, f"Bearer {issued.value}").status_code == HTTPStatus.OK
    revocation.deny([(issued.jti, issued.expires_at)])
    assert_invalid_token(
        call(client, f"Bearer {issued.value}"), "The access token has been revoked."
    )


def test_revoked_token_is_refused_after_the_cache_is_lost(client, user):
    from django.core.cache import cache

    issued = issuance.issue(client=ClientFactory(), user=user, scope=["read:email"])
    revocation.deny([(issued.jti, issued.expires_at)])
    cache.clear()  # a restarted Redis: the deny-list is reloaded from the database
    assert_invalid_token(
        call(client, f"Bearer {issued.value}"), "The access token has been revoked."
    )


def test_revocation_check_can_be_disabled(client, user, settings):
    issued = issuance.issue(client=ClientFactory(), user=user, scope=["read:email"])
    revocation.deny([(issued.jti, issued.expires_at)])
    settings.OAUTHCORE = {**settings.OAUTHCORE, "CHECK_REVOKED_TOKENS": False}
    assert call(client, f"Bearer {issued.value}").status_code == HTTPStatus.OK


def test_token_in_query_string_is_refused(client, good):
    response = client.get(f"{URL}?access_token={good}")
    assert_refused(
        response,
        HTTPStatus.BAD_REQUEST,
        "invalid_request",
        "Send the access token in the Authorization header only.",
    )


def test_token_in_form_body_is_refused(client, good):
    response = client.post(
        "/api/publish/",
        f"access_token={good}&content=hi",
        content_type="application/x-www-form-urlencoded",
    )
    assert_refused(
        response,
        HTTPStatus.BAD_REQUEST,
        "invalid_request",
        "Send the access token in the Authorization header only.",
    )


def test_insufficient_scope(client, user):
    raw = make_access_token(user=user, scopes=["read:profile"])
    response = call(client, f"Bearer {raw}")
    assert response.status_code == HTTPStatus.FORBIDDEN
    description = "The access token lacks a scope this resource requires."
    assert response["WWW-Authenticate"] == (
        f'{REALM}, error="insufficient_scope", error_description="{description}", '
        f'scope="read:email", {METADATA}'
    )
    assert response.json() == {"error": "insufficient_scope", "error_description": description}


def test_realm_setting(client, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "REALM": "example-api"}
    assert call(client)["WWW-Authenticate"] == f'Bearer realm="example-api", {METADATA}'


def test_expired_beyond_skew_setting(client, user, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "CLOCK_SKEW": timedelta(0)}
    raw = make_access_token(user=user, scopes=["read:email"], exp=int(time.time()) - 2)
    assert_invalid_token(call(client, f"Bearer {raw}"), "The access token has expired.")
