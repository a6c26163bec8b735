"""Deactivating a client makes every token it holds fail at once, and after a reactivation too."""

import math
import time
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from oauthcore import generation, signals
from oauthcore.models import AuthorizationCode, Client, RefreshToken
from oauthcore.resource_server import denylist
from tests import factories
from tests.protocol import client_credentials, introspect, refresh, tokens_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def deactivated():
    """Record the ``client_deactivated`` signals sent during the test."""
    calls = []

    def receiver(sender, **kwargs):
        calls.append(kwargs)

    signals.client_deactivated.connect(receiver)
    yield calls
    signals.client_deactivated.disconnect(receiver)


def machine_token(http, app):
    response = client_credentials(http, app, scope="publish")
    assert response.status_code == HTTPStatus.OK
    return response.json()["access_token"]


def profile(http, access_token):
    return http.get("/api/profile/", HTTP_AUTHORIZATION=f"Bearer {access_token}")


def assert_refused(http, access_token):
    response = profile(http, access_token)
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def described(http, resource_server, token):
    """Return the introspection answer ``resource_server`` gets for ``token``."""
    return introspect(http, resource_server, token).json()


def change_form(app, *, active):
    """The admin change form of ``app`` as it stands, with ``is_active`` set."""
    data = {
        "name": app.name,
        "client_type": app.client_type,
        "grant_types": app.grant_types,
        "redirect_uris": "\n".join(app.redirect_uris),
        "allowed_scopes": app.allowed_scopes,
        "audience": "",
        "access_token_lifetime": "",
        "refresh_token_lifetime": "",
        "metadata": "{}",
    }
    return {**data, "is_active": "on"} if active else data


def set_active(admin_client, app, active):
    url = reverse("admin:oauthcore_client_change", args=[app.pk])
    response = admin_client.post(url, change_form(app, active=active))
    assert response.status_code == HTTPStatus.FOUND, response.content
    app.refresh_from_db()
    assert app.is_active is active


def wait_past_second_of(moment):
    """Sleep into the next whole second: ``iat`` has one-second resolution."""
    time.sleep(max(0.0, math.floor(moment.timestamp()) + 1 - time.time()) + 0.01)


def test_unticking_active_in_the_admin_refuses_every_token_at_once(
    admin_client, admin_user, client_app, user, deactivated
):
    issued = [tokens_for(admin_client, client_app, user) for _ in range(2)]
    machine = machine_token(admin_client, client_app)
    other_app = factories.ClientFactory()
    other = tokens_for(admin_client, other_app, user)
    resource_server = factories.ClientFactory(can_introspect=True)
    code = factories.make_code(client_app, user)
    set_active(admin_client, client_app, False)

    for tokens in issued:
        assert_refused(admin_client, tokens["access_token"])
        assert described(admin_client, resource_server, tokens["access_token"]) == {"active": False}
        assert refresh(admin_client, client_app, tokens["refresh_token"]).status_code == 401
    auth = {"HTTP_AUTHORIZATION": f"Bearer {machine}"}
    assert admin_client.post("/api/publish/", {"content": "x"}, **auth).status_code == 401
    # Families are marked revoked (the audit trail), codes spent; other clients are untouched.
    assert not RefreshToken.objects.filter(client=client_app, revoked_at__isnull=True).exists()
    assert not AuthorizationCode.objects.filter(client=client_app, used_at__isnull=True).exists()
    assert AuthorizationCode.objects.by_value(code).get().family_id is None
    assert profile(admin_client, other["access_token"]).status_code == HTTPStatus.OK
    assert RefreshToken.objects.filter(client=other_app, revoked_at__isnull=True).exists()
    assert client_app.deactivated_at is not None
    assert deactivated == [{"signal": signals.client_deactivated, "client": client_app,
                            "by": admin_user, "families": 2}]  # fmt: skip


def test_the_admin_action_deactivates_and_revokes(admin_client, client_app, user, deactivated):
    second = factories.ClientFactory()
    issued = {app.pk: tokens_for(admin_client, app, user) for app in (client_app, second)}
    spare = factories.ClientFactory()
    response = admin_client.post(
        reverse("admin:oauthcore_client_changelist"),
        {"action": "deactivate_and_revoke", "_selected_action": [client_app.pk, second.pk]},
        follow=True,
    )
    assert "2 clients deactivated" in response.content.decode()
    for app in (client_app, second):
        app.refresh_from_db()
        assert not app.is_active
        assert_refused(admin_client, issued[app.pk]["access_token"])
    spare.refresh_from_db()
    assert spare.is_active
    assert [call["families"] for call in deactivated] == [1, 1]
    # Running it again on inactive clients changes nothing and sends nothing.
    admin_client.post(
        reverse("admin:oauthcore_client_changelist"),
        {"action": "deactivate_and_revoke", "_selected_action": [client_app.pk]},
    )
    assert len(deactivated) == 2


