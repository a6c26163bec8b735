"""Token exchange (RFC 8693) attacks: every way to get more than the subject token gives fails."""

import time

import jwt
import pytest

from oauthcore.jose import keyring
from tests import factories
from tests.exchange_kit import ACCESS, API, GRANT, MCP, assert_error, exchange, service
from tests.protocol import claims_of, client_credentials, refresh, revoke, tokens_for

pytestmark = pytest.mark.django_db
PROFILE = "/api/profile/"


@pytest.fixture(autouse=True)
def _resources(settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "RESOURCES": [API, MCP]}


@pytest.fixture
def user_tokens(client, client_app, user):
    return tokens_for(client, client_app, user, scope="read:profile write:profile")


def call_api(http, token):
    return http.get(PROFILE, HTTP_AUTHORIZATION="Bearer " + token)


def test_a_scope_beyond_the_subject_token_is_refused(client, user_tokens):
    response = exchange(client, service(), user_tokens["access_token"], scope="read:email")
    assert_error(response, "invalid_scope")


def test_a_scope_outside_the_client_policy_is_refused(client, user_tokens):
    response = exchange(client, service(), user_tokens["access_token"], scope="write:profile")
    assert_error(response, "invalid_scope")


def test_an_empty_policy_allows_nothing(client, user_tokens):
    response = exchange(client, service(token_exchange_scopes=[]), user_tokens["access_token"])
    assert_error(response, "invalid_scope")
    nowhere = exchange(client, service(token_exchange_audiences=[]), user_tokens["access_token"])
    assert_error(nowhere, "invalid_target")


@pytest.mark.parametrize("field", ["resource", "audience"])
def test_an_audience_outside_the_policy_is_refused(client, user_tokens, field):
    response = exchange(client, service(), user_tokens["access_token"], **{field: MCP})
    assert_error(response, "invalid_target")
    unknown = exchange(
        client, service(), user_tokens["access_token"], **{field: "https://evil.example/"}
    )
    assert_error(unknown, "invalid_target")


def test_a_revoked_subject_token_is_refused(client, client_app, user_tokens):
    assert revoke(client, client_app, user_tokens["access_token"]).status_code == 200
    assert_error(exchange(client, service(), user_tokens["access_token"]), "invalid_request")


def test_an_expired_subject_token_is_refused(client, user_tokens):
    claims = claims_of(user_tokens["access_token"])
    key = keyring.signing_key()
    stale = {**claims, "iat": int(time.time()) - 3600, "exp": int(time.time()) - 1800}
    raw = jwt.encode(stale, key.private_key, key.algorithm, {"typ": "at+jwt", "kid": key.kid})
    assert_error(exchange(client, service(), raw), "invalid_request")


def test_a_foreign_issuer_or_garbage_subject_token_is_refused(client, user_tokens):
    claims = {**claims_of(user_tokens["access_token"]), "iss": "https://evil.example"}
    key = keyring.signing_key()
    forged = jwt.encode(claims, key.private_key, key.algorithm, {"typ": "at+jwt", "kid": key.kid})
    assert_error(exchange(client, service(), forged), "invalid_request")
    assert_error(exchange(client, service(), "garbage"), "invalid_request")
    assert_error(exchange(client, service(), "a.b.c" * 5000), "invalid_request")


def test_missing_or_unsupported_parameters_are_invalid_request(client, user_tokens):
    raw = user_tokens["access_token"]
    assert_error(exchange(client, service(), raw, subject_type="urn:x"), "invalid_request")
    assert_error(exchange(client, service(), "", subject_type=ACCESS), "invalid_request")
    wants_refresh = "urn:ietf:params:oauth:token-type:refresh_token"
    assert_error(
        exchange(client, service(), raw, requested_token_type=wants_refresh), "invalid_request"
    )
    assert_error(exchange(client, service(), raw, actor_token="x"), "invalid_request")


def test_a_client_without_the_grant_is_refused(client, user_tokens):
    plain = factories.ClientFactory(token_exchange_audiences=[API])
    assert_error(exchange(client, plain, user_tokens["access_token"]), "unauthorized_client")


def test_a_client_token_is_not_a_subject(client):
    app = service()
    own = client_credentials(client, app, scope="read:profile").json()["access_token"]
    assert_error(exchange(client, app, own), "invalid_request")


