"""RP-Initiated Logout 1.0: id_token_hint, post_logout_redirect_uri, state, confirmation."""

import json
from datetime import timedelta
from http import HTTPStatus

import jwt
import pytest
from django.core.management import CommandError, call_command
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from oauthcore.jose import keys
from oauthcore.models import Client
from oauthcore.oidc import id_tokens
from tests import browser, factories, oidc_flow

pytestmark = pytest.mark.django_db

URL = "/oauth/logout/"
BACK = "https://app.example.com/logged-out"


@pytest.fixture
def rp(client_app):
    client_app.post_logout_redirect_uris = [BACK]
    client_app.save()
    return client_app


def signed_in(http) -> bool:
    return "_auth_user_id" in http.session


def test_the_url_is_named_and_advertised(client):
    assert reverse("oauthcore:end-session") == URL
    doc = client.get("/.well-known/openid-configuration").json()
    assert doc["end_session_endpoint"] == "http://testserver" + URL


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_hint_of_this_session_logs_out_at_once(client, rp, user, method):
    body = oidc_flow.sign_in(client, rp, user)
    params = {"id_token_hint": body["id_token"], "post_logout_redirect_uri": BACK, "state": "s1"}
    response = getattr(client, method)(URL, params)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == BACK + "?state=s1"
    assert not signed_in(client)
    assert id_tokens.SESSION_KEY not in client.session


def test_without_redirect_the_user_sees_the_logged_out_page(client, rp, user):
    body = oidc_flow.sign_in(client, rp, user)
    response = client.get(URL, {"id_token_hint": body["id_token"]})
    assert response.status_code == HTTPStatus.OK
    assert "You are logged out" in response.content.decode()
    assert not signed_in(client)


def test_without_a_hint_the_user_confirms(client, rp, user):
    client.force_login(user)
    response = client.get(URL, {"client_id": rp.client_id, "post_logout_redirect_uri": BACK})
    assert response.status_code == HTTPStatus.OK
    assert response["X-Frame-Options"] == "DENY"
    assert signed_in(client)
    page = response.content.decode()
    assert rp.name in page
    form = browser.form_with_button(page, "Log out")
    response = client.post(form.action, dict(form.data("Log out")))
    assert response["Location"] == BACK
    assert not signed_in(client)


def test_a_hint_of_another_session_needs_confirmation(client, rp, user):
    elsewhere = HttpClient()
    body = oidc_flow.sign_in(elsewhere, rp, user)
    client.force_login(user)
    response = client.get(URL, {"id_token_hint": body["id_token"]})
    assert response.status_code == HTTPStatus.OK
    assert "Log out" in response.content.decode()
    assert signed_in(client) and signed_in(elsewhere)


def test_the_confirmation_is_csrf_protected(rp, user):
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(user)
    response = http.post(URL, {"confirm": "yes", "client_id": rp.client_id})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert signed_in(http)
    page = http.get(URL, {"client_id": rp.client_id}).content.decode()
    form = browser.form_with_button(page, "Log out")
    response = http.post(form.action, dict(form.data("Log out")))
    assert response.status_code == HTTPStatus.OK
    assert not signed_in(http)


def test_an_anonymous_user_is_simply_sent_back(client, rp, user):
    body = oidc_flow.sign_in(client, rp, user)
    client.logout()
    params = {"id_token_hint": body["id_token"], "post_logout_redirect_uri": BACK, "state": "x"}
    assert client.get(URL, params)["Location"] == BACK + "?state=x"


def test_an_expired_hint_is_still_a_hint(client, rp, user):
    client.force_login(user)
    session = client.session
    session[id_tokens.SESSION_KEY] = sid = "a-session-id"
    session.save()
    hint = id_tokens.issue(
        client=rp,
        user=user,
        access_token="unused",
        sid=sid,
        now=timezone.now() - timedelta(hours=2),
    )
    response = client.get(URL, {"id_token_hint": hint, "post_logout_redirect_uri": BACK})
    assert response["Location"] == BACK


@pytest.mark.parametrize(
    "params",
    [
        {"post_logout_redirect_uri": "https://evil.example/"},  # no client named
        {"client_id": "{client_id}", "post_logout_redirect_uri": "https://evil.example/"},
        {"client_id": "{client_id}", "post_logout_redirect_uri": BACK + "/more"},  # exact match
        {"client_id": "no-such-client"},
        {"id_token_hint": "not-a-jwt"},
    ],
)
def test_bad_requests_show_an_error_and_log_nobody_out(client, rp, user, params):
    client.force_login(user)
    params = {name: value.format(client_id=rp.client_id) for name, value in params.items()}
    response = client.get(URL, params)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "evil.example" not in response.get("Location", "")
    assert signed_in(client)


def test_client_id_must_match_the_hint(client, rp, user):
    body = oidc_flow.sign_in(client, rp, user)
    other = factories.ClientFactory(post_logout_redirect_uris=[BACK])
    response = client.get(URL, {"id_token_hint": body["id_token"], "client_id": other.client_id})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert signed_in(client)


def test_an_access_token_is_never_a_hint(client, rp, user):
    body = oidc_flow.sign_in(client, rp, user)
    response = client.get(URL, {"id_token_hint": body["access_token"]})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert signed_in(client)


@pytest.mark.parametrize("change", ["issuer", "signature"])
def test_a_forged_hint_is_refused(client, rp, user, change):
    body = oidc_flow.sign_in(client, rp, user)
    claims = jwt.decode(body["id_token"], options={"verify_signature": False})
    header = jwt.get_unverified_header(body["id_token"])
    if change == "issuer":
        # Re-signed by a key we know nothing about, claiming another issuer.
        other = keys.from_private_key(keys.generate_private_key("RS256"))
        forged = jwt.encode(
            {**claims, "iss": "https://evil.example"},
            other.private_key,
            "RS256",
            headers={"kid": header["kid"], "typ": "JWT"},
        )
    else:
        head, payload, signature = body["id_token"].split(".")
        forged = f"{head}.{payload}.{signature[::-1]}"
    response = client.get(URL, {"id_token_hint": forged})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert signed_in(client)


def test_our_own_key_with_another_issuer_is_refused(client, settings, rp, user):
    body = oidc_flow.sign_in(client, rp, user)
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ISSUER": "http://other.testserver"}
    response = client.get(URL, {"id_token_hint": body["id_token"]})
    assert response.status_code == HTTPStatus.BAD_REQUEST


# Registration of post-logout redirect URIs


def test_createclient_registers_post_logout_redirect_uris(capsys):
    call_command(
        "createclient",
        "--name=RP",
        "--grant-types=authorization_code",
        "--redirect-uris=https://rp.example.com/cb",
        "--post-logout-redirect-uris=https://rp.example.com/bye",
        "--scopes=openid",
        "--json",
    )
    data = json.loads(capsys.readouterr().out)
    assert data["post_logout_redirect_uris"] == ["https://rp.example.com/bye"]
    client = Client.objects.get(client_id=data["client_id"])
    assert client.post_logout_redirect_uris == ["https://rp.example.com/bye"]


def test_createclient_refuses_an_unsafe_post_logout_uri():
    with pytest.raises(CommandError, match="https"):
        call_command(
            "createclient",
            "--name=RP",
            "--grant-types=authorization_code",
            "--redirect-uris=https://rp.example.com/cb",
            "--post-logout-redirect-uris=http://rp.example.com/bye",
        )


def test_the_admin_edits_post_logout_redirect_uris(admin_client, rp):
    url = reverse("admin:oauthcore_client_change", args=[rp.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="post_logout_redirect_uris"' in page
    assert BACK in page
