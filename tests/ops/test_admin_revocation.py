"""Staff end access in the admin: revoke a consent, refresh-token families; see a user's grants."""

from http import HTTPStatus

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from oauthcore import signals
from oauthcore.models import AuthorizationCode, Client, Consent, RefreshToken
from tests import factories
from tests.protocol import redeem, refresh

pytestmark = pytest.mark.django_db

CONSENTS = reverse("admin:oauthcore_consent_changelist")


@pytest.fixture
def sent():
    """Record (signal name, kwargs) of the revocation signals sent during the test."""
    calls, receivers = [], {}
    for name in ("consent_revoked", "token_revoked"):

        def receiver(sender, signal, _name=name, **kwargs):
            calls.append((_name, kwargs))

        receivers[name] = receiver
        getattr(signals, name).connect(receiver)
    yield calls
    for name, receiver in receivers.items():
        getattr(signals, name).disconnect(receiver)


def grant(http, app, user):
    """A consent and tokens of ``user`` for ``app``, as after the consent screen."""
    consent = factories.ConsentFactory(user=user, client=app)
    response = redeem(http, app, user, scope="read:profile")
    assert response.status_code == HTTPStatus.OK
    return consent, response.json()


def api_status(http, access_token):
    return http.get("/api/profile/", HTTP_AUTHORIZATION=f"Bearer {access_token}").status_code


def refresh_status(http, app, refresh_token):
    return refresh(http, app, refresh_token).status_code


def test_revoke_access_action_ends_what_the_user_gave(
    admin_client, admin_user, client_app, user, sent
):
    consent, issued = grant(admin_client, client_app, user)
    spare_code = factories.make_code(client_app, user)
    other, other_issued = grant(admin_client, factories.ClientFactory(), user)
    response = admin_client.post(
        CONSENTS,
        {"action": "revoke_access", "_selected_action": [consent.pk]},
        follow=True,
    )
    assert "Access of 1 app revoked." in response.content.decode()
    assert not Consent.objects.filter(pk=consent.pk).exists()
    assert api_status(admin_client, issued["access_token"]) == HTTPStatus.UNAUTHORIZED
    assert refresh_status(admin_client, client_app, issued["refresh_token"]) == 400
    assert AuthorizationCode.objects.by_value(spare_code).get().used_at is not None
    # The other app keeps its access.
    assert Consent.objects.filter(pk=other.pk).exists()
    assert api_status(admin_client, other_issued["access_token"]) == HTTPStatus.OK
    names = [name for name, _ in sent]
    assert names == ["token_revoked", "consent_revoked"]
    assert sent[1][1] == {
        "client": client_app,
        "user": user,
        "scopes": ["read:profile"],
        "by": admin_user,
    }
    entry = LogEntry.objects.get(action_flag=DELETION)
    assert (entry.user, entry.object_id) == (admin_user, str(consent.pk))


def test_revoke_access_needs_the_delete_permission(client, client_app, user):
    consent, issued = grant(client, client_app, user)
    staff = get_user_model().objects.create_user("staff", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_consent"))
    client.force_login(staff)
    page = client.get(CONSENTS).content.decode()
    assert 'value="revoke_access"' not in page
    client.post(CONSENTS, {"action": "revoke_access", "_selected_action": [consent.pk]})
    assert Consent.objects.filter(pk=consent.pk).exists()
    assert api_status(client, issued["access_token"]) == HTTPStatus.OK


def test_consents_filter_by_user_and_show_live_grants(admin_client, client_app, user):
    consent, issued = grant(admin_client, client_app, user)
    bob = factories.UserFactory(username="bob")
    bobs = factories.ConsentFactory(user=bob, client=factories.ClientFactory(name="Bob's App"))
    page = admin_client.get(CONSENTS, {"user": user.pk}).content.decode()
    assert reverse("admin:oauthcore_consent_change", args=[consent.pk]) in page
    assert reverse("admin:oauthcore_consent_change", args=[bobs.pk]) not in page
    # the filter names the chosen user only: it never lists the distinct users of the table
    assert f"?user={user.pk}" in page and f"?user={bob.pk}" not in page

    url = reverse("admin:oauthcore_consent_change", args=[consent.pk])
    detail = admin_client.get(url).content.decode()
    assert "Live refresh-token families: 1." in detail
    refreshed = RefreshToken.objects.get().created_at.strftime("%Y")
    assert "Tokens last issued: " in detail and refreshed in detail
    refresh(admin_client, client_app, issued["refresh_token"])
    assert "Live refresh-token families: 1." in admin_client.get(url).content.decode()
    bob_url = reverse("admin:oauthcore_consent_change", args=[bobs.pk])
    bob_page = admin_client.get(bob_url).content.decode()
    assert "Live refresh-token families: 0. Tokens last issued: never." in bob_page


def test_refresh_token_family_action_revokes_and_signals(
    admin_client, admin_user, client_app, user, sent
):
    _, issued = grant(admin_client, client_app, user)
    token = RefreshToken.objects.get()
    response = admin_client.post(
        reverse("admin:oauthcore_refreshtoken_changelist"),
        {"action": "revoke_families", "_selected_action": [token.pk]},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert refresh_status(admin_client, client_app, issued["refresh_token"]) == 400
    assert api_status(admin_client, issued["access_token"]) == HTTPStatus.UNAUTHORIZED
    assert sent == [
        (
            "token_revoked",
            {
                "client": client_app,
                "user": user,
                "token_type": "refresh_token",
                "jti": None,
                "family_id": token.family_id,
                "by": admin_user,
            },
        )
    ]


def test_deactivate_action_needs_the_change_permission(client, client_app):
    staff = get_user_model().objects.create_user("staff", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_client"))
    client.force_login(staff)
    changelist = reverse("admin:oauthcore_client_changelist")
    assert 'value="deactivate_and_revoke"' not in client.get(changelist).content.decode()
    client.post(
        changelist, {"action": "deactivate_and_revoke", "_selected_action": [client_app.pk]}
    )
    client_app.refresh_from_db()
    assert client_app.is_active


def test_client_page_shows_when_it_was_deactivated(admin_client, client_app):
    client_app.is_active = False
    client_app.save()
    url = reverse("admin:oauthcore_client_change", args=[client_app.pk])
    page = admin_client.get(url).content.decode()
    assert "Last deactivated" in page
    assert str(client_app.deactivated_at.year) in page


def test_deleting_a_client_takes_its_consents_and_grants_along(admin_client, client_app, user):
    consent = factories.ConsentFactory(user=user, client=client_app)
    factories.make_code(client_app, user)
    kept = factories.ConsentFactory(user=user, client=factories.ClientFactory())
    url = reverse("admin:oauthcore_client_delete", args=[client_app.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == HTTPStatus.FOUND
    assert not Client.objects.filter(pk=client_app.pk).exists()
    assert list(Consent.objects.all()) == [kept]
    assert not Consent.objects.filter(pk=consent.pk).exists()
    assert not AuthorizationCode.objects.exists()


def test_a_client_with_refresh_tokens_is_deactivated_not_deleted_in_the_admin(
    admin_client, client_app, user
):
    """Refresh tokens are kept to detect reuse, so the admin will not delete them along."""
    grant(admin_client, client_app, user)
    url = reverse("admin:oauthcore_client_delete", args=[client_app.pk])
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Client.objects.filter(pk=client_app.pk).exists()
    client_app.delete()  # from the shell: everything goes along
    assert not Consent.objects.exists()
    assert not RefreshToken.objects.exists()
