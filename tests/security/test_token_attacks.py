"""Attacks on the JWT access token's header at the example API (RFC 8725, RFC 7515, RFC 9068).

Every forged token goes to ``GET /api/profile/`` and must get 401 ``invalid_token`` with the
exact reason. tests/contrib/test_rest_framework_errors.py already covers lower-case ``alg: none`` without
signature, HS256 keyed with the SPKI PEM, typ JWT/id_token/empty/missing, ``crit`` and an
unknown kid; this module covers the rest of each family. Claims: test_token_claims.py.
"""

import functools
import hashlib
import hmac
import json
from http import HTTPStatus

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from oauthcore.jose import keyring, keys
from oauthcore.testing import make_access_token
from tests.security.kit import assert_invalid_token, b64, jwt_parts, signed
from tests.security.kit import call_api as call

pytestmark = pytest.mark.django_db


def hs256(header: dict, claims: dict, secret: bytes) -> str:
    """HMAC-SHA256 by hand: PyJWT refuses to use a public key as an HMAC secret."""
    signing_input = f"{b64(header)}.{b64(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def test_the_hand_signed_control_is_accepted(client, good):
    header, claims, _ = jwt_parts(good)
    assert call(client, signed(header, claims)).status_code == HTTPStatus.OK


# alg: none (RFC 8725 3.2)

NONE = ["none", "None", "NONE", "nOnE"]


@pytest.mark.parametrize("alg", NONE)
def test_alg_none_without_signature(client, good, alg):
    header, claims, _ = jwt_parts(good)
    raw = f"{b64({**header, 'alg': alg})}.{b64(claims)}."
    assert_invalid_token(call(client, raw), "The access token is malformed.")


@pytest.mark.parametrize("alg", [*NONE, None, "", "RS256 ", "rs256", "HS256"])
@pytest.mark.parametrize("signature", ["real", "junk"])
def test_an_alg_other_than_the_keys_with_a_signature(client, good, alg, signature):
    header, claims, real = jwt_parts(good)
    header = (
        {**header, "alg": alg}
        if alg is not None
        else {k: v for k, v in header.items() if k != "alg"}
    )
    tail = real if signature == "real" else b64(b"junk-signature")
    raw = f"{b64(header)}.{b64(claims)}.{tail}"
    assert_invalid_token(call(client, raw), "The access token algorithm is not its key's.")


# Algorithm confusion: HS256 keyed with our public key (RFC 8725 2.1, 3.1)


def public_encodings(key) -> dict[str, bytes]:
    public = key.public_key
    encodings = {
        "spki-pem": public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "spki-der": public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "jwk-json": json.dumps(key.jwk).encode(),
        "jwk-json-compact": json.dumps(key.jwk, separators=(",", ":"), sort_keys=True).encode(),
    }
    if isinstance(public, rsa.RSAPublicKey):
        encodings["pkcs1-pem"] = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.PKCS1
        )
        encodings["pkcs1-der"] = public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.PKCS1
        )
        encodings["n"] = key.jwk["n"].encode()
    else:
        encodings["x"] = key.jwk["x"].encode()
        encodings["raw"] = public.public_bytes(
            serialization.Encoding.Raw if "y" not in key.jwk else serialization.Encoding.X962,
            serialization.PublicFormat.Raw
            if "y" not in key.jwk
            else serialization.PublicFormat.UncompressedPoint,
        )
    encodings["pem-without-newline"] = encodings["spki-pem"].rstrip(b"\n")
    return encodings


@pytest.mark.parametrize("algorithm", ["RS256", "PS256", "ES256", "EdDSA"])
def test_hs256_keyed_with_any_encoding_of_our_public_key(client, user, settings, algorithm):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "SIGNING_ALGORITHM": algorithm}
    good = make_access_token(user=user, scopes=["read:profile"])
    header, claims, _ = jwt_parts(good)
    key = keyring.find(header["kid"])
    assert key.algorithm == algorithm
    assert call(client, good).status_code == HTTPStatus.OK
    for name, secret in public_encodings(key).items():
        forged = hs256({**header, "alg": "HS256"}, claims, secret)
        response = call(client, forged)
        assert response.status_code == HTTPStatus.UNAUTHORIZED, name
        assert_invalid_token(response, "The access token algorithm is not its key's.")


# kid tricks (RFC 8725 3.10)

KIDS = {
    "unknown": "no-such-key",
    "path": "../../etc/passwd",
    "path-null": "../../dev/null",
    "sql": "' OR 1=1 --",
    "sql-union": "x' UNION SELECT private_key FROM oauthcore_signingkey --",
    "nul-byte": "kid\x00",
    "very-long": "k" * 5000,
    "empty": "",
}


