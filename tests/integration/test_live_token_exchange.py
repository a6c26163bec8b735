"""Token exchange (RFC 8693) over real HTTP: service A trades a user's token for a narrower one
and calls the example API as the user; revoking the user's token stops it.

The user's token comes from the usual code flow (in-process); everything service A does goes
over the wire to pytest-django's threaded live server.
"""

from http import HTTPStatus

import pytest
import requests

from tests.exchange_kit import ACCESS, GRANT, service
from tests.factories import DEMO_SECRET
from tests.protocol import claims_of, tokens_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


@pytest.fixture
def site(live_server, settings):
    api = f"{live_server.url}/api/"
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ISSUER": live_server.url, "RESOURCES": [api]}
    return live_server.url


def test_service_a_calls_the_api_as_the_user_with_a_narrower_token(site, client, client_app, user):
    user_token = tokens_for(client, client_app, user, scope="read:profile read:email")
    app = service(token_exchange_audiences=[f"{site}/api/"], token_exchange_scopes=["read:email"])
    agent = requests.Session()
    agent.auth = (app.client_id, DEMO_SECRET)
    form = {
        "grant_type": GRANT,
        "subject_token": user_token["access_token"],
        "subject_token_type": ACCESS,
        "resource": f"{site}/api/",
    }
    response = agent.post(f"{site}/oauth/token/", data=form, timeout=10)
    assert response.status_code == HTTPStatus.OK, response.text
    body = response.json()
    assert body["issued_token_type"] == ACCESS and body["scope"] == "read:email"
    assert claims_of(body["access_token"])["sub"] == claims_of(user_token["access_token"])["sub"]
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    assert requests.get(f"{site}/api/email/", headers=bearer, timeout=10).status_code == 200
    narrower = requests.get(f"{site}/api/profile/", headers=bearer, timeout=10)
    assert narrower.status_code == HTTPStatus.FORBIDDEN  # read:profile was not exchanged
    revoke = requests.post(
        f"{site}/oauth/revoke/",
        data={"token": user_token["refresh_token"]},
        auth=(client_app.client_id, DEMO_SECRET),
        timeout=10,
    )
    assert revoke.status_code == HTTPStatus.OK
    after = requests.get(f"{site}/api/email/", headers=bearer, timeout=10)
    assert after.status_code == HTTPStatus.UNAUTHORIZED
