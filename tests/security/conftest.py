"""Fixtures of the hostile suite: a signed-in victim who already trusts the client."""

import pytest

from tests import factories

ALL_SCOPES = ["read:profile", "write:profile", "read:email", "read:contacts", "publish"]


@pytest.fixture
def victim(client, user, client_app):
    """The test client signed in as ``user``, who already consented to everything ``client_app``
    may ask: any request that gets past a check is answered with a code at once."""
    factories.ConsentFactory(user=user, client=client_app, scopes=ALL_SCOPES)
    client.force_login(user)
    return client


@pytest.fixture
def good(user):
    """A valid access token for alice with read:profile, as the server issues it."""
    from oauthcore.testing import make_access_token

    return make_access_token(user=user, scopes=["read:profile"])
