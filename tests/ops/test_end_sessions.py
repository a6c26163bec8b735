"""Staff end all of a user's sessions: the admin action (user and consent lists, a confirmation
page, the permission), ``manage.py endsessions``; browser sessions, tokens, logout tokens, audit."""

from http import HTTPStatus
from io import StringIO

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.test import Client as HttpClient
from django.urls import reverse

from oauthcore.models import AuditEvent, Consent
from oauthcore.ops import session_actions
from tests import factories, oidc_flow
from tests.logout_receiver import Receiver, validate
from tests.protocol import refresh

pytestmark = pytest.mark.django_db(transaction=True)  # the task worker closes connections

USERS = reverse("admin:auth_user_changelist")
CONSENTS = reverse("admin:oauthcore_consent_changelist")
APPS = reverse("oauthcore:connected-apps")


@pytest.fixture(autouse=True)
def loopback_and_audit(settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "FETCH_ALLOW_LOOPBACK": True, "AUDIT_LOG": True}


@pytest.fixture
def receivers():
    with Receiver() as a, Receiver() as b:
        yield a, b


@pytest.fixture
def signed_in(user, receivers):
    """``user`` signed in twice, in two browsers, to two listening relying parties; a third
    browser signed in to this site only; another user signed in too."""
    apps = [factories.ClientFactory(backchannel_logout_uri=r.url) for r in receivers]
    browsers = [HttpClient(), HttpClient(), HttpClient()]
    bodies = [oidc_flow.sign_in(http, app, user) for http, app in zip(browsers, apps, strict=False)]
    browsers[2].force_login(user)
    bystander = HttpClient()
    bystander.force_login(factories.UserFactory(username="bystander"))
    return {"apps": apps, "browsers": browsers, "bodies": bodies, "bystander": bystander}


def run_tasks() -> None:
    call_command("db_worker", batch=True, no_startup_delay=True, stdout=StringIO())


def signed_in_still(http) -> bool:
    return http.get(APPS).status_code == HTTPStatus.OK


def api_status(http, access_token) -> int:
    return http.get("/api/profile/", HTTP_AUTHORIZATION=f"Bearer {access_token}").status_code


def assert_all_ended(http, state, receivers) -> None:
    """The user's sessions, tokens and relying parties are done; the bystander is not."""
    assert not any(signed_in_still(browser) for browser in state["browsers"])
    assert signed_in_still(state["bystander"])
    for app, body in zip(state["apps"], state["bodies"], strict=True):
        response = refresh(http, app, body["refresh_token"])
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert response.json()["error"] == "invalid_grant"
        assert api_status(http, body["access_token"]) == HTTPStatus.UNAUTHORIZED
    assert all(receiver.tokens == [] for receiver in receivers)  # queued, not sent in the request
    run_tasks()
    jwks = http.get(reverse("oauthcore:jwks")).json()
    for receiver, app, body in zip(receivers, state["apps"], state["bodies"], strict=True):
        [token] = receiver.tokens
        claims = validate(token, jwks, issuer="http://testserver", audience=app.client_id)
        id_token = oidc_flow.verify(http, body["id_token"], audience=app.client_id)
        assert (claims["sub"], claims["sid"]) == (id_token["sub"], id_token["sid"])


def test_the_user_admin_asks_first_then_ends_everything(
    admin_client, admin_user, user, signed_in, receivers
):
    selected = {"action": "end_sessions", "_selected_action": [user.pk]}
    page = admin_client.post(USERS, selected)
    assert page.status_code == HTTPStatus.OK
    assert "End all sessions?" in page.content.decode()
    assert "2 live refresh-token families" in page.content.decode()
    assert all(signed_in_still(browser) for browser in signed_in["browsers"])  # nothing yet

    done = admin_client.post(USERS, {**selected, "post": "yes"}, follow=True)
    message = "Sessions of 1 user ended: 3 browser sessions deleted; 2 refresh-token families "
    assert message + "revoked; 2 relying parties notified." in done.content.decode()
    assert_all_ended(admin_client, signed_in, receivers)
    assert Consent.objects.filter(user=user).count() == 2  # the apps stay allowed

    [event] = AuditEvent.objects.filter(event="sessions_ended")
    assert event.user == user and event.details["by"] == admin_user.username
    assert event.details["sessions"] == 3 and event.details["families"] == 2
    assert event.details["clients"] == sorted(app.client_id for app in signed_in["apps"])
    revoked = AuditEvent.objects.filter(event="token_revoked", user=user)
    assert revoked.count() == 2 and all(row.details["by"] == "admin" for row in revoked)
    entry = LogEntry.objects.get(action_flag=CHANGE)
    assert (entry.user, entry.object_id) == (admin_user, str(user.pk))


def test_the_consent_admin_ends_the_sessions_of_the_users_selected(
    admin_client, user, signed_in, receivers
):
    consent = Consent.objects.filter(user=user).first()
    selected = {"action": "end_sessions_of_users", "_selected_action": [consent.pk]}
    page = admin_client.post(CONSENTS, selected).content.decode()
    assert "End all sessions?" in page and 'value="end_sessions_of_users"' in page
    admin_client.post(CONSENTS, {**selected, "post": "yes"})
    assert_all_ended(admin_client, signed_in, receivers)


