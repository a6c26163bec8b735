"""Resource indicators (RFC 8707) through HTTP: authorize → code → token, narrowing, refusals."""

from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest

from oauthcore.models import AuthorizationCode, RefreshToken
from tests import factories
from tests.factories import VERIFIER
from tests.protocol import (
    authorization_response,
    authorize,
    basic_auth,
    claims_of,
    introspect,
    post_token,
    revoke,
)

pytestmark = pytest.mark.django_db

API = "http://testserver/api/"
CALENDAR = "https://calendar.example.com/"
CONTACTS = "https://contacts.example.com/"


@pytest.fixture(autouse=True)
def _resources(settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "RESOURCES": [API, CALENDAR, CONTACTS]}


def exchange(http, app, code, *resources):
    """Exchange ``code`` at the token endpoint, sending each of ``resources`` as ``resource``."""
    pairs = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", app.redirect_uris[0]),
        ("code_verifier", VERIFIER),
        *[("resource", name) for name in resources],
    ]
    return post_token(http, pairs, **basic_auth(app.client_id))


def use_refresh(http, app, raw, *resources):
    pairs = [("grant_type", "refresh_token"), ("refresh_token", raw)]
    pairs += [("resource", name) for name in resources]
    return post_token(http, pairs, **basic_auth(app.client_id))


def redirect_query(response) -> dict:
    assert response.status_code == HTTPStatus.FOUND, response.content[:300]
    return parse_qs(urlsplit(response["Location"]).query)


def assert_invalid_target(response):
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response.json()["error"] == "invalid_target"


def test_a_resource_at_authorize_is_the_audience_of_the_token(client, client_app, user):
    code = authorize(client, client_app, user, resource=CALENDAR)
    assert AuthorizationCode.objects.get().resources == [CALENDAR]
    response = exchange(client, client_app, code)
    assert response.status_code == HTTPStatus.OK, response.content
    assert claims_of(response.json()["access_token"])["aud"] == CALENDAR


def test_several_resources_give_a_list_audience(client, client_app, user):
    code = authorize(client, client_app, user, resource=[CALENDAR, CONTACTS])
    response = exchange(client, client_app, code)
    assert claims_of(response.json()["access_token"])["aud"] == [CALENDAR, CONTACTS]


def test_the_token_request_may_narrow_the_resources(client, client_app, user):
    code = authorize(client, client_app, user, resource=[CALENDAR, CONTACTS])
    response = exchange(client, client_app, code, CONTACTS)
    assert response.status_code == HTTPStatus.OK, response.content
    assert claims_of(response.json()["access_token"])["aud"] == CONTACTS
    assert RefreshToken.objects.get().resources == [CALENDAR, CONTACTS]


def test_the_token_request_may_not_widen_the_resources(client, client_app, user):
    code = authorize(client, client_app, user, resource=CALENDAR)
    assert_invalid_target(exchange(client, client_app, code, CALENDAR, CONTACTS))
    # The code was not spent by the refused request.
    assert exchange(client, client_app, code).status_code == HTTPStatus.OK


def test_a_resource_only_at_the_token_endpoint_is_wider_than_none(client, client_app, user):
    code = authorize(client, client_app, user)
    assert_invalid_target(exchange(client, client_app, code, CALENDAR))


@pytest.mark.parametrize(
    "resource",
    [
        "https://unknown.example.com/",  # not registered
        "/api/",  # relative
        "api",
        "https://calendar.example.com/#section",  # a fragment
        "https://[calendar.example.com/",  # an unclosed IPv6 literal: unparsable
    ],
)
def test_a_bad_resource_at_authorize_is_invalid_target(client, client_app, user, resource):
    query = redirect_query(authorization_response(client, client_app, user, resource=resource))
    assert query["error"] == ["invalid_target"]
    assert query["state"] == ["xyz-state"]
    assert "code" not in query


def test_a_registered_resource_with_a_fragment_is_refused(client, client_app, user, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "RESOURCES": [API, CALENDAR + "#x"]}
    response = authorization_response(client, client_app, user, resource=CALENDAR + "#x")
    assert redirect_query(response)["error"] == ["invalid_target"]


def test_a_repeated_resource_is_not_a_repeated_parameter(client, client_app, user):
    code = authorize(client, client_app, user, resource=[CALENDAR, CALENDAR])
    response = exchange(client, client_app, code)
    assert claims_of(response.json()["access_token"])["aud"] == CALENDAR


def test_other_parameters_still_may_not_repeat(client, client_app, user):
    response = authorization_response(client, client_app, user, state=["a", "b"])
    assert redirect_query(response)["error"] == ["invalid_request"]


