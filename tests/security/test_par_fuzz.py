"""Property tests of the PAR endpoint (RFC 9126 2.3): whatever is pushed, a 201 or a documented
JSON error with its status, never a 500, never a redirect (profiles: tests/security/test_fuzz.py)."""

from http import HTTPStatus

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from oauthcore.models import PushedAuthorizationRequest
from tests import factories
from tests.par_kit import PREFIX
from tests.security.test_fuzz import (
    AUTHORIZE_NAMES,
    CLIENT_ID,
    authorization_headers,
    basic,
    form_pairs,
    post_form,
    text,
)

pytestmark = pytest.mark.django_db

# RFC 9126 2.3: the errors of RFC 6749 5.2 and of an authorization request (RFC 6749 4.1.2.1).
PAR_ERRORS = {
    "invalid_request",
    "invalid_client",
    "unauthorized_client",
    "unsupported_response_type",
    "invalid_scope",
    "invalid_target",
    "invalid_request_object",  # a request object pushed by value (RFC 9126 2.3, RFC 9101 6.2)
    "invalid_dpop_proof",  # a DPoP proof sent to the PAR endpoint (RFC 9449 10.1)
}
STATUS = {"invalid_client": HTTPStatus.UNAUTHORIZED}
PAR_NAMES = [*AUTHORIZE_NAMES, "client_secret", "resource"]
VALID = [
    ("response_type", "code"),
    ("redirect_uri", factories.REDIRECT_URI),
    ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
    ("code_challenge_method", "S256"),
]


@pytest.fixture
def app(db):
    return factories.ClientFactory(client_id=CLIENT_ID)


def assert_par_answer(response):
    assert response["Cache-Control"] == "no-store"
    assert "Location" not in response
    body = response.json()
    event(f"{response.status_code} {body.get('error')}")
    if response.status_code == HTTPStatus.CREATED:
        assert body["request_uri"].startswith(PREFIX) and 0 < body["expires_in"] < 600
        return
    assert body["error"] in PAR_ERRORS, body
    assert response.status_code == STATUS.get(body["error"], HTTPStatus.BAD_REQUEST), body


@given(
    pairs=form_pairs(PAR_NAMES, text),
    authorization=authorization_headers,
    base=st.sampled_from([[], VALID]),
)
@example(pairs=[], authorization=basic(CLIENT_ID, factories.DEMO_SECRET), base=VALID)
@example(
    pairs=[("request_uri", PREFIX + "x")],
    authorization=basic(CLIENT_ID, factories.DEMO_SECRET),
    base=VALID,
)
@example(pairs=[("scope", "a" * 5000)], authorization=basic(CLIENT_ID, "x"), base=VALID)
def test_par(client, app, pairs, authorization, base):
    before = PushedAuthorizationRequest.objects.count()
    response = post_form(client, "oauthcore:par", [*base, *pairs], authorization)
    assert_par_answer(response)
    created = response.status_code == HTTPStatus.CREATED
    assert PushedAuthorizationRequest.objects.count() == before + created
