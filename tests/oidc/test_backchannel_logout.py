"""OpenID Connect Back-Channel Logout 1.0: metadata, registration, the logout token, which relying
parties a session signed in to are told, and each way a session ends."""

import json
from http import HTTPStatus
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient
from django.urls import reverse

from oauthcore.models import Client
from tests import factories, oidc_flow
from tests.logout_receiver import Receiver, validate
from tests.registration_requests import open_registration, registered  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)  # the worker closes connections

LOGOUT = "/oauth/logout/"
EVENT = "http://schemas.openid.net/event/backchannel-logout"


@pytest.fixture(autouse=True)
def loopback(settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "FETCH_ALLOW_LOOPBACK": True}


@pytest.fixture
def receiver():
    with Receiver() as found:
        yield found


def listening(receiver, **fields) -> Client:
    return factories.ClientFactory(backchannel_logout_uri=receiver.url, **fields)


def run_tasks() -> None:
    """Run the queued tasks as the worker does, then stop."""
    call_command("db_worker", batch=True, no_startup_delay=True, stdout=StringIO())


def jwks(http) -> dict:
    return http.get(reverse("oauthcore:jwks")).json()


def test_the_metadata_advertises_back_channel_logout(client):
    doc = client.get("/.well-known/openid-configuration").json()
    assert doc["backchannel_logout_supported"] is True
    assert doc["backchannel_logout_session_supported"] is True


def test_rp_initiated_logout_sends_a_valid_logout_token(client, user, receiver):
    rp = listening(receiver)
    body = oidc_flow.sign_in(client, rp, user, nonce="n-1")
    id_token = oidc_flow.verify(client, body["id_token"], audience=rp.client_id)
    response = client.get(LOGOUT, {"id_token_hint": body["id_token"]})
    assert response.status_code == HTTPStatus.OK
    assert receiver.tokens == []  # queued, not sent during the sign-out
    run_tasks()
    [token] = receiver.tokens
    claims = validate(token, jwks(client), issuer="http://testserver", audience=rp.client_id)
    assert claims["sid"] == id_token["sid"]
    assert claims["sub"] == id_token["sub"]
    assert claims["events"] == {EVENT: {}}
    assert "nonce" not in claims
    assert 0 < claims["exp"] - claims["iat"] <= 120  # BACKCHANNEL_LOGOUT_TOKEN_LIFETIME
    assert receiver.requests[0]["content_type"] == "application/x-www-form-urlencoded"


def test_every_id_token_of_a_session_carries_its_sid(client, user, receiver):
    rp = listening(receiver)
    first = oidc_flow.sign_in(client, rp, user)
    again = oidc_flow.sign_in(client, rp, user, login=False)
    refreshed = oidc_flow.refreshed(client, rp, first["refresh_token"])
    sids = {
        oidc_flow.verify(client, body["id_token"], audience=rp.client_id)["sid"]
        for body in (first, again, refreshed)
    }
    assert len(sids) == 1 and all(sids)


def test_only_the_clients_this_session_signed_in_to_are_told(client, user):
    with Receiver() as a, Receiver() as b, Receiver() as c:
        rp_a, rp_b, rp_c = listening(a), listening(b), listening(c)
        oidc_flow.sign_in(client, rp_a, user)
        oidc_flow.sign_in(client, rp_b, user, login=False)
        other = HttpClient()
        oidc_flow.sign_in(other, rp_c, user)  # the same user, another browser session
        client.logout()  # the site's own logout (Django's user_logged_out)
        run_tasks()
        assert len(a.tokens) == 1 and len(b.tokens) == 1
        assert c.tokens == []
        assert {claims["aud"] for claims in a.claims() + b.claims()} == {
            rp_a.client_id,
            rp_b.client_id,
        }
        assert a.claims()[0]["sid"] == b.claims()[0]["sid"]


def test_a_client_without_backchannel_uri_is_not_called(client, user, receiver):
    rp = factories.ClientFactory()
    oidc_flow.sign_in(client, rp, user)
    client.logout()
    run_tasks()
    assert receiver.tokens == []


