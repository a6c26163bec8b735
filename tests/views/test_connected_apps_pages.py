"""The connected-apps page pages through a user's apps without counting them."""

from http import HTTPStatus

import pytest
from django.contrib import admin
from django.urls import reverse

from oauthcore.models import Consent
from oauthcore.views.connected_apps import ConnectedAppsView
from tests import factories

pytestmark = pytest.mark.django_db

URL = reverse("oauthcore:connected-apps")


@pytest.fixture
def many(client, user):
    """25 apps the user allowed (the newest consent first on the page), signed in."""
    apps = [factories.ConsentFactory(user=user).client for _ in range(25)]
    factories.ConsentFactory(user=factories.UserFactory(username="other"))
    client.force_login(user)
    return apps


def names(response) -> list[str]:
    return [app["client"].name for app in response.context["apps"]]


def test_the_first_page_shows_twenty_and_links_the_next(client, many):
    response = client.get(URL)
    assert len(names(response)) == ConnectedAppsView.paginate_by == 20
    page = response.content.decode()
    assert 'href="?page=2"' in page and "Next page" in page and "Previous page" not in page


def test_the_last_page_shows_the_rest(client, many):
    response = client.get(URL, {"page": "2"})
    shown = names(response) + names(client.get(URL))
    assert sorted(shown) == sorted(app.name for app in many)  # each app once, none of others
    page = response.content.decode()
    assert 'href="?page=1"' in page and "Next page" not in page


def test_a_later_page_costs_what_the_first_does(client, many, django_assert_num_queries):
    # session; user; one page of consents with their clients, one row more; their last use
    with django_assert_num_queries(4):
        assert client.get(URL, {"page": "2"}).status_code == HTTPStatus.OK


@pytest.mark.parametrize("value", ["0", "-1", "abc", "²", "1.5", "9999999", "3", ""])
def test_a_page_that_is_not_there_is_a_404(client, many, value):
    assert client.get(URL, {"page": value}).status_code == HTTPStatus.NOT_FOUND


def test_one_page_has_no_links(client, user):
    factories.ConsentFactory(user=user)
    client.force_login(user)
    page = client.get(URL).content.decode()
    assert "Next page" not in page and "Previous page" not in page


def test_the_admins_per_user_list_pages(admin_client, user, monkeypatch):
    for _ in range(3):
        factories.ConsentFactory(user=user)
    factories.ConsentFactory()
    monkeypatch.setattr(admin.site._registry[Consent], "list_per_page", 2)
    changelist = reverse("admin:oauthcore_consent_changelist")
    first = admin_client.get(changelist, {"user": user.pk})
    assert len(first.context["cl"].result_list) == 2 and first.context["cl"].multi_page
    second = admin_client.get(changelist, {"user": user.pk, "p": "2"})
    assert len(second.context["cl"].result_list) == 1
