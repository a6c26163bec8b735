"""Property tests: whatever the parameters and headers, every endpoint answers a documented error.

Never a 500; always an error code from the endpoint's documented set, with its documented status.
Runs derandomized (the same examples on every run) with the "ci" profile; set
HYPOTHESIS_PROFILE=dev for many more, random examples. A failure prints its input and a
``@reproduce_failure`` blob; known nasty inputs are kept below as ``@example`` seeds.
"""

import base64
import json
import os
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import parse_qsl, quote_from_bytes, urlencode, urlsplit

import jwt
import pytest
from django.core.cache import cache
from django.urls import reverse
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from oauthcore import errors
from oauthcore.jose import keyring
from oauthcore.resource_server import access_tokens, bearer
from oauthcore.testing import make_access_token
from tests import factories, protocol
from tests.security import kit
from tests.security.conftest import ALL_SCOPES

settings.register_profile(
    "ci",
    max_examples=100,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    max_examples=1000,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
CLIENT_ID = "fuzz-client"
NASTY = [
    "",
    " ",
    "\x00",
    "%00",
    "%",
    "a" * 5000,
    "\u202e\u0000\ufeff",
    "\U0001f600",
    "\r\nSet-Cookie: x=1",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "https://evil.example/callback",
    "https://app.example.com/callback/../evil",
    "https://app.example.com/callback#x",
    "javascript:alert(1)",
    "-1",
    "1e309",
    "NaN",
    "99999999999999999999999",
    "S256",
    "plain",
    "code",
    "none login consent",
    "openid read:profile",
]
text = st.one_of(st.text(max_size=40), st.sampled_from(NASTY))
# What an HTTP header value can hold: latin-1 characters (WSGI), no line breaks.
header_text = st.text(st.characters(max_codepoint=0xFF, exclude_characters="\r\n"), max_size=60)

# Documented errors (RFC 6749 4.1.2.1 and 5.2, RFC 7009 2.2.1, OIDC Core 3.1.2.6, RFC 6750 3.1,
# RFC 9101 6.2: a request object or request_uri is judged before the redirect URI is known).
PAGE_ERRORS = {
    "invalid_request",
    "invalid_client",
    "invalid_request_object",
    "invalid_request_uri",
    "request_uri_not_supported",
}
REDIRECT_ERRORS = {
    "invalid_request",
    "unauthorized_client",
    "access_denied",
    "unsupported_response_type",
    "invalid_scope",
    "login_required",
    "consent_required",
    "interaction_required",
    "account_selection_required",
    "request_not_supported",
    "request_uri_not_supported",
    "registration_not_supported",
}
TOKEN_ERRORS = {
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "invalid_target",
}
REVOKE_ERRORS = {"invalid_request", "invalid_client", "unsupported_token_type"}
INTROSPECT_ERRORS = {"invalid_request", "invalid_client"}
STATUS = {"invalid_client": HTTPStatus.UNAUTHORIZED}


def assert_json_answer(response, allowed, ok_keys=None):
    """A back-channel answer: 200, or an allowed error code with its status; never cached."""
    assert response["Cache-Control"] == "no-store"
    event(f"{response.status_code} {response.content[:40]!r}")  # --hypothesis-show-statistics
    if response.status_code == HTTPStatus.OK:
        if ok_keys is not None:
            assert ok_keys <= set(response.json())
        return
    body = response.json()
    assert body["error"] in allowed, body
    assert response.status_code == STATUS.get(body["error"], HTTPStatus.BAD_REQUEST), body


def basic(client_id, secret):
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


# Authorization header values: valid Basic, Basic of anything, any text, or none.
authorization_headers = st.one_of(
    st.none(),
    st.just(basic(CLIENT_ID, factories.DEMO_SECRET)),
    st.builds(basic, st.sampled_from([CLIENT_ID, "", ":", "%zz"]), text),
    st.binary(max_size=40).map(lambda b: "Basic " + base64.b64encode(b).decode()),
    header_text,
    header_text.map(lambda t: "Basic " + t),
)


@pytest.fixture
def app(db):
    return factories.ClientFactory(client_id=CLIENT_ID)


@pytest.fixture
def signed_in(client, user, app):
    """Signed in, having approved every scope: a request that passes the checks gets a code."""
    factories.ConsentFactory(user=user, client=app, scopes=ALL_SCOPES)
    client.force_login(user)
    return client


def form_pairs(names, values):
    """Form parameters as pairs: known names (sometimes repeated) and unknown ones."""
    known = st.tuples(st.sampled_from(names), values)
    return st.lists(st.one_of(known, known, st.tuples(text, text)), max_size=8)


def post_form(http, name, pairs, authorization):
    cache.clear()  # each example starts under the failure limit
    extra = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    return http.post(reverse(name), urlencode(pairs), content_type=FORM, **extra)


# --- authorization endpoint -----------------------------------------------------------------

# fmt: off
AUTHORIZE_NAMES = [
    "response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
    "code_challenge_method", "prompt", "nonce", "max_age", "login_hint", "response_mode",
    "request", "request_uri", "registration", "id_token_hint", "oauthcore_reauth",
]
# fmt: on


def assert_authorize_answer(response, client_app):
    """An error page, the login page, the consent page or a redirect to the registered URI."""
    status = response.status_code
    event(f"{status} {response.get('Location', '')[:30]}")
    assert status in (HTTPStatus.OK, HTTPStatus.FOUND, HTTPStatus.BAD_REQUEST), status
    assert response["Cache-Control"] == "no-store"
    if status == HTTPStatus.BAD_REQUEST:
        code = response.context["error"].error
        assert code in PAGE_ERRORS
        kit.assert_error_page(response, code)
    elif status == HTTPStatus.OK:
        assert "oauthcore/consent.html" in [t.name for t in response.templates]
    elif response["Location"].startswith(reverse("login")):
        return
    else:
        location = urlsplit(response["Location"])
        assert location._replace(query="").geturl() in client_app.redirect_uris
        query = dict(parse_qsl(location.query))
        assert query["iss"] == kit.ISSUER
        assert "code" in query or query["error"] in REDIRECT_ERRORS, query


def authorize_changes():
    return st.dictionaries(st.sampled_from(AUTHORIZE_NAMES), st.one_of(st.none(), text))


@given(changes=authorize_changes(), extra=form_pairs(AUTHORIZE_NAMES, text))
@example(changes={"redirect_uri": "https://app.example.com/callback/../evil"}, extra=[])
@example(changes={"response_type": "code", "scope": "a" * 5000}, extra=[])
@example(changes={}, extra=[("client_id", "x"), ("redirect_uri", "https://evil.example")])
@example(changes={"prompt": "none login", "max_age": "-1"}, extra=[])
def test_authorize_get(signed_in, app, changes, extra):
    cache.clear()
    params = protocol.authorize_params(app, **changes)
    pairs = list(params.items()) + extra
    assert_authorize_answer(kit.authorize(signed_in, pairs), app)


@given(raw=st.binary(max_size=80))
@example(raw=b"client_id=\xff\xfe&redirect_uri=\xed\xa0\x80")
@example(raw=b"%%%&&&===;;")
def test_authorize_raw_query(signed_in, app, raw):
    cache.clear()
    query = quote_from_bytes(raw, safe=b"=&;%")
    response = signed_in.get(reverse("oauthcore:authorize") + "?" + query)
    assert_authorize_answer(response, app)


# --- token, revocation and introspection endpoints ------------------------------------------

# fmt: off
TOKEN_NAMES = [
    "grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "scope", "client_id",
    "client_secret", "resource", "audience",
]
# fmt: on
GRANT_TYPES = st.sampled_from(
    ["authorization_code", "refresh_token", "client_credentials", "password", "implicit"]
)


@given(
    pairs=form_pairs(TOKEN_NAMES, st.one_of(text, GRANT_TYPES)), authorization=authorization_headers
)
@example(pairs=[("grant_type", "client_credentials")], authorization="Basic ***")
@example(pairs=[("grant_type", "client_credentials"), ("scope", "a" * 5000)], authorization=None)
@example(
    pairs=[("grant_type", "refresh_token"), ("refresh_token", "\x00")],
    authorization=basic(CLIENT_ID, "x"),
)
@example(pairs=[("grant_type", "client_credentials")], authorization=basic("%zz", "%zz"))
@example(pairs=[("client_id", "a" * 200), ("grant_type", "authorization_code")], authorization=None)
def test_token(client, app, pairs, authorization):
    response = post_form(client, "oauthcore:token", pairs, authorization)
    assert_json_answer(response, TOKEN_ERRORS, ok_keys={"access_token", "token_type"})


@given(
    body=st.binary(max_size=120),
    content_type=st.one_of(
        st.sampled_from(
            [
                FORM,
                FORM + "; charset=bogus",
                FORM + "; charset=utf-16",
                "application/json",
                "multipart/form-data",
                "multipart/form-data; boundary=x",
                "text/plain",
                "",
            ]
        ),
        header_text,
    ),
    name=st.sampled_from(["oauthcore:token", "oauthcore:revoke", "oauthcore:introspect"]),
)
@example(body=b"grant_type=%ff%fe&client_id=\x00", content_type=FORM, name="oauthcore:token")
@example(body=b"\x00", content_type=FORM + "; charset=utf-16", name="oauthcore:token")  # was a 500
@example(body=b"a=1&" * 1001, content_type=FORM, name="oauthcore:token")  # too many fields
@example(
    body=b"--x\r\nContent-Disposition: form-data",
    content_type="multipart/form-data; boundary=x",
    name="oauthcore:token",
)
@example(body=b"token=a&token=b", content_type=FORM + "; charset=bogus", name="oauthcore:revoke")
def test_raw_bodies(client, body, content_type, name):
    cache.clear()
    response = client.generic("POST", reverse(name), body, content_type=content_type)
    assert_json_answer(response, TOKEN_ERRORS | REVOKE_ERRORS, ok_keys=set())


REVOKE_NAMES = ["token", "token_type_hint", "client_id", "client_secret"]
HINTS = st.sampled_from(["access_token", "refresh_token", "id_token", ""])


@given(
    pairs=form_pairs(REVOKE_NAMES, st.one_of(text, HINTS)),
    authorization=authorization_headers,
    name=st.sampled_from(["oauthcore:revoke", "oauthcore:introspect"]),
)
@example(
    pairs=[("token", "a.b.c")],
    authorization=basic(CLIENT_ID, factories.DEMO_SECRET),
    name="oauthcore:introspect",
)
@example(
    pairs=[("token", "x"), ("token_type_hint", "\x00")],
    authorization=basic(CLIENT_ID, factories.DEMO_SECRET),
    name="oauthcore:revoke",
)
def test_revoke_and_introspect(client, app, pairs, authorization, name):
    response = post_form(client, name, pairs, authorization)
    if name == "oauthcore:revoke":
        assert_json_answer(response, REVOKE_ERRORS)
    else:
        assert_json_answer(response, INTROSPECT_ERRORS, ok_keys={"active"})


# --- the resource server: bearer parser, token decoding, the example API ----------------------


def nested(children):
    return st.lists(children, min_size=1, max_size=3) | st.dictionaries(
        st.text(max_size=5), children, min_size=1, max_size=3
    )


scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(scalars | st.just([]) | st.just({}), nested, max_leaves=6)
CLAIMS = ["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", "scope", "auth_time"]


@given(value=st.one_of(header_text, header_text.map(lambda t: "Bearer " + t)))
@example(value="Bearer " + "a" * 9000)
@example(value="Bearer a.b.c====")
@example(value="bearer  x")
def test_bearer_parser_and_decoder(db, value):
    try:
        raw = bearer.token_from_header(value)
    except (errors.InvalidToken, errors.InvalidRequest):
        return
    if raw is not None:
        with pytest.raises(errors.InvalidToken):
            access_tokens.decode(raw)


@pytest.fixture
def valid_claims(user, settings):
    """The claims of a valid token of ``user``; keys stay loaded (RSA key loading is slow)."""
    settings.OAUTHCORE = {**settings.OAUTHCORE, "KEY_CACHE_TTL": timedelta(minutes=5)}
    return kit.jwt_parts(make_access_token(user=user, scopes=["read:profile"]))[1]


def signed(claims, changes):
    """Sign, with the server's own key, ``claims`` with ``changes`` (None: removed)."""
    claims = {name: value for name, value in {**claims, **changes}.items() if value is not None}
    key = keyring.signing_key()
    headers = {"typ": "at+jwt", "kid": key.kid}
    payload = json.dumps(claims).encode()  # NaN and Infinity too, as a careless issuer might
    return jwt.api_jws.encode(payload, key.private_key, algorithm=key.algorithm, headers=headers)


@given(claims=st.dictionaries(st.sampled_from(CLAIMS), json_values, max_size=4))
@example(claims={"sub": "not-a-user-pk"})
@example(claims={"exp": 1e309, "iat": float("nan")})
@example(claims={"aud": {"x": 1}, "scope": ["read:profile"]})
@example(claims={"sub": None, "client_id": 3})
def test_signed_tokens_with_any_claims(client, valid_claims, claims):
    cache.clear()
    raw = signed(valid_claims, claims)
    try:
        token = access_tokens.decode(raw)
    except errors.InvalidToken:
        token = None
    response = client.get("/api/profile/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert_api_answer(response)
    if token is None:
        assert response.status_code == HTTPStatus.UNAUTHORIZED


@given(value=st.one_of(header_text, header_text.map(lambda t: "Bearer " + t)))
@example(value="Bearer")
@example(value="Bearer x" + "=" * 100)
def test_api_authorization_header(client, value):
    response = client.get("/api/profile/", HTTP_AUTHORIZATION=value)
    assert_api_answer(response)
    assert response.status_code != HTTPStatus.OK


def assert_api_answer(response):
    """RFC 6750 3: 200, or 400/401/403 with a Bearer challenge naming a documented error."""
    status = response.status_code
    event(f"{status} {response.get('WWW-Authenticate', '')[:60]}")
    assert status in (HTTPStatus.OK, 400, 401, 403), (status, response.content[:200])
    if status in (400, 401):
        challenge = response["WWW-Authenticate"]
        assert challenge.startswith("Bearer ")
        if status == 400:
            assert 'error="invalid_request"' in challenge
        elif "error=" in challenge:
            assert 'error="invalid_token"' in challenge
