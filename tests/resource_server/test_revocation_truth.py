"""The database is the truth of revocation; each process's copy can only make a check faster.

Several processes: tests/integration/test_workers.py. Here, in one process: a cache culled or cleared, a
rolled-back revocation, deny entries that last until the token's own ``exp``, and the deletes
(client, consent) that take their tokens along.
"""

import time
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse

from oauthcore.models import Client, Consent, RevokedAccessToken
from oauthcore.resource_server import access_tokens
from oauthcore.server import revocation
from tests import factories, protocol
from tests.protocol import tokens_for

pytestmark = pytest.mark.django_db


def status(http, access_token) -> int:
    return http.get("/api/profile/", HTTP_AUTHORIZATION=f"Bearer {access_token}").status_code


def test_a_cache_filled_past_its_cull_limit_keeps_every_revocation(client, client_app, user):
    issued = tokens_for(client, client_app, user)
    revocation.revoke_access_token(access_tokens.decode(issued["access_token"]).claims)
    for number in range(1000):  # the local-memory cache keeps 300 entries
        cache.set(f"unrelated:{number}", number)
    assert status(client, issued["access_token"]) == HTTPStatus.UNAUTHORIZED
    cache.clear()
    assert status(client, issued["access_token"]) == HTTPStatus.UNAUTHORIZED


def test_a_rolled_back_revocation_leaves_no_copy_behind(client, client_app, user):
    """Read inside the transaction that revoked, the deny-list is not kept: it may roll back."""
    first, second = tokens_for(client, client_app, user), tokens_for(client, client_app, user)
    assert status(client, first["access_token"]) == HTTPStatus.OK
    with pytest.raises(RuntimeError), transaction.atomic():
        revocation.revoke_access_token(access_tokens.decode(first["access_token"]).claims)
        assert status(client, first["access_token"]) == HTTPStatus.UNAUTHORIZED
        raise RuntimeError("rolled back")
    assert status(client, first["access_token"]) == HTTPStatus.OK
    # The next revocation gets the generation number the rolled-back one had: still seen.
    revocation.revoke_access_token(access_tokens.decode(second["access_token"]).claims)
    assert status(client, second["access_token"]) == HTTPStatus.UNAUTHORIZED
    assert status(client, first["access_token"]) == HTTPStatus.OK


def test_a_replayed_code_denies_its_token_until_the_tokens_own_expiry(client, client_app, user):
    raw = factories.make_code(client_app, user, scope="read:profile")
    data = {"grant_type": "authorization_code", "code": raw}
    data.update(redirect_uri=factories.REDIRECT_URI, code_verifier=factories.VERIFIER)
    auth = protocol.basic_auth(client_app.client_id)
    body = protocol.post_token(client, data, **auth).json()
    client_app.access_token_lifetime = timedelta(minutes=1)  # changed after the token was issued
    client_app.save()
    assert protocol.post_token(client, data, **auth).json()["error"] == "invalid_grant"
    expires = access_tokens.decode(body["access_token"]).claims["exp"]
    row = RevokedAccessToken.objects.get()
    assert row.expires_at.timestamp() == expires
    assert status(client, body["access_token"]) == HTTPStatus.UNAUTHORIZED


def test_a_deleted_client_s_tokens_are_refused_and_its_id_can_be_reused(client, admin_client, user):
    app = factories.ClientFactory(grant_types=["authorization_code"])  # no refresh tokens
    issued = tokens_for(client, app, user)
    url = reverse("admin:oauthcore_client_delete", args=[app.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == HTTPStatus.FOUND
    assert not Client.objects.filter(pk=app.pk).exists()
    assert status(client, issued["access_token"]) == HTTPStatus.UNAUTHORIZED
    time.sleep(1 - time.time() % 1)  # iat has whole seconds: those of the deletion are refused
    again = factories.ClientFactory(client_id=app.client_id)
    assert status(client, tokens_for(client, again, user)["access_token"]) == HTTPStatus.OK


def test_a_consent_bulk_deleted_in_the_admin_revokes_its_tokens(
    client, admin_client, client_app, user
):
    issued = tokens_for(client, client_app, user)
    consent = factories.ConsentFactory(user=user, client=client_app, scopes=["read:profile"])
    kept_app = factories.ClientFactory()
    kept = tokens_for(client, kept_app, user)
    factories.ConsentFactory(user=user, client=kept_app, scopes=["read:profile"])
    url = reverse("admin:oauthcore_consent_changelist")
    data = {"action": "delete_selected", "_selected_action": [consent.pk], "post": "yes"}
    assert admin_client.post(url, data).status_code == HTTPStatus.FOUND
    assert not Consent.objects.filter(pk=consent.pk).exists()
    assert status(client, issued["access_token"]) == HTTPStatus.UNAUTHORIZED
    refresh = {"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]}
    auth = protocol.basic_auth(client_app.client_id)
    assert protocol.post_token(client, refresh, **auth).json()["error"] == "invalid_grant"
    assert status(client, kept["access_token"]) == HTTPStatus.OK
