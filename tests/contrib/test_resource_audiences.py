"""The example API accepts its own resource's tokens (RFC 8707) and the default audience only."""

from http import HTTPStatus

import pytest
from django.http import HttpResponse
from django.urls import reverse
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from oauthcore import errors
from oauthcore.contrib.rest_framework.authentication import JWTAuthentication
from oauthcore.resource_server import bearer, decorators
from oauthcore.testing import authorization_header, make_access_token
from tests.factories import VERIFIER
from tests.protocol import authorize, basic_auth, post_token

pytestmark = pytest.mark.django_db

API = "http://testserver/api/"
CALENDAR = "https://calendar.example.com/"


@pytest.fixture(autouse=True)
def _resources(settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "RESOURCES": [API, CALENDAR]}


def token_for(http, app, user, *resources) -> str:
    """Run authorize → token with ``resources`` at both steps; return the access token."""
    code = authorize(http, app, user, scope="read:profile", resource=list(resources) or None)
    pairs = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", app.redirect_uris[0]),
        ("code_verifier", VERIFIER),
    ]
    response = post_token(http, pairs, **basic_auth(app.client_id))
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()["access_token"]


def call_profile(http, access_token):
    http.logout()
    return http.get(reverse("api-profile"), HTTP_AUTHORIZATION=f"Bearer {access_token}")


def test_the_example_api_accepts_a_token_for_its_resource(client, client_app, user):
    response = call_profile(client, token_for(client, client_app, user, API))
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["username"] == user.get_username()


def test_the_example_api_accepts_a_token_for_several_resources_with_its_own(
    client, client_app, user
):
    response = call_profile(client, token_for(client, client_app, user, API, CALENDAR))
    assert response.status_code == HTTPStatus.OK, response.content


def test_the_example_api_accepts_the_default_audience(client, client_app, user):
    response = call_profile(client, token_for(client, client_app, user))
    assert response.status_code == HTTPStatus.OK, response.content


def test_the_example_api_refuses_a_token_for_another_resource(client, client_app, user):
    response = call_profile(client, token_for(client, client_app, user, CALENDAR))
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_bearer_validate_accepts_a_set_of_audiences(user):
    raw = make_access_token(user, scopes=["read:profile"], aud=[CALENDAR, "https://x.example"])
    assert bearer.validate(raw, audience={API, CALENDAR}).subject
    with pytest.raises(errors.InvalidToken):
        bearer.validate(raw, audience=[API])
    with pytest.raises(errors.InvalidToken):
        bearer.validate(raw, audience=API)


def test_an_audience_claim_of_another_shape_is_refused(user):
    raw = make_access_token(user, scopes=["read:profile"], aud={"x": API})
    with pytest.raises(errors.InvalidToken):
        bearer.validate(raw, audience=(API, CALENDAR))


class CalendarView(APIView):
    authentication_classes = [JWTAuthentication]
    audience = (CALENDAR, "http://testserver")

    def get(self, request):
        return Response({"aud": request.auth.claims["aud"]})


@pytest.mark.parametrize(
    ("aud", "status"),
    [(CALENDAR, HTTPStatus.OK), (None, HTTPStatus.OK), (API, HTTPStatus.UNAUTHORIZED)],
)
def test_a_drf_view_may_accept_several_audiences(user, aud, status):
    claims = {"aud": aud} if aud else {}
    headers = authorization_header(user, scopes=["read:profile"], **claims)
    request = APIRequestFactory().get("/calendar/", **headers)
    assert CalendarView.as_view()(request).status_code == status


@pytest.mark.parametrize(("aud", "status"), [(API, HTTPStatus.OK), ("http://testserver", 401)])
def test_the_decorator_may_accept_several_audiences(user, aud, status, rf):
    @decorators.require_scopes("read:profile", audience=[CALENDAR, API])
    def view(request):
        return HttpResponse("ok")

    headers = authorization_header(user, scopes=["read:profile"], aud=aud)
    assert view(rf.get("/plain/", **headers)).status_code == status