@pytest.mark.parametrize("update_fields", [None, ["is_active"]])
def test_saving_inactive_anywhere_refuses_tokens(
    client, client_app, user, update_fields, deactivated
):
    issued = tokens_for(client, client_app, user)
    app = Client.objects.get(pk=client_app.pk)
    app.is_active = False
    app.save(update_fields=update_fields)
    assert_refused(client, issued["access_token"])
    assert Client.objects.get(pk=app.pk).deactivated_at == app.deactivated_at
    app.save()  # saving an already inactive client is no new deactivation
    assert len(deactivated) == 1
    assert deactivated[0]["by"] is None


def test_reactivation_keeps_old_tokens_refused_and_new_ones_work(admin_client, client_app, user):
    old = tokens_for(admin_client, client_app, user)
    old_machine = machine_token(admin_client, client_app)
    resource_server = factories.ClientFactory(can_introspect=True)
    set_active(admin_client, client_app, False)
    set_active(admin_client, client_app, True)
    assert client_app.deactivated_at is not None  # kept: the cut-off for old tokens
    wait_past_second_of(client_app.deactivated_at)

    new = tokens_for(admin_client, client_app, user)
    assert profile(admin_client, new["access_token"]).status_code == HTTPStatus.OK
    assert described(admin_client, resource_server, new["access_token"])["active"] is True
    assert_refused(admin_client, old["access_token"])
    assert described(admin_client, resource_server, old["access_token"]) == {"active": False}
    auth = {"HTTP_AUTHORIZATION": f"Bearer {old_machine}"}
    assert admin_client.post("/api/publish/", {"content": "x"}, **auth).status_code == 401
    assert refresh(admin_client, client_app, old["refresh_token"]).status_code == 400
    assert refresh(admin_client, client_app, new["refresh_token"]).status_code == 200


def test_a_second_deactivation_moves_the_cut_off(admin_client, client_app, user):
    set_active(admin_client, client_app, False)
    first_cut = client_app.deactivated_at
    set_active(admin_client, client_app, True)
    wait_past_second_of(first_cut)
    issued = tokens_for(admin_client, client_app, user)
    assert profile(admin_client, issued["access_token"]).status_code == HTTPStatus.OK
    set_active(admin_client, client_app, False)
    assert client_app.deactivated_at > first_cut
    assert_refused(admin_client, issued["access_token"])


def test_a_cleared_cache_changes_nothing(client, client_app, user):
    issued = tokens_for(client, client_app, user)
    active_app = factories.ClientFactory()
    kept = tokens_for(client, active_app, user)
    client_app.is_active = False
    client_app.save()
    caches["default"].clear()  # a restarted Redis, or evicted keys: the cache holds no part
    denylist.forget()  # and a new process
    assert_refused(client, issued["access_token"])
    assert profile(client, kept["access_token"]).status_code == HTTPStatus.OK


def test_a_deactivation_made_without_save_is_found_after_a_reload(client, client_app, user):
    """A queryset update() moves no generation: a process reading afresh still sees it."""
    issued = tokens_for(client, client_app, user)
    Client.objects.filter(pk=client_app.pk).update(deactivated_at=timezone.now())
    denylist.forget()  # a new process
    assert_refused(client, issued["access_token"])


def test_an_api_request_costs_no_cache_call_and_no_query(
    client, settings, client_app, user, monkeypatch, django_assert_max_num_queries
):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "KEY_CACHE_TTL": timedelta(hours=1)}
    issued = tokens_for(client, client_app, user)
    assert profile(client, issued["access_token"]).status_code == HTTPStatus.OK  # loads the list
    calls = []
    cache = caches["default"]
    for name in ("get", "get_many", "has_key", "set", "add"):
        original = getattr(cache, name)

        def spy(*args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(cache, name, spy)
    with django_assert_max_num_queries(1):  # the user, for request.user
        assert profile(client, issued["access_token"]).status_code == HTTPStatus.OK
    generation.forget()  # SYNC_INTERVAL has passed
    with django_assert_max_num_queries(2):  # the generation (unchanged: nothing reloaded); the user
        assert profile(client, issued["access_token"]).status_code == HTTPStatus.OK
    client_app.is_active = False
    client_app.save()
    assert_refused(client, issued["access_token"])  # this process at once, others within 1 s
    assert calls == []


def test_deactivating_a_client_with_no_tokens_is_harmless(client_app, deactivated):
    client_app.is_active = False
    client_app.save()
    assert deactivated[0]["families"] == 0
    assert not denylist.is_denied("some-jti")
    assert denylist.is_denied("some-jti", client_id=client_app.client_id, issued_at=0)
    later = client_app.deactivated_at.timestamp() + 1  # minted by a process with a stale copy
    assert denylist.is_denied("some-jti", client_id=client_app.client_id, issued_at=later)
    client_app.is_active = True
    client_app.save()
    assert denylist.is_denied("some-jti", client_id=client_app.client_id, issued_at=0)
    assert not denylist.is_denied("some-jti", client_id=client_app.client_id, issued_at=later)
