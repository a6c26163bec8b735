"""Secrets hashed elsewhere: ``django$<Django password hash>`` (django-oauth-toolkit's client
secrets, carried over by ``importdot``) verify with Django's hashers and are upgraded on use."""

from http import HTTPStatus

import pytest
from django.contrib.auth.hashers import make_password

from oauthcore import crypto
from oauthcore.models import Client
from tests import factories
from tests.protocol import basic_auth, post_token

pytestmark = pytest.mark.django_db

RAW = factories.DEMO_SECRET


def django_hash(raw: str = RAW) -> str:
    """Return ``raw`` as DOT stores a client secret: by Django's first password hasher."""
    return "django$" + make_password(raw)


def authenticate(http, client_app, secret=RAW):
    data = {"grant_type": "client_credentials", "scope": "read:profile"}
    return post_token(http, data, **basic_auth(client_app.client_id, secret))


def test_a_django_password_hash_verifies_and_never_stores():
    stored = django_hash()
    assert crypto.matches(RAW, stored)
    assert not crypto.matches("not-the-secret", stored)
    assert crypto.needs_upgrade(stored)
    assert all(not form.startswith("django$") for form in crypto.stored_forms(RAW))
    with pytest.raises(ValueError, match="django"):
        crypto.register_hasher(crypto.DJANGO, preferred=True)


def test_a_client_secret_hashed_by_django_is_upgraded_on_its_first_use(client, client_app):
    Client.objects.filter(pk=client_app.pk).update(secret_hash=django_hash())
    assert authenticate(client, client_app).status_code == HTTPStatus.OK
    client_app.refresh_from_db()
    assert client_app.secret_hash == crypto.hash_token(RAW)
    assert authenticate(client, client_app).status_code == HTTPStatus.OK


def test_a_wrong_secret_is_refused_and_upgrades_nothing(client, client_app):
    stored = django_hash()
    Client.objects.filter(pk=client_app.pk).update(secret_hash=stored)
    response = authenticate(client, client_app, secret="guess")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_client"
    client_app.refresh_from_db()
    assert client_app.secret_hash == stored


@pytest.mark.parametrize(
    "stored",
    [
        f"django${RAW}",  # a plaintext dressed as a hash: no hasher reads it
        "django$!" + "x" * 40,  # Django's unusable password
        "django$",
        "django$unknown_algo$1$salt$hash",
    ],
)
def test_what_is_not_a_django_hash_matches_nothing(client, client_app, stored):
    Client.objects.filter(pk=client_app.pk).update(secret_hash=stored)
    assert authenticate(client, client_app).status_code == HTTPStatus.UNAUTHORIZED
    for guess in (RAW, stored.removeprefix("django$"), ""):
        assert not crypto.matches(guess, stored)


def test_a_foreign_hash_must_fit_the_column():
    assert crypto.foreign_hash("django", "md5$salt$abc") == "django$md5$salt$abc"
    with pytest.raises(ValueError):
        crypto.foreign_hash("django", "x" * crypto.MAX_STORED_LENGTH)
    with pytest.raises(ValueError):
        crypto.foreign_hash("unregistered", "abc")
