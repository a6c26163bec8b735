"""DPoP at the PAR endpoint (RFC 9449 10.1): a proof sent with the push binds the code to its key.

Both ways must work (a ``DPoP`` header, a ``dpop_jkt`` parameter); when both are sent they must
name the same key, and the code is then redeemed only with a proof of that key.
"""

from http import HTTPStatus

import pytest

from oauthcore.models import PushedAuthorizationRequest
from tests import factories, protocol
from tests.dpop_kit import DPoPKey
from tests.par_kit import authorize_pushed, consent_form, decide, push, row_of
from tests.security import kit

pytestmark = pytest.mark.django_db

PAR_URL = "http://testserver/oauth/par/"


def code_of(http, app, user, request_uri):
    http.force_login(user)
    form = consent_form(authorize_pushed(http, request_uri, app.client_id))
    return kit.redirect_query(decide(http, form), factories.REDIRECT_URI)["code"]


def redeem(http, app, code, proof_key=None):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": app.redirect_uris[0],
        "code_verifier": protocol.VERIFIER,
    }
    headers = proof_key.header() if proof_key else {}
    extra = {**protocol.basic_auth(app.client_id, factories.DEMO_SECRET), **headers}
    return protocol.post_token(http, data, **extra)


def test_a_proof_at_the_par_endpoint_binds_the_code_to_its_key(client, client_app, user):
    key = DPoPKey()
    response = push(client, client_app, extra=key.header(htu=PAR_URL))
    assert response.status_code == HTTPStatus.CREATED, response.content
    request_uri = response.json()["request_uri"]
    assert row_of(request_uri).parameters["dpop_jkt"] == [key.jkt]
    code = code_of(client, client_app, user, request_uri)
    refused = redeem(client, client_app, code, DPoPKey())  # another key: the code stays unused
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.json()["error"] == "invalid_dpop_proof"
    answer = redeem(client, client_app, code, key)
    assert answer.status_code == HTTPStatus.OK, answer.content
    assert answer.json()["token_type"] == "DPoP"
    assert protocol.claims_of(answer.json()["access_token"])["cnf"] == {"jkt": key.jkt}


def test_a_code_bound_at_push_needs_a_proof(client, client_app, user):
    key = DPoPKey()
    request_uri = push(client, client_app, extra=key.header(htu=PAR_URL)).json()["request_uri"]
    code = code_of(client, client_app, user, request_uri)
    response = redeem(client, client_app, code)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_dpop_proof"


def test_a_matching_dpop_jkt_beside_the_proof_is_accepted(client, client_app):
    key = DPoPKey()
    response = push(client, client_app, dpop_jkt=key.jkt, extra=key.header(htu=PAR_URL))
    assert response.status_code == HTTPStatus.CREATED, response.content


def test_a_dpop_jkt_naming_another_key_than_the_proof_is_refused(client, client_app):
    key, other = DPoPKey(), DPoPKey()
    response = push(client, client_app, dpop_jkt=other.jkt, extra=key.header(htu=PAR_URL))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_dpop_proof"
    assert not PushedAuthorizationRequest.objects.exists()  # nothing kept


@pytest.mark.parametrize(
    "change",
    [
        {"htu": "http://testserver/oauth/token/"},  # a proof for another endpoint
        {"htm": "GET"},
    ],
)
def test_a_proof_for_another_request_is_refused_at_push(client, client_app, change):
    proof = DPoPKey().header(**{"htu": PAR_URL, **change})
    response = push(client, client_app, extra=proof)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_dpop_proof"
    assert not PushedAuthorizationRequest.objects.exists()


def test_a_proof_replayed_at_push_is_refused(client, client_app):
    proof = DPoPKey().header(htu=PAR_URL)
    assert push(client, client_app, extra=proof).status_code == HTTPStatus.CREATED
    again = push(client, client_app, extra=proof)
    assert again.status_code == HTTPStatus.BAD_REQUEST
    assert again.json()["error"] == "invalid_dpop_proof"


def test_the_par_endpoint_asks_for_a_nonce_when_nonces_are_on(client, client_app, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "DPOP_NONCES": True}
    key = DPoPKey()
    first = push(client, client_app, extra=key.header(htu=PAR_URL))
    assert first.status_code == HTTPStatus.BAD_REQUEST
    assert first.json()["error"] == "use_dpop_nonce"
    nonce = first["DPoP-Nonce"]
    second = push(client, client_app, extra=key.header(htu=PAR_URL, nonce=nonce))
    assert second.status_code == HTTPStatus.CREATED, second.content
    assert second["DPoP-Nonce"]
