"""The user's connected-apps page: what each app may do, and "Revoke access"."""

import threading
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from oauthcore.models import AuthorizationCode, Consent, RefreshToken, RevokedAccessToken
from oauthcore.resource_server import access_tokens, denylist
from oauthcore.views.connected_apps import ConnectedAppsView
from tests import browser, factories, protocol
from tests.protocol import basic_auth, post_token, redeem, refresh

pytestmark = pytest.mark.django_db

URL = "/oauth/apps/"


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def grant(http, app, user, scopes=("read:profile", "read:email")):
    """Record the user's consent for ``app`` and return the tokens of a code exchange."""
    Consent.objects.update_or_create(user=user, client=app, defaults={"scopes": list(scopes)})
    response = redeem(http, app, user, scope=" ".join(scopes))
    assert response.status_code == HTTPStatus.OK
    return response.json()


def revoke_form(http, app):
    """Open the page; return the form whose "Revoke access" button is for ``app``."""
    page = http.get(URL).content.decode()
    for form in browser.forms(page):
        if ("client", app.client_id) in form.fields and "Revoke access" in form.buttons:
            return form
    raise AssertionError(f"No Revoke access button for {app.name}")


def submit(http, form):
    body = urlencode(form.data("Revoke access"))
    return http.post(form.action, body, content_type="application/x-www-form-urlencoded")


def api(http, access_token):
    return http.get("/api/profile/", HTTP_AUTHORIZATION=f"Bearer {access_token}")


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"/accounts/login/?next={URL}"
    assert client.post(URL, {"client": "x"}).status_code == HTTPStatus.FOUND


def test_the_page_lists_the_users_apps(signed_in, client_app, user):
    grant(signed_in, client_app, user)
    unused = factories.ClientFactory(name="Never Used App")
    factories.ConsentFactory(user=user, client=unused, scopes=["read:contacts"])
    someone_elses = factories.ClientFactory(name="Other People's App")
    factories.ConsentFactory(client=someone_elses)
    response = signed_in.get(URL)
    assert response.status_code == HTTPStatus.OK
    assert "oauthcore/connected_apps.html" in [t.name for t in response.templates]
    page = response.content.decode()
    assert client_app.name in page
    assert "Read your profile info" in page
    assert "Read your email address" in page
    assert "Never Used App" in page
    assert "Read your contacts list" in page
    assert "<dd>Never</dd>" in page
    assert page.count("<dt>Last used</dt>") == 2
    assert "Other People" not in page
    assert page.count("Revoke access") == 2


def test_the_page_cannot_be_framed_or_cached(signed_in):
    response = signed_in.get(URL)
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cache-Control"] == "no-store"


def test_a_user_without_apps_is_told_so(signed_in):
    page = signed_in.get(URL).content.decode()
    assert "You have not allowed any application" in page


def test_the_template_can_be_replaced(user):
    request = RequestFactory().get(URL)
    request.user = user
    view = ConnectedAppsView.as_view(template_name="home.html")
    response = view(request)
    assert response.template_name == ["home.html"]


def test_revoke_access_withdraws_everything(signed_in, client_app, user):
    first = grant(signed_in, client_app, user)
    second = refresh(signed_in, client_app, first["refresh_token"]).json()
    response = submit(signed_in, revoke_form(signed_in, client_app))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == URL
    assert not Consent.objects.filter(user=user, client=client_app).exists()
    assert not RefreshToken.objects.filter(revoked_at__isnull=True).exists()
    for access_token in (first["access_token"], second["access_token"]):
        denied = api(signed_in, access_token)
        assert denied.status_code == HTTPStatus.UNAUTHORIZED
        assert denied.json()["error"] == "invalid_token"
    failed = refresh(signed_in, client_app, second["refresh_token"])
    assert failed.status_code == HTTPStatus.BAD_REQUEST
    assert failed.json()["error"] == "invalid_grant"
    page = signed_in.get(URL).content.decode()
    assert f"{client_app.name} can no longer access your account." in page
    assert "Revoke access" not in page


def test_after_revoking_the_app_must_ask_for_consent_again(signed_in, client_app, user):
    grant(signed_in, client_app, user)
    params = protocol.authorize_params(client_app)
    authorize_url = reverse("oauthcore:authorize") + "?" + urlencode(params)
    assert signed_in.get(authorize_url).status_code == HTTPStatus.FOUND  # consent known
    submit(signed_in, revoke_form(signed_in, client_app))
    response = signed_in.get(authorize_url)
    assert response.status_code == HTTPStatus.OK
    assert "oauthcore/consent.html" in [t.name for t in response.templates]