def test_staff_without_the_permission_to_change_users_cannot(client, user, signed_in):
    staff = get_user_model().objects.create_user("staff", password="pw", is_staff=True)
    perms = ["view_user", "view_consent", "delete_consent"]
    staff.user_permissions.add(*Permission.objects.filter(codename__in=perms))
    client.force_login(staff)
    assert 'value="end_sessions"' not in client.get(USERS).content.decode()
    assert 'value="end_sessions_of_users"' not in client.get(CONSENTS).content.decode()
    consent = Consent.objects.filter(user=user).first()
    for url, action, pk in [
        (USERS, "end_sessions", user.pk),
        (CONSENTS, "end_sessions_of_users", consent.pk),
    ]:
        client.post(url, {"action": action, "_selected_action": [pk], "post": "yes"})
    assert all(signed_in_still(browser) for browser in signed_in["browsers"])
    body = signed_in["bodies"][0]
    assert refresh(client, signed_in["apps"][0], body["refresh_token"]).status_code == 200


def test_too_many_users_at_once_are_refused(admin_client, monkeypatch, user, signed_in):
    monkeypatch.setattr(session_actions, "MAX_USERS", 1)
    everyone = list(get_user_model().objects.values_list("pk", flat=True))
    response = admin_client.post(
        USERS, {"action": "end_sessions", "_selected_action": everyone, "post": "yes"}, follow=True
    )
    assert "Select at most 1 users at a time" in response.content.decode()
    assert all(signed_in_still(browser) for browser in signed_in["browsers"])


def test_the_command_ends_everything_and_says_what(client, user, signed_in, receivers):
    out = StringIO()
    call_command("endsessions", user.username, stdout=out)
    apps = ", ".join(sorted(app.client_id for app in signed_in["apps"]))
    assert out.getvalue().strip() == (
        "Users: 1. Browser sessions ended: 3. Refresh-token families revoked: 2. "
        f"Relying parties notified: 2 ({apps})."
    )
    assert_all_ended(client, signed_in, receivers)
    [event] = AuditEvent.objects.filter(event="sessions_ended")
    assert "by" not in event.details


def test_the_command_refuses_an_unknown_user(user):
    with pytest.raises(CommandError, match="No such user: nobody"):
        call_command("endsessions", user.username, "nobody", stdout=StringIO())
    assert not AuditEvent.objects.filter(event="sessions_ended").exists()


def test_a_session_backend_that_cannot_list_still_ends_the_tokens(settings, client, user):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    with Receiver() as receiver:
        app = factories.ClientFactory(backchannel_logout_uri=receiver.url)
        body = oidc_flow.sign_in(HttpClient(), app, user)
        out = StringIO()
        call_command("endsessions", user.username, stdout=out)
        assert "Browser sessions ended: not listable." in out.getvalue()
        assert refresh(client, app, body["refresh_token"]).status_code == 400
        run_tasks()
        assert [claims["aud"] for claims in receiver.claims()] == [app.client_id]


@pytest.mark.parametrize(
    "engine",
    ["django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"],
)
def test_every_session_is_found_compressed_or_cached(settings, admin_client, user, engine):
    settings.SESSION_ENGINE = engine
    browsers = [HttpClient(), HttpClient()]
    for browser in browsers:
        browser.force_login(user)
    session = browsers[1].session
    session["bulky"] = "x" * 5000  # signing.dumps compresses it: the row starts with a dot
    session.save()
    assert Session.objects.get(session_key=session.session_key).session_data.startswith(".")
    admin_client.post(
        USERS, {"action": "end_sessions", "_selected_action": [user.pk], "post": "yes"}
    )
    assert not any(signed_in_still(browser) for browser in browsers)
    assert signed_in_still(admin_client)


def test_staff_ending_their_own_sessions_are_signed_out_too(admin_client, admin_user):
    other_browser = HttpClient()
    other_browser.force_login(admin_user)
    selected = {"action": "end_sessions", "_selected_action": [admin_user.pk], "post": "yes"}
    response = admin_client.post(USERS, selected)
    assert response.status_code == HTTPStatus.FOUND
    assert not signed_in_still(admin_client) and not signed_in_still(other_browser)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            "Sessions of 1 user ended: 1 browser session deleted; 1 refresh-token family revoked;"
            " 1 relying party notified.",
        ),
        (
            "de",
            "1 Browser-Sitzung gelöscht; 1 Refresh-Token-Familie widerrufen; 1 Client benachrichtigt.",
        ),
    ],
)
def test_the_summary_counts_one_of_each_in_the_singular(
    settings, admin_client, user, receivers, language, expected
):
    settings.LANGUAGE_CODE = language
    app = factories.ClientFactory(backchannel_logout_uri=receivers[0].url)
    oidc_flow.sign_in(HttpClient(), app, user)
    selected = {"action": "end_sessions", "_selected_action": [user.pk], "post": "yes"}
    done = admin_client.post(USERS, selected, follow=True, HTTP_ACCEPT_LANGUAGE=language)
    assert expected in done.content.decode()