@pytest.mark.parametrize("kid", KIDS.values(), ids=KIDS.keys())
def test_kid_tricks_name_no_key(client, good, kid):
    header, claims, _ = jwt_parts(good)
    for key in (keyring.signing_key(), attacker_key()):
        forged = signed({**header, "kid": kid}, claims, key)
        assert_invalid_token(call(client, forged), "The access token was signed by an unknown key.")


@pytest.mark.parametrize("kid", [None, 123, True, ["k"], {"kid": "k"}])
def test_a_kid_that_is_not_a_string(client, good, kid):
    header, claims, _ = jwt_parts(good)
    forged = signed({**header, "kid": kid}, claims)
    assert_invalid_token(call(client, forged), "The access token was signed by an unknown key.")


def test_a_header_without_kid(client, good):
    header, claims, _ = jwt_parts(good)
    forged = signed({k: v for k, v in header.items() if k != "kid"}, claims)
    assert_invalid_token(call(client, forged), "The access token was signed by an unknown key.")


@pytest.mark.parametrize("ours_last", [True, False])
def test_a_second_kid_injected_in_the_header(client, good, ours_last):
    """Duplicate members: the last one counts (RFC 7515 4); either way the attacker's key loses."""
    header, claims, _ = jwt_parts(good)
    mine = attacker_key()
    kids = [mine.kid, header["kid"]] if ours_last else [header["kid"], mine.kid]
    first, last = kids
    raw_header = f'{{"alg":"{header["alg"]}","typ":"at+jwt","kid":"{first}","kid":"{last}"}}'
    signing_input = f"{b64(raw_header.encode())}.{b64(claims)}"
    sig = jwt.get_algorithm_by_name(header["alg"]).sign(signing_input.encode(), mine.private_key)
    expected = (
        "The access token signature is invalid."
        if ours_last
        else ("The access token was signed by an unknown key.")
    )
    assert_invalid_token(call(client, f"{signing_input}.{b64(sig)}"), expected)


# Keys named by the token are never fetched or trusted (RFC 8725 3.10, RFC 7515 4.1.2-4.1.6)


@functools.cache
def attacker_key():
    return keys.from_private_key(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.mark.parametrize("kid_choice", ["attacker", "ours"])
def test_embedded_or_linked_attacker_keys_are_ignored(client, good, kid_choice):
    header, claims, _ = jwt_parts(good)
    mine = attacker_key()
    header = {
        **header,
        "kid": mine.kid if kid_choice == "attacker" else header["kid"],
        "jwk": mine.jwk,
        "jku": "https://evil.example/jwks.json",
        "x5u": "https://evil.example/cert.pem",
        "x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"],
    }
    forged = signed(header, claims, mine)
    expected = (
        "The access token was signed by an unknown key."
        if kid_choice == "attacker"
        else "The access token signature is invalid."
    )
    assert_invalid_token(call(client, forged), expected)


def test_extra_key_headers_on_a_genuine_token_change_nothing(client, good):
    """The control: our own signature with those headers is fine, they are simply not read."""
    header, claims, _ = jwt_parts(good)
    header = {**header, "jku": "https://evil.example/jwks.json", "jwk": attacker_key().jwk}
    assert call(client, signed(header, claims)).status_code == HTTPStatus.OK


# typ (RFC 9068 2.1, 4): media types compare case-insensitively (RFC 7515 4.1.9, RFC 2045 5.1)


@pytest.mark.parametrize(
    "typ", ["at+jwt", "AT+JWT", "At+Jwt", "application/at+jwt", "Application/AT+JWT"]
)
def test_typ_at_jwt_is_accepted_in_any_case(client, good, typ):
    header, claims, _ = jwt_parts(good)
    assert call(client, signed({**header, "typ": typ}, claims)).status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    "typ",
    [
        "jwt",
        "JOSE",
        "id_token",
        "at+jwt ",
        " at+jwt",
        "at+jwt; charset=utf-8",
        "jwt+at",
        "application/jwt",
        "logout+jwt",
        1,
        ["at+jwt"],
        {"typ": "at+jwt"},
    ],
)
def test_typ_confusion_is_refused(client, good, typ):
    header, claims, _ = jwt_parts(good)
    assert_invalid_token(
        call(client, signed({**header, "typ": typ}, claims)),
        "The token is not an access token (typ must be at+jwt).",
    )
