"""The token endpoint's front door: the form (RFC 6749 3.2) and client authentication (2.3)."""

import base64
import json
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse

from oauthcore import crypto
from tests import factories
from tests.protocol import basic_auth, post_token

pytestmark = pytest.mark.django_db

GRANT = {"grant_type": "client_credentials", "scope": "publish"}
CHALLENGE = 'Basic realm="http://testserver"'


def header(raw: bytes):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(raw).decode()}


def assert_invalid_client(response, *, basic):
    assert response.status_code == HTTPStatus.UNAUTHORIZED, response.content
    assert response.json()["error"] == "invalid_client"
    assert response["Cache-Control"] == "no-store"
    if basic:
        assert response["WWW-Authenticate"] == CHALLENGE
    else:
        assert "WWW-Authenticate" not in response


def assert_invalid_request(response):
    assert response.status_code == HTTPStatus.BAD_REQUEST, response.content
    assert response.json()["error"] == "invalid_request"
    assert response["Cache-Control"] == "no-store"


def test_basic_and_post_authenticate(client, client_app, secret):
    assert (
        post_token(client, GRANT, **basic_auth(client_app.client_id)).status_code == HTTPStatus.OK
    )
    posted = {**GRANT, "client_id": client_app.client_id, "client_secret": secret}
    assert post_token(client, posted).status_code == HTTPStatus.OK


def test_basic_credentials_are_form_urlencoded(client):
    secret = "a+b c:d%e/é"
    app = factories.ClientFactory(
        client_id="id:with+odd chars", secret_hash=crypto.hash_token(secret)
    )
    assert (
        post_token(client, GRANT, **basic_auth(app.client_id, secret)).status_code == HTTPStatus.OK
    )
    # Without the encoding the colon in the client_id splits in the wrong place.
    raw = f"{app.client_id}:{secret}".encode()
    assert_invalid_client(post_token(client, GRANT, **header(raw)), basic=True)


def test_basic_may_repeat_the_client_id_in_the_body(client, client_app):
    data = {**GRANT, "client_id": client_app.client_id}
    assert post_token(client, data, **basic_auth(client_app.client_id)).status_code == HTTPStatus.OK
    data["client_id"] = factories.ClientFactory().client_id
    assert_invalid_request(post_token(client, data, **basic_auth(client_app.client_id)))


def test_two_methods_at_once_are_refused(client, client_app, secret):
    data = {**GRANT, "client_id": client_app.client_id, "client_secret": secret}
    assert_invalid_request(post_token(client, data, **basic_auth(client_app.client_id)))


def test_a_rolling_previous_secret_still_works(client, client_app, secret):
    new = client_app.set_new_secret(keep_previous_for=timedelta(hours=1))
    client_app.save()
    assert (
        post_token(client, GRANT, **basic_auth(client_app.client_id, new)).status_code
        == HTTPStatus.OK
    )
    assert (
        post_token(client, GRANT, **basic_auth(client_app.client_id, secret)).status_code
        == HTTPStatus.OK
    )


@pytest.mark.parametrize(
    "value",
    [
        "Basic",
        "Basic ",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon-here").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\x80").decode(),
        "Basic " + base64.b64encode(b"client%ff:secret").decode(),
        "Basic " + base64.b64encode(b"c:s").decode()[:-1],
        "Bearer some.jwt.value",
        "Basic ÿÿÿÿ",
        "Basic " + "A" * 100_000,
    ],
    ids=[
        "no-credentials",
        "blank",
        "bad-base64",
        "no-colon",
        "non-utf8",
        "bad-percent",
        "bad-padding",
        "other-scheme",
        "latin1",
        "huge",
    ],
)
def test_a_malformed_basic_header_is_invalid_client(client, value):
    response = post_token(client, GRANT, HTTP_AUTHORIZATION=value)
    assert_invalid_client(response, basic=True)


def invalid_credentials(app):
    inactive = factories.ClientFactory(is_active=False)
    return {
        "unknown": ("no-such-client", factories.DEMO_SECRET),
        "inactive": (inactive.client_id, factories.DEMO_SECRET),
        "wrong-secret": (app.client_id, "wrong"),
        "empty-secret": (app.client_id, ""),
        "nul": ("client\x00id", factories.DEMO_SECRET),
        "huge-id": ("c" * 10_000, factories.DEMO_SECRET),
    }