def test_access_tokens_without_refresh_tokens_and_pending_codes_die(signed_in, user):
    app = factories.ClientFactory(grant_types=["authorization_code"])
    issued = grant(signed_in, app, user)
    assert "refresh_token" not in issued
    pending = factories.make_code(app, user)
    submit(signed_in, revoke_form(signed_in, app))
    assert api(signed_in, issued["access_token"]).status_code == HTTPStatus.UNAUTHORIZED
    data = {"grant_type": "authorization_code", "code": pending}
    data.update(redirect_uri=factories.REDIRECT_URI, code_verifier=factories.VERIFIER)
    response = post_token(signed_in, data, **basic_auth(app.client_id))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_grant"


def test_expired_access_tokens_are_not_deny_listed(signed_in, client_app, user):
    grant(signed_in, client_app, user)
    past = timezone.now() - timedelta(hours=1)
    AuthorizationCode.objects.update(used_at=past, access_token_expires_at=past)
    RefreshToken.objects.update(access_token_expires_at=past)
    submit(signed_in, revoke_form(signed_in, client_app))
    assert not RevokedAccessToken.objects.exists()


def test_other_apps_and_other_users_keep_their_access(signed_in, client_app, user):
    mine = grant(signed_in, client_app, user)
    other_app = factories.ClientFactory()
    kept = grant(signed_in, other_app, user)
    bob = factories.UserFactory(username="bob")
    bobs = grant(signed_in, client_app, bob)
    submit(signed_in, revoke_form(signed_in, client_app))
    assert api(signed_in, mine["access_token"]).status_code == HTTPStatus.UNAUTHORIZED
    for issued, app in ((kept, other_app), (bobs, client_app)):
        assert api(signed_in, issued["access_token"]).status_code == HTTPStatus.OK
        assert refresh(signed_in, app, issued["refresh_token"]).status_code == HTTPStatus.OK
    assert Consent.objects.filter(user=bob, client=client_app).exists()
    assert Consent.objects.filter(user=user, client=other_app).exists()


def test_revoke_access_needs_the_csrf_token(user, client_app):
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(user)
    issued = grant(http, client_app, user)
    forged = http.post(URL, {"client": client_app.client_id})
    assert forged.status_code == HTTPStatus.FORBIDDEN
    assert Consent.objects.filter(user=user, client=client_app).exists()
    assert submit(http, revoke_form(http, client_app)).status_code == HTTPStatus.FOUND
    assert denylist.is_denied(access_tokens.decode(issued["access_token"]).jti)


@pytest.mark.parametrize("value", ["never-authorized", "", "x" * 500, "\x00", "1' OR 1=1"])
def test_a_client_the_user_never_authorized_is_404(signed_in, client_app, user, value):
    issued = grant(signed_in, client_app, user)
    if value == "never-authorized":
        value = factories.ClientFactory().client_id
    response = signed_in.post(URL, {"client": value})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert api(signed_in, issued["access_token"]).status_code == HTTPStatus.OK


def test_another_users_app_is_404(signed_in, client_app):
    factories.ConsentFactory(client=client_app)
    response = signed_in.post(URL, {"client": client_app.client_id})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert Consent.objects.filter(client=client_app).exists()


def test_the_home_page_links_to_the_page(signed_in):
    assert f'href="{URL}"' in signed_in.get("/").content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_revoking_while_the_app_refreshes_leaves_nothing_alive(client_app, user, round_):
    """A rotation racing "Revoke access" cannot leave a live successor (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serializes writers")
    http = HttpClient()
    http.force_login(user)
    issued = grant(http, client_app, user)
    barrier = threading.Barrier(2)

    def run(step):
        try:
            barrier.wait()
            step()
        finally:
            connection.close()

    steps = [
        lambda: refresh(HttpClient(), client_app, issued["refresh_token"]),
        lambda: http.post(URL, {"client": client_app.client_id}),
    ]
    threads = [threading.Thread(target=run, args=(step,)) for step in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = RefreshToken.objects.filter(client=client_app, user=user)
    assert not rows.filter(revoked_at__isnull=True).exists()
    for row in rows:
        assert denylist.is_denied(row.access_token_jti)
