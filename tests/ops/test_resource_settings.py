"""RFC 8707 configuration: the RESOURCES system check (E013) and the admin's allowed resources."""

from http import HTTPStatus

import pytest
from django.core.checks import run_checks
from django.urls import reverse

from oauthcore.jose import keyring
from oauthcore.models import Client
from tests.ops.test_admin import client_form

pytestmark = pytest.mark.django_db

API = "https://api.example.com/"


@pytest.fixture
def configure(settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ISSUER": "https://auth.example.com"}
    keyring.signing_key()

    def apply(resources):
        settings.OAUTHCORE = {**settings.OAUTHCORE, "RESOURCES": resources}

    return apply


def oauthcore_ids():
    return sorted({m.id for m in run_checks() if m.id and m.id.startswith("oauthcore.")})


@pytest.mark.parametrize(
    "resources",
    [
        [API, "http://127.0.0.1:8000/api/", "http://localhost/x"],
        [],
    ],
)
def test_good_resources_pass(configure, resources):
    configure(resources)
    assert oauthcore_ids() == []


@pytest.mark.parametrize(
    "resources",
    [
        ["/api/"],  # relative
        ["https://api.example.com/#top"],  # fragment
        ["http://api.example.com/"],  # http off loopback
        ["api.example.com"],
        [""],
        [42],
        "https://api.example.com/",  # a string, not a list
    ],
)
def test_a_bad_resource_is_e013(configure, resources):
    configure(resources)
    assert oauthcore_ids() == ["oauthcore.E013"]


def test_the_admin_saves_allowed_resources(admin_client, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "RESOURCES": [API]}
    response = admin_client.post(
        reverse("admin:oauthcore_client_add"), client_form(allowed_resources=[API])
    )
    assert response.status_code == HTTPStatus.OK, response.content[:500]
    assert Client.objects.get(name="Admin App").allowed_resources == [API]


def test_the_admin_refuses_an_unregistered_resource(admin_client, settings, client_app):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "RESOURCES": [API]}
    Client.objects.filter(pk=client_app.pk).update(allowed_resources=["https://gone.example/"])
    url = reverse("admin:oauthcore_client_change", args=[client_app.pk])
    page = admin_client.get(url)
    assert "https://gone.example/" in page.content.decode()
    response = admin_client.post(url, client_form(allowed_resources=["https://gone.example/"]))
    assert response.status_code == HTTPStatus.OK
    assert "Not registered" in response.content.decode()
    client_app.refresh_from_db()
    assert client_app.allowed_resources == ["https://gone.example/"]
