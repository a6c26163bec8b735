"""Stored hashes name their algorithm (``sha256$<hex>``): old values still verify, and upgrade on use."""

import hashlib
from datetime import timedelta
from http import HTTPStatus

import pytest

from oauthcore import crypto
from oauthcore.models import AuthorizationCode, Client, RefreshToken
from oauthcore.server import client_auth
from tests import factories
from tests.protocol import basic_auth, post_token, redeem

pytestmark = pytest.mark.django_db

RAW = "a-bearer-secret"
# A test-only algorithm: a stand-in for the one that will follow (or precede) sha256.
SHA3 = crypto.Hasher("sha3_256", lambda data: hashlib.sha3_256(data).hexdigest())


@pytest.fixture
def registry():
    """Let a test register hashers; restore the registry afterwards."""
    saved = list(crypto.HASHERS)
    yield
    crypto.HASHERS[:] = saved


def legacy(raw):
    """Return the bare SHA-256 hex of ``raw``, as stored before hashes named their algorithm."""
    return hashlib.sha256(raw.encode()).hexdigest()


def test_a_hash_names_its_algorithm():
    stored = crypto.hash_token(RAW)
    assert stored == "sha256$" + legacy(RAW)
    assert crypto.matches(RAW, stored)
    assert not crypto.matches("another", stored)
    assert not crypto.needs_upgrade(stored)


def test_a_value_stored_before_the_prefix_is_sha256_hex():
    assert crypto.matches(RAW, legacy(RAW))
    assert crypto.needs_upgrade(legacy(RAW))
    assert legacy(RAW) in crypto.stored_forms(RAW)


@pytest.mark.parametrize("stored", ["", "md5$" + legacy(RAW), "sha256$", "$" + legacy(RAW)])
def test_an_empty_or_unknown_hash_matches_nothing(stored):
    assert not crypto.matches(RAW, stored)


def test_a_registered_algorithm_verifies_and_stores_only_when_preferred(registry):
    crypto.register_hasher(SHA3)
    assert crypto.hash_token(RAW).startswith("sha256$")
    assert crypto.matches(RAW, SHA3.encode(RAW))
    assert crypto.needs_upgrade(SHA3.encode(RAW))
    crypto.register_hasher(SHA3, preferred=True)
    assert crypto.hash_token(RAW).startswith("sha3_256$")
    assert crypto.needs_upgrade(crypto.SHA256.encode(RAW))
    assert [hasher.algorithm for hasher in crypto.HASHERS] == ["sha3_256", "sha256", "django"]
    crypto.unregister_hasher("sha3_256")
    assert not crypto.matches(RAW, SHA3.encode(RAW))


def test_a_hasher_must_fit_the_columns(registry):
    too_long = crypto.Hasher("sha512", lambda data: hashlib.sha512(data).hexdigest())
    with pytest.raises(ValueError, match="sha512"):
        crypto.register_hasher(too_long)
    assert [hasher.algorithm for hasher in crypto.HASHERS] == ["sha256", "django"]


def test_the_unknown_client_check_still_spends_a_real_hash(client):
    assert client_auth.UNKNOWN_CLIENT_HASH.startswith("sha256$")
    data = {"grant_type": "client_credentials"}
    response = post_token(client, data, **basic_auth("no-such-client"))
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def make_legacy(model, raw):
    """Rewrite the row of ``raw`` as a row written before the migration (bare hex)."""
    assert model.objects.filter(token_hash=crypto.hash_token(raw)).update(token_hash=legacy(raw))


def test_a_code_stored_before_the_migration_is_still_exchanged(client, client_app, user):
    raw = factories.make_code(client_app, user)
    make_legacy(AuthorizationCode, raw)
    data = {"grant_type": "authorization_code", "code": raw}
    data.update(redirect_uri=factories.REDIRECT_URI, code_verifier=factories.VERIFIER)
    response = post_token(client, data, **basic_auth(client_app.client_id))
    assert response.status_code == HTTPStatus.OK, response.json()
    replay = post_token(client, data, **basic_auth(client_app.client_id))
    assert replay.json()["error"] == "invalid_grant"