@pytest.mark.parametrize(
    "case", ["unknown", "inactive", "wrong-secret", "empty-secret", "nul", "huge-id"]
)
def test_every_failure_looks_the_same_with_basic(client, client_app, case):
    client_id, secret = invalid_credentials(client_app)[case]
    response = post_token(client, GRANT, **basic_auth(client_id, secret))
    assert_invalid_client(response, basic=True)
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "Client authentication failed.",
    }


@pytest.mark.parametrize(
    "case", ["unknown", "inactive", "wrong-secret", "empty-secret", "nul", "huge-id", "none"]
)
def test_every_failure_looks_the_same_with_post(client, client_app, case):
    client_id, secret = invalid_credentials(client_app).get(case, (client_app.client_id, None))
    data = {**GRANT, "client_id": client_id}
    if secret is not None:
        data["client_secret"] = secret
    response = post_token(client, data)
    assert_invalid_client(response, basic=False)
    assert response.json()["error_description"] == "Client authentication failed."


def test_no_client_at_all_is_invalid_client(client):
    assert_invalid_client(post_token(client, GRANT), basic=False)


def test_a_public_client_presenting_a_secret_is_refused(client, public_client):
    data = {"grant_type": "refresh_token", "refresh_token": "x"}
    posted = {**data, "client_id": public_client.client_id, "client_secret": "anything"}
    assert_invalid_client(post_token(client, posted), basic=False)
    basic = basic_auth(public_client.client_id, "")
    assert_invalid_client(post_token(client, data, **basic), basic=True)


# The form itself


def test_get_is_refused_with_json(client):
    response = client.get(reverse("oauthcore:token"))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert response["Allow"] == "POST"
    assert response.json()["error"] == "invalid_request"
    assert response["Cache-Control"] == "no-store"


def test_a_json_body_is_refused(client, client_app):
    response = client.post(
        reverse("oauthcore:token"),
        json.dumps(GRANT),
        content_type="application/json",
        **basic_auth(client_app.client_id),
    )
    assert_invalid_request(response)


def test_query_parameters_are_refused(client, client_app):
    url = reverse("oauthcore:token") + "?grant_type=client_credentials"
    body = "scope=publish"
    response = client.post(
        url,
        body,
        content_type="application/x-www-form-urlencoded",
        **basic_auth(client_app.client_id),
    )
    assert_invalid_request(response)


@pytest.mark.parametrize("name", ["grant_type", "scope", "client_id"])
def test_a_repeated_parameter_is_refused(client, client_app, secret, name):
    data = {**GRANT, "client_id": client_app.client_id, "client_secret": secret}
    pairs = [*data.items(), (name, data[name])]
    assert_invalid_request(post_token(client, pairs))


@pytest.mark.parametrize(
    ("grant_type", "error"),
    [
        (None, "invalid_request"),
        ("", "invalid_request"),
        ("password", "unsupported_grant_type"),
        ("implicit", "unsupported_grant_type"),
        ("urn:ietf:params:oauth:grant-type:saml2-bearer", "unsupported_grant_type"),
        ("ßö✓", "unsupported_grant_type"),
        ("g" * 100_000, "unsupported_grant_type"),
    ],
)
def test_grant_type_must_be_known(client, client_app, grant_type, error):
    data = {} if grant_type is None else {"grant_type": grant_type}
    response = post_token(client, data, **basic_auth(client_app.client_id))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == error


@pytest.mark.parametrize(
    "body", [b"grant_type=\xff\xfe&scope=%ff", b"grant_type=client_credentials&scope=%ff%fe"]
)
def test_a_body_that_is_not_utf8_is_a_client_error(client, client_app, body):
    response = client.post(
        reverse("oauthcore:token"),
        body,
        content_type="application/x-www-form-urlencoded",
        **basic_auth(client_app.client_id),
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] in {"unsupported_grant_type", "invalid_scope"}
