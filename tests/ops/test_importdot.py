"""``importdot`` and the transition setting in a project without django-oauth-toolkit.

With DOT installed they are tested on a real DOT project: tests/integration/test_migrating_from_dot.py.
"""

from http import HTTPStatus
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from oauthcore.management.commands.importdot import Command
from oauthcore.models import Client
from oauthcore.ops import checks

pytestmark = pytest.mark.django_db


@pytest.fixture
def transition(settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ACCEPT_DOT_ACCESS_TOKENS": True}


def test_importdot_says_dot_is_not_installed_and_writes_nothing():
    with pytest.raises(CommandError, match=r"django-oauth-toolkit \(oauth2_provider\) is not"):
        call_command("importdot", "--commit")
    assert not Client.objects.exists()


def test_the_transition_setting_is_off_by_default():
    assert not [e for e in checks.check_settings() if e.id in ("oauthcore.E020", "oauthcore.E021")]


def test_the_transition_setting_without_dot_is_a_system_check_error(transition):
    (error,) = [e for e in checks.check_settings() if e.id.startswith("oauthcore.E02")]
    assert error.id == "oauthcore.E020"
    assert "oauth2_provider" in error.msg


@pytest.mark.parametrize("on", [False, True])
def test_an_opaque_token_is_refused_without_dot(client, settings, on):
    if on:
        settings.OAUTHCORE = {**settings.OAUTHCORE, "ACCEPT_DOT_ACCESS_TOKENS": True}
    response = client.get(
        "/api/profile/", HTTP_AUTHORIZATION="Bearer abcdefghij0123456789ABCDEFGHIJ"
    )
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_a_large_table_gets_a_progress_bar():
    stderr = StringIO()
    command = Command(stderr=stderr)
    tell = command.progress("refresh tokens", 2000)
    tell(1000)
    tell(2000)
    assert "refresh tokens: [" in stderr.getvalue()
    assert "2000/2000" in stderr.getvalue()
    small = StringIO()
    Command(stderr=small).progress("applications", 3)(3)
    assert small.getvalue() == ""
