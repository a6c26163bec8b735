"""The HTML forms protect themselves: with no CsrfViewMiddleware in the project, a POST without
the form's token is refused (403) and one with it works: consent, connected apps, logout."""

from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.test import Client

from oauthcore.models import Consent
from oauthcore.server import pkce
from tests import browser
from tests.factories import VERIFIER, ConsentFactory
from tests.integration.test_end_to_end import REDIRECT_URI, post_form

pytestmark = pytest.mark.django_db

CSRF = "django.middleware.csrf.CsrfViewMiddleware"
TOKEN = "csrfmiddlewaretoken"


@pytest.fixture
def browser_client(settings, user):
    """A signed-in browser on a site without the CSRF middleware; CSRF checks enforced."""
    assert CSRF in settings.MIDDLEWARE
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != CSRF]
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def form_data(page, button):
    form = browser.form_with_button(page.content.decode(), button)
    data = dict(form.data(button))
    assert data.get(TOKEN)
    return form.action, data


def without_token(data):
    return {name: value for name, value in data.items() if name != TOKEN}


def consent_form(client, client_app):
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_app.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "read:profile",
            "code_challenge": pkce.s256(VERIFIER),
            "code_challenge_method": "S256",
        }
    )
    page = client.get(f"/oauth/authorize/?{query}")
    assert page.status_code == HTTPStatus.OK
    return form_data(page, "Allow")


def test_consent_without_the_token_is_refused(browser_client, client_app, user):
    action, data = consent_form(browser_client, client_app)
    response = post_form(browser_client, action, without_token(data))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Consent.objects.filter(user=user, client=client_app).exists()


def test_consent_with_the_token_works(browser_client, client_app, user):
    action, data = consent_form(browser_client, client_app)
    response = post_form(browser_client, action, data)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(REDIRECT_URI + "?code=")
    assert Consent.objects.filter(user=user, client=client_app).exists()


def test_connected_apps_revoke_needs_the_token(browser_client, client_app, user):
    ConsentFactory(user=user, client=client_app)
    action, data = form_data(browser_client.get("/oauth/apps/"), "Revoke access")
    response = post_form(browser_client, action, without_token(data))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Consent.objects.filter(user=user, client=client_app).exists()
    response = post_form(browser_client, action, data)
    assert response.status_code == HTTPStatus.FOUND
    assert not Consent.objects.filter(user=user, client=client_app).exists()


def test_logout_confirmation_needs_the_token(browser_client, user):
    action, data = form_data(browser_client.get("/oauth/logout/"), "Log out")
    response = post_form(browser_client, action, without_token(data))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "_auth_user_id" in browser_client.session  # still signed in
    response = post_form(browser_client, action, data)
    assert response.status_code == HTTPStatus.OK
    assert "_auth_user_id" not in browser_client.session