def test_withdrawing_an_app_tells_it_with_sub_and_sid(client, user, receiver):
    rp = listening(receiver)
    body = oidc_flow.sign_in(client, rp, user)
    id_token = oidc_flow.verify(client, body["id_token"], audience=rp.client_id)
    response = client.post(reverse("oauthcore:connected-apps"), {"client": rp.client_id})
    assert response.status_code == HTTPStatus.FOUND
    run_tasks()
    [claims] = receiver.claims()
    assert claims["sub"] == id_token["sub"] and claims["sid"] == id_token["sid"]


def test_staff_revoking_access_in_the_admin_tells_the_app(client, admin_client, user, receiver):
    rp = listening(receiver)
    oidc_flow.sign_in(client, rp, user)
    from oauthcore.models import Consent

    consent = Consent.objects.get(user=user, client=rp)
    changelist = reverse("admin:oauthcore_consent_changelist")
    response = admin_client.post(
        changelist, {"action": "revoke_access", "_selected_action": [consent.pk]}
    )
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.FOUND)
    run_tasks()
    assert [claims["aud"] for claims in receiver.claims()] == [rp.client_id]


def test_the_logout_token_is_signed_with_the_id_token_key(client, user, receiver):
    rp = listening(receiver)
    body = oidc_flow.sign_in(client, rp, user)
    client.logout()
    run_tasks()
    import jwt

    id_header = jwt.get_unverified_header(body["id_token"])
    logout_header = jwt.get_unverified_header(receiver.tokens[0])
    assert logout_header["kid"] == id_header["kid"] and logout_header["alg"] == id_header["alg"]
    assert logout_header["typ"] == "logout+jwt"


def test_registration_takes_the_members(client, open_registration, receiver):  # noqa: F811
    document = {
        "redirect_uris": ["https://app.example.com/callback"],
        "backchannel_logout_uri": receiver.url,
        "backchannel_logout_session_required": True,
    }
    info = registered(client, document)
    assert info["backchannel_logout_uri"] == receiver.url
    assert info["backchannel_logout_session_required"] is True
    stored = Client.objects.get(client_id=info["client_id"])
    assert stored.backchannel_logout_uri == receiver.url
    assert stored.backchannel_logout_session_required


def test_createclient_metadata_takes_the_members(receiver):
    document = {
        "client_name": "RP",
        "redirect_uris": ["https://app.example.com/callback"],
        "backchannel_logout_uri": "https://rp.example.com/bc",
    }
    out = StringIO()
    call_command("createclient", metadata=json.dumps(document), json=True, stdout=out)
    data = json.loads(out.getvalue())
    assert data["backchannel_logout_uri"] == "https://rp.example.com/bc"
    assert data["backchannel_logout_session_required"] is False


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("http://rp.example.com/bc", "https"),
        ("https://rp.example.com/bc#frag", "fragment"),
        ("https://10.0.0.5/bc", "private"),
        (42, "string"),
    ],
)
def test_registration_refuses_bad_uris(client, open_registration, uri, reason):  # noqa: F811
    from tests.registration_requests import register

    document = {"redirect_uris": ["https://app.example.com/callback"]}
    response = register(client, {**document, "backchannel_logout_uri": uri})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert body["error"] == "invalid_client_metadata"
    assert reason in body["error_description"]


def test_session_required_must_be_a_boolean(client, open_registration):  # noqa: F811
    from tests.registration_requests import register

    response = register(
        client,
        {
            "redirect_uris": ["https://app.example.com/callback"],
            "backchannel_logout_session_required": "yes",
        },
    )
    assert response.json()["error"] == "invalid_client_metadata"


def test_the_admin_registers_a_back_channel_uri(admin_client):
    from tests.ops.test_admin import add_client

    client, _ = add_client(
        admin_client,
        backchannel_logout_uri="https://rp.example.com/bc",
        backchannel_logout_session_required="on",
    )
    assert client.backchannel_logout_uri == "https://rp.example.com/bc"
    assert client.backchannel_logout_session_required


@pytest.mark.parametrize(
    "uri", ["https://192.168.0.10/bc", "ftp://rp.example.com/bc", "https://rp.example.com/#x"]
)
def test_the_admin_refuses_a_bad_back_channel_uri(admin_client, uri):
    from tests.ops.test_admin import ADD_URL, client_form

    response = admin_client.post(ADD_URL, client_form(backchannel_logout_uri=uri))
    assert response.status_code == HTTPStatus.OK
    assert "backchannel_logout_uri" in response.content.decode()
    assert not Client.objects.filter(name="Admin App").exists()
