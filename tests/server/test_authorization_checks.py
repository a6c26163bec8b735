"""The table of authorization-request checks: each step names the endpoints that run it."""

from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from oauthcore import errors
from oauthcore.server import authorization
from tests.protocol import authorize_params

pytestmark = pytest.mark.django_db


def test_the_checks_run_in_their_documented_order():
    names = [step.check.__name__ for step in authorization.STEPS]
    assert names == [
        "check_no_request_uri",
        "check_confidential",
        "check_redirect_uri_pushed",
        "check_grant_type",
        "check_pushed",
        "check_no_repeats",
        "check_response_type",
        "check_scope",
        "check_resource",
        "check_state",
        "check_code_challenge",
        "check_nonce",
        "check_prompt",
        "check_max_age",
        "check_login_hint",
        "check_dpop_jkt",
    ]


def test_a_device_request_runs_only_its_steps(client_app):
    """The device flow will reuse the table: no response_type or PKCE there (RFC 8628 3.1)."""
    params = {"client_id": [client_app.client_id], "scope": ["publish"]}
    context = authorization.Context(params, client_app)
    authorization.checks.run(context, endpoint=authorization.DEVICE)
    assert context.scopes == ["publish"]
    with pytest.raises(errors.InvalidRequest):
        authorization.checks.run(context, endpoint=authorization.AUTHORIZE)


def test_a_step_added_for_another_endpoint_does_not_run_at_authorize(
    client, client_app, monkeypatch
):
    def refuse(context):
        raise errors.InvalidRequest("PAR only.")

    step = authorization.Step(refuse, frozenset({authorization.PAR}))
    monkeypatch.setattr(authorization.checks, "STEPS", [*authorization.STEPS, step])
    response = client.get(reverse("oauthcore:authorize"), authorize_params(client_app))
    assert response.status_code == HTTPStatus.FOUND  # valid: on to the login page
    assert not response["Location"].startswith(client_app.redirect_uris[0])


def test_a_failing_step_redirects_its_error_to_the_client(client, client_app, monkeypatch):
    def refuse(context):
        raise errors.InvalidRequest("Refused by a new step.")

    step = authorization.Step(refuse, frozenset({authorization.AUTHORIZE}))
    monkeypatch.setattr(authorization.checks, "STEPS", [step, *authorization.STEPS])
    response = client.get(reverse("oauthcore:authorize"), authorize_params(client_app))
    assert response.status_code == HTTPStatus.FOUND
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["error"] == ["invalid_request"]
    assert response["Location"].startswith(client_app.redirect_uris[0])