def test_an_actor_token_of_another_client_is_refused(client, user_tokens):
    other = factories.ClientFactory()
    actor = client_credentials(client, other, scope="read:profile").json()["access_token"]
    response = exchange(
        client, service(), user_tokens["access_token"], actor_token=actor, actor_token_type=ACCESS
    )
    assert_error(response, "invalid_request")


def test_the_lifetime_is_never_extended(client, client_app, user):
    client_app.access_token_lifetime = __import__("datetime").timedelta(seconds=60)
    client_app.save()
    subject = tokens_for(client, client_app, user, scope="read:profile")["access_token"]
    body = exchange(client, service(), subject).json()
    assert claims_of(body["access_token"])["exp"] <= claims_of(subject)["exp"]
    assert body["expires_in"] <= 60


def test_revoking_the_subject_token_revokes_the_exchanged_one(client, client_app, user_tokens):
    exchanged = exchange(client, service(), user_tokens["access_token"]).json()["access_token"]
    assert call_api(client, exchanged).status_code == 200
    revoke(client, client_app, user_tokens["access_token"])
    assert call_api(client, exchanged).status_code == 401


def test_revoking_the_subject_family_revokes_the_exchanged_token(client, client_app, user_tokens):
    exchanged = exchange(client, service(), user_tokens["access_token"]).json()["access_token"]
    twice = exchange(client, service(grant_types=[GRANT]), exchanged).json()["access_token"]
    assert call_api(client, twice).status_code == 200
    assert revoke(client, client_app, user_tokens["refresh_token"]).status_code == 200
    assert call_api(client, exchanged).status_code == 401
    assert call_api(client, twice).status_code == 401


@pytest.mark.parametrize("end", ["deactivate", "delete"])
def test_ending_the_subject_client_revokes_the_exchanged_token(
    client, client_app, user_tokens, end
):
    exchanged = exchange(client, service(), user_tokens["access_token"]).json()["access_token"]
    assert call_api(client, exchanged).status_code == 200
    if end == "deactivate":
        client_app.is_active = False
        client_app.save()
    else:
        client_app.delete()
    assert call_api(client, exchanged).status_code == 401


def test_refresh_token_reuse_revokes_the_exchanged_token(client, client_app, user_tokens):
    exchanged = exchange(client, service(), user_tokens["access_token"]).json()["access_token"]
    assert refresh(client, client_app, user_tokens["refresh_token"]).status_code == 200
    assert refresh(client, client_app, user_tokens["refresh_token"]).status_code == 400
    assert call_api(client, exchanged).status_code == 401


def test_a_dpop_bound_subject_token_needs_its_key(client, client_app, user):
    from tests.dpop_kit import TOKEN_URL, DPoPKey
    from tests.factories import VERIFIER
    from tests.protocol import authorize, basic_auth, post_token

    key = DPoPKey()
    form = {
        "grant_type": "authorization_code",
        "code": authorize(client, client_app, user),
        "redirect_uri": client_app.redirect_uris[0],
        "code_verifier": VERIFIER,
    }
    proof = key.header("POST", TOKEN_URL)
    raw = post_token(client, form, **basic_auth(client_app.client_id), **proof).json()
    raw = raw["access_token"]
    assert_error(exchange(client, service(), raw), "invalid_dpop_proof")
    stolen = exchange(client, service(), raw, extra=DPoPKey().header("POST", TOKEN_URL))
    assert_error(stolen, "invalid_dpop_proof")
    mine = exchange(client, service(), raw, extra=key.header("POST", TOKEN_URL))
    assert mine.status_code == 200, mine.content


@pytest.mark.parametrize(
    "field",
    ["subject_token", "actor_token", "scope", "resource", "audience", "requested_token_type"],
)
@pytest.mark.parametrize("value", ["http://[::1", "é" * 300, "a.b", "eyJ9.eyJ9.e30", "x" * 70000])
def test_hostile_values_get_an_oauth_error_never_a_500(client, user_tokens, field, value):
    data = {"actor_token_type": ACCESS} if field == "actor_token" else {}
    fields = {"subject_token": user_tokens["access_token"], **data, field: value}
    response = exchange(client, service(), fields.pop("subject_token"), **fields)
    assert response.status_code == 400, response.content
    assert response.json()["error"] in {"invalid_request", "invalid_scope", "invalid_target"}
