"""Pushed authorization requests (RFC 9126) as a client sends them, on top of tests/protocol.py."""

from __future__ import annotations

from http import HTTPStatus

from django.urls import reverse

from oauthcore.models import PushedAuthorizationRequest
from tests import browser, protocol
from tests.factories import DEMO_SECRET

PREFIX = "urn:ietf:params:oauth:request_uri:"


def push(http, app, *, secret=DEMO_SECRET, extra=None, **overrides):
    """POST a valid authorization request of ``app`` to the PAR endpoint (``overrides`` change
    it, None drops a parameter); confidential clients use client_secret_basic."""
    data = protocol.authorize_params(app, **overrides)
    return protocol._client_post(http, "par", app, data, secret, extra or {})


def pushed_uri(http, app, **overrides) -> str:
    """Push a request of ``app``; assert the 201 and return its request_uri."""
    response = push(http, app, **overrides)
    assert response.status_code == HTTPStatus.CREATED, response.content
    return response.json()["request_uri"]


def authorize_pushed(http, request_uri, client_id, **outer):
    """GET /authorize with ``client_id`` and ``request_uri`` (and any ``outer`` parameters)."""
    params = {"client_id": client_id, "request_uri": request_uri, **outer}
    return protocol.authorization_request(http, params)


def consent_form(response):
    """Return the consent form of a consent page (200)."""
    assert response.status_code == HTTPStatus.OK, response.content[:300]
    return browser.form_with_button(response.content.decode(), "Allow")


def decide(http, form, button="Allow"):
    """POST the consent form as a browser does, clicking ``button``."""
    return protocol.post_form(http, form.action, form.data(button))


def row_of(request_uri) -> PushedAuthorizationRequest:
    """Return the stored row of ``request_uri`` (by the hash of its random part)."""
    return PushedAuthorizationRequest.objects.by_reference(request_uri.removeprefix(PREFIX)).get()


def par_url() -> str:
    return reverse("oauthcore:par")