def test_a_client_is_limited_to_its_allowed_resources(client, user):
    app = factories.ClientFactory(allowed_resources=[CALENDAR])
    query = redirect_query(authorization_response(client, app, user, resource=CONTACTS))
    assert query["error"] == ["invalid_target"]
    code = authorize(client, app, user, resource=CALENDAR)
    assert claims_of(exchange(client, app, code).json()["access_token"])["aud"] == CALENDAR


def test_refresh_keeps_the_resources_and_may_narrow(client, client_app, user):
    code = authorize(client, client_app, user, resource=[CALENDAR, CONTACTS])
    first = exchange(client, client_app, code).json()
    narrowed = use_refresh(client, client_app, first["refresh_token"], CALENDAR)
    assert narrowed.status_code == HTTPStatus.OK, narrowed.content
    assert claims_of(narrowed.json()["access_token"])["aud"] == CALENDAR
    again = use_refresh(client, client_app, narrowed.json()["refresh_token"])
    assert claims_of(again.json()["access_token"])["aud"] == [CALENDAR, CONTACTS]


def test_refresh_may_not_widen(client, client_app, user):
    code = authorize(client, client_app, user, resource=CALENDAR)
    first = exchange(client, client_app, code).json()
    assert_invalid_target(use_refresh(client, client_app, first["refresh_token"], CONTACTS))
    # Refused before rotation: the refresh token still works.
    assert use_refresh(client, client_app, first["refresh_token"]).status_code == HTTPStatus.OK


def test_client_credentials_with_a_resource(client, client_app):
    pairs = [("grant_type", "client_credentials"), ("scope", "publish"), ("resource", API)]
    response = post_token(client, pairs, **basic_auth(client_app.client_id))
    assert response.status_code == HTTPStatus.OK, response.content
    assert claims_of(response.json()["access_token"])["aud"] == API


def test_client_credentials_with_a_resource_not_allowed(client):
    app = factories.ClientFactory(allowed_resources=[CALENDAR])
    pairs = [("grant_type", "client_credentials"), ("resource", CONTACTS)]
    assert_invalid_target(post_token(client, pairs, **basic_auth(app.client_id)))


def test_without_resource_the_default_audience_stays(client, client_app, user):
    code = authorize(client, client_app, user)
    assert AuthorizationCode.objects.get().resources == []
    body = exchange(client, client_app, code).json()
    assert claims_of(body["access_token"])["aud"] == "http://testserver"
    refreshed = use_refresh(client, client_app, body["refresh_token"]).json()
    assert claims_of(refreshed["access_token"])["aud"] == "http://testserver"


def test_without_resource_a_client_audience_stays(client, user):
    app = factories.ClientFactory(audience="https://legacy.example.com")
    code = authorize(client, app, user)
    body = exchange(client, app, code).json()
    assert claims_of(body["access_token"])["aud"] == "https://legacy.example.com"


def test_introspection_shows_the_audience_and_the_granted_resources(client, client_app, user):
    code = authorize(client, client_app, user, resource=[CALENDAR, CONTACTS])
    body = exchange(client, client_app, code, CALENDAR).json()
    access = introspect(client, client_app, body["access_token"]).json()
    assert access["active"] is True
    assert access["aud"] == CALENDAR
    refresh = introspect(client, client_app, body["refresh_token"]).json()
    assert refresh["active"] is True
    assert refresh["aud"] == [CALENDAR, CONTACTS]


def test_introspection_of_a_default_token_shows_its_audience(client, client_app, user):
    body = exchange(client, client_app, authorize(client, client_app, user)).json()
    assert introspect(client, client_app, body["access_token"]).json()["aud"] == "http://testserver"
    assert "aud" not in introspect(client, client_app, body["refresh_token"]).json()


def test_a_token_for_a_resource_can_be_revoked(client, client_app, user):
    body = exchange(client, client_app, authorize(client, client_app, user, resource=CALENDAR))
    access_token = body.json()["access_token"]
    assert revoke(client, client_app, access_token).status_code == HTTPStatus.OK
    assert introspect(client, client_app, access_token).json() == {"active": False}


@pytest.mark.parametrize("resource", ["https://[calendar.example.com/", "/api/"])
def test_a_bad_resource_at_the_token_endpoint_is_invalid_target(client, client_app, resource):
    pairs = [("grant_type", "client_credentials"), ("scope", "publish"), ("resource", resource)]
    assert_invalid_target(post_token(client, pairs, **basic_auth(client_app.client_id)))
