"""Attacks on the JWT access token's claims, clock, size and signature bytes (RFC 7519 4.1,
RFC 9068 4, RFC 8725 3.8-3.9), at ``GET /api/profile/``.

tests/contrib/test_rest_framework_errors.py covers expired, not yet valid, wrong iss/aud, missing exp/jti,
exp as a string or infinity, sub as a number, tampered payload and another token's signature.
"""

import json
import math
import time
from datetime import timedelta
from http import HTTPStatus

import pytest

from oauthcore import errors
from oauthcore.resource_server import access_tokens
from oauthcore.testing import make_access_token
from tests import factories
from tests.security.kit import assert_invalid_token, b64, jwt_parts, sign_input, signed
from tests.security.kit import call_api as call

pytestmark = pytest.mark.django_db

SKEW = 30  # seconds: the CLOCK_SKEW default


# Claims: types, values and the clock (RFC 7519 4.1, RFC 9068 4)


@pytest.mark.parametrize(
    "name,value",
    [
        ("exp", "9999999999"),
        ("exp", True),
        ("exp", False),
        ("exp", None),
        ("exp", [9999999999]),
        ("iat", "0"),
        ("iat", True),
        ("nbf", "0"),
        ("nbf", False),
        ("jti", 1),
        ("client_id", ["a"]),
        ("sub", None),
    ],
)
def test_non_numeric_or_mistyped_claims(client, good, name, value):
    header, claims, _ = jwt_parts(good)
    assert_invalid_token(
        call(client, signed(header, {**claims, name: value})), "The access token is invalid."
    )


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])
@pytest.mark.parametrize("name", ["exp", "iat", "nbf"])
def test_non_finite_times(client, good, name, literal):
    header, claims, _ = jwt_parts(good)
    body = (
        json.dumps({k: v for k, v in claims.items() if k != name})[:-1] + f', "{name}": {literal}}}'
    )
    raw = sign_input(f"{b64(header)}.{b64(body.encode())}")
    assert_invalid_token(call(client, raw), "The access token is invalid.")


def test_an_integer_too_long_to_parse_is_malformed(client, good):
    header, claims, _ = jwt_parts(good)
    body = json.dumps(claims)[:-1] + ', "exp": ' + "9" * 5000 + "}"
    raw = sign_input(f"{b64(header)}.{b64(body.encode())}")
    assert_invalid_token(call(client, raw), "The access token is malformed.")


@pytest.mark.parametrize("name", ["iss", "sub", "aud", "exp", "iat", "jti", "client_id"])
def test_each_required_claim_missing(client, good, name):
    header, claims, _ = jwt_parts(good)
    claims.pop(name)
    assert_invalid_token(
        call(client, signed(header, claims)), f"The access token has no {name} claim."
    )


@pytest.mark.parametrize("payload", [[], "claims", 42, None])
def test_a_payload_that_is_not_an_object(client, good, payload):
    header, _, _ = jwt_parts(good)
    assert_invalid_token(call(client, signed(header, payload)), "The access token is malformed.")


EXPIRED = "The access token has expired."
NOT_YET = "The access token is not valid yet."


@pytest.mark.parametrize(
    "claim,offset,error",
    [
        ("exp", -SKEW, EXPIRED),  # exp + skew == now: expired (exp is exclusive)
        ("exp", -SKEW + 1, None),
        ("exp", 0, None),
        ("nbf", SKEW, None),  # nbf - skew == now: valid
        ("nbf", SKEW + 1, NOT_YET),
        ("iat", SKEW, None),
        ("iat", SKEW + 1, NOT_YET),
    ],
)
def test_the_clock_skew_edges(good, claim, offset, error):
    """Exactly at the edges, through the ``now=`` seam of access_tokens.decode."""
    now = 1_900_000_000
    header, claims, _ = jwt_parts(good)
    times = {"iat": now - 60, "nbf": now - 60, "exp": now + 600, claim: now + offset}
    raw = signed(header, {**claims, **times})
    if error is None:
        assert access_tokens.decode(raw, now=now).claims[claim] == now + offset
    else:
        with pytest.raises(errors.InvalidToken, match=error):
            access_tokens.decode(raw, now=now)


@pytest.mark.parametrize(
    "skew,exp_offset,error",
    [(30, -25, None), (30, -35, EXPIRED), (0, -2, EXPIRED), (120, -100, None)],
)
def test_the_clock_skew_setting_at_the_api(client, good, settings, skew, exp_offset, error):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "CLOCK_SKEW": timedelta(seconds=skew)}
    header, claims, _ = jwt_parts(good)
    raw = signed(header, {**claims, "exp": int(time.time()) + exp_offset})
    if error is None:
        assert call(client, raw).status_code == HTTPStatus.OK
    else:
        assert_invalid_token(call(client, raw), error)


# Size, stripping, swapping


def token_of_length(good: str, length: int) -> str | None:
    """Return a validly signed token of exactly ``length`` characters, padding a claim."""
    header, claims, _ = jwt_parts(good)
    for header_pad in range(4):
        head = {**header, "x": "h" * header_pad}
        base = len(signed(head, {**claims, "pad": ""}))
        for extra in range(max(0, (length - base) * 3 // 4 - 4), (length - base) * 3 // 4 + 4):
            raw = signed(head, {**claims, "pad": "p" * extra})
            if len(raw) == length:
                return raw
    return None


def test_the_size_limit_edge(client, good):
    at_limit = token_of_length(good, 8192)
    over = token_of_length(good, 8193)
    assert at_limit and over
    assert call(client, at_limit).status_code == HTTPStatus.OK
    assert_invalid_token(call(client, over), "The access token is too long.")


def test_a_huge_token_is_refused_before_decoding(client, good):
    header, claims, _ = jwt_parts(good)
    huge = signed(header, {**claims, "pad": "p" * 1_000_000})
    assert_invalid_token(call(client, huge), "The access token is too long.")


@pytest.mark.parametrize(
    "shape", ["{h}.{p}.", "{h}.{p}", "{h}.{p}..", "{h}..{s}", ".{p}.{s}", "{h}.{p}.{s}."]
)
def test_a_stripped_or_reshaped_signature(client, good, shape):
    h, p, s = good.split(".")
    assert_invalid_token(
        call(client, shape.format(h=h, p=p, s=s)), "The access token is malformed."
    )


def test_a_payload_swapped_between_two_valid_tokens(client, user, good):
    """Bob's claims under Alice's header and signature: another user's identity, not signed."""
    bob = make_access_token(user=factories.UserFactory(username="bob"), scopes=["read:profile"])
    assert call(client, bob).json()["username"] == "bob"
    h, _, s = good.split(".")
    _, p, _ = bob.split(".")
    assert_invalid_token(call(client, f"{h}.{p}.{s}"), "The access token signature is invalid.")


def test_a_signature_with_padding_or_standard_base64_is_malformed(client, good):
    h, p, s = good.split(".")
    assert math.isfinite(len(s))
    for tail in (s + "=", s.replace("-", "+").replace("_", "/") + "+/"):
        assert_invalid_token(call(client, f"{h}.{p}.{tail}"), "The access token is malformed.")