def test_a_refresh_token_stored_before_the_migration_still_refreshes(client, client_app, user):
    first = redeem(client, client_app, user).json()["refresh_token"]
    make_legacy(RefreshToken, first)
    data = {"grant_type": "refresh_token", "refresh_token": first}
    response = post_token(client, data, **basic_auth(client_app.client_id))
    assert response.status_code == HTTPStatus.OK, response.json()
    successor = response.json()["refresh_token"]
    assert RefreshToken.objects.get(token_hash=crypto.hash_token(successor))
    # The legacy row was rotated, so presenting it again is reuse: the family dies.
    reuse = post_token(client, data, **basic_auth(client_app.client_id))
    assert reuse.json()["error"] == "invalid_grant"
    assert not RefreshToken.objects.live().exists()


def test_a_lookup_finds_rows_of_every_registered_algorithm_in_one_query(
    client_app, user, registry, django_assert_num_queries
):
    old = factories.make_code(client_app, user)  # sha256, before sha3_256 is preferred
    crypto.register_hasher(SHA3, preferred=True)
    new = factories.make_code(client_app, user)
    assert AuthorizationCode.objects.filter(token_hash=SHA3.encode(new)).exists()
    with django_assert_num_queries(1):
        assert AuthorizationCode.objects.lookup(old) is not None
    with django_assert_num_queries(1):
        assert AuthorizationCode.objects.lookup(new) is not None


def authenticate(http, client_app, secret=factories.DEMO_SECRET):
    data = {"grant_type": "client_credentials", "scope": "read:profile"}
    return post_token(http, data, **basic_auth(client_app.client_id, secret))


@pytest.mark.parametrize(
    "stored", [legacy(factories.DEMO_SECRET), SHA3.encode(factories.DEMO_SECRET)]
)
def test_a_secret_under_an_older_algorithm_verifies_and_is_upgraded(
    client, client_app, registry, stored
):
    crypto.register_hasher(SHA3)  # registered, not preferred: it only verifies
    Client.objects.filter(pk=client_app.pk).update(secret_hash=stored)
    assert authenticate(client, client_app).status_code == HTTPStatus.OK
    client_app.refresh_from_db()
    assert client_app.secret_hash == crypto.hash_token(factories.DEMO_SECRET)
    assert client_app.secret_hash.startswith("sha256$")
    assert authenticate(client, client_app).status_code == HTTPStatus.OK


def test_a_wrong_secret_upgrades_nothing(client, client_app):
    Client.objects.filter(pk=client_app.pk).update(secret_hash=legacy(factories.DEMO_SECRET))
    assert authenticate(client, client_app, "wrong").status_code == HTTPStatus.UNAUTHORIZED
    client_app.refresh_from_db()
    assert client_app.secret_hash == legacy(factories.DEMO_SECRET)


def test_a_new_preferred_algorithm_upgrades_the_rolling_secret_too(client_app, registry):
    old = client_app.set_new_secret()
    new = client_app.set_new_secret(keep_previous_for=timedelta(hours=1))
    client_app.save()
    crypto.register_hasher(SHA3, preferred=True)
    assert client_app.check_secret(old)
    assert client_app.check_secret(new)
    client_app.refresh_from_db()
    assert client_app.previous_secret_hash == SHA3.encode(old)
    assert client_app.secret_hash == SHA3.encode(new)


def test_an_upgrade_never_overwrites_a_secret_rotated_meanwhile(client_app):
    Client.objects.filter(pk=client_app.pk).update(secret_hash=legacy(factories.DEMO_SECRET))
    stale = Client.objects.get(pk=client_app.pk)
    rotated = Client.objects.get(pk=client_app.pk)
    new = rotated.set_new_secret()
    rotated.save()
    assert stale.check_secret(factories.DEMO_SECRET)  # the copy read before the rotation
    assert Client.objects.get(pk=client_app.pk).check_secret(new)
    assert not Client.objects.get(pk=client_app.pk).check_secret(factories.DEMO_SECRET)
