"""Client ID metadata documents: an http(s) client_id fetched, checked, stored and kept fresh.

The documents are served by a local server on 127.0.0.1 (``tests/document_server.py``), so
FETCH_ALLOW_LOOPBACK is on here, as in development; the guards themselves are tested in
tests/security/test_fetch_guards.py.
"""

from datetime import timedelta
from email.utils import format_datetime
from http import HTTPStatus
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from oauthcore import signals
from oauthcore.models import Client
from oauthcore.server import client_auth
from tests import browser, protocol
from tests.document_server import DocumentServer
from tests.factories import VERIFIER

pytestmark = pytest.mark.django_db

CALLBACK = "https://doc-app.example/callback"
MIN, MAX = timedelta(minutes=5), timedelta(hours=24)


@pytest.fixture
def docs(settings):
    settings.OAUTHCORE = {
        **settings.OAUTHCORE,
        "CLIENT_ID_METADATA_DOCUMENTS": True,
        "FETCH_ALLOW_LOOPBACK": True,
        "CLIENT_METADATA_MIN_CACHE": MIN,
        "CLIENT_METADATA_MAX_CACHE": MAX,
    }
    server = DocumentServer()
    yield server
    server.close()


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def authorize(http, client_id, **overrides):
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "scope": "read:profile",
        "state": "s",
        "code_challenge": protocol.pkce.s256(VERIFIER),
        "code_challenge_method": "S256",
        **overrides,
    }
    params = {name: value for name, value in params.items() if value is not None}
    return http.get(reverse("oauthcore:authorize") + "?" + urlencode(params))


def allow(http, response):
    form = browser.form_with_button(response.content.decode(), "Allow")
    body = urlencode(form.data("Allow"))
    return http.post(form.action, body, content_type=protocol.FORM)


def refused_page(response, text, error="invalid_client"):
    """Assert the error page (never a redirect to an unverified URI) says ``error``, ``text``."""
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Location" not in response
    page = response.content.decode()
    assert error in page
    assert text in page


def test_full_flow_authorize_consent_token_refresh(signed_in, docs):
    created = []
    signals.client_created.connect(lambda sender, **kw: created.append(kw["client"]), weak=False)
    url = docs.document()
    consent = authorize(signed_in, url)
    assert consent.status_code == HTTPStatus.OK
    page = consent.content.decode()
    assert '<span class="oauthcore-client">Doc App</span>' in page
    assert '<span class="oauthcore-client-host">127.0.0.1</span>' in page
    assert "This app registered itself" in page
    answer = allow(signed_in, consent)
    assert answer.status_code == HTTPStatus.FOUND
    assert answer["Location"].startswith(CALLBACK + "?")
    code = parse_qs(urlsplit(answer["Location"]).query)["code"][0]
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    response = protocol.post_token(
        signed_in, {**fields, "code_verifier": VERIFIER, "client_id": url}
    )
    assert response.status_code == HTTPStatus.OK, response.content
    tokens = response.json()
    assert protocol.claims_of(tokens["access_token"])["client_id"] == url
    again = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert protocol.post_token(signed_in, {**again, "client_id": url}).status_code == 200
    stored = Client.objects.get(client_id=url)
    assert stored.origin == Client.Origin.METADATA_DOCUMENT
    assert stored.is_public and stored.token_endpoint_auth_method == "none"
    assert (stored.name, stored.redirect_uris, stored.document_host) == (
        "Doc App",
        [CALLBACK],
        "127.0.0.1",
    )
    assert stored.metadata["client_id"] == url
    assert [c.client_id for c in created] == [url]
    assert docs.paths() == ["/client.json"]  # fetched once: every later use read the row


def test_metadata_advertises_support_only_when_on(client, settings, docs):
    path = "/.well-known/oauth-authorization-server"
    assert client.get(path).json()["client_id_metadata_document_supported"] is True
    settings.OAUTHCORE = {**settings.OAUTHCORE, "CLIENT_ID_METADATA_DOCUMENTS": False}
    assert "client_id_metadata_document_supported" not in client.get(path).json()


def test_feature_off_means_unknown_client_and_no_fetch(signed_in, settings, docs):
    url = docs.document()
    settings.OAUTHCORE = {**settings.OAUTHCORE, "CLIENT_ID_METADATA_DOCUMENTS": False}
    refused_page(authorize(signed_in, url), "Unknown or inactive client.")
    assert docs.requests == []
    assert not Client.objects.filter(client_id=url).exists()


def test_a_document_naming_another_client_id_is_refused(signed_in, docs):
    url = docs.document(client_id="https://trusted.example/client.json")
    refused_page(authorize(signed_in, url), "client_id member is not the URL")
    assert not Client.objects.filter(client_id=url).exists()


@pytest.mark.parametrize(
    "sent",
    [
        "https://doc-app.example/callback/",
        "https://doc-app.example/callback?x=1",
        "https://DOC-APP.example/callback",
        "https://evil.example/callback",
    ],
)
def test_redirect_uri_must_match_exactly(signed_in, docs, sent):
    url = docs.document()
    refused = authorize(signed_in, url, redirect_uri=sent)
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "Location" not in refused


def test_no_port_leeway_for_a_loopback_redirect_uri(signed_in, docs):
    url = docs.document(redirect_uris=["http://127.0.0.1:3000/callback"])
    other_port = authorize(signed_in, url, redirect_uri="http://127.0.0.1:4000/callback")
    assert other_port.status_code == HTTPStatus.BAD_REQUEST
    assert (
        authorize(signed_in, url, redirect_uri="http://127.0.0.1:3000/callback").status_code == 200
    )


@pytest.mark.parametrize(
    ("members", "text"),
    [
        ({"token_endpoint_auth_method": "private_key_jwt"}, "private_key_jwt needs a jwks_uri"),
        ({"token_endpoint_auth_method": "client_secret_basic"}, "no shared secret"),
        ({"client_secret": "s"}, "must not contain a client_secret"),
        ({"client_name": None}, "needs a client_name"),
        ({"redirect_uris": None}, "needs redirect_uris"),
        ({"redirect_uris": ["http://doc-app.example/callback"]}, "must be https"),
        ({"grant_types": ["client_credentials"]}, "public client cannot use"),
        ({"jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}}, "private key material"),
    ],
)
def test_an_unacceptable_document_is_refused_with_its_reason(signed_in, docs, members, text):
    url = docs.document(**members)
    refused_page(authorize(signed_in, url), text)
    assert not Client.objects.filter(client_id=url).exists()


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"", b"[" * 60000, b"\xff\xfe{"])
def test_a_malformed_document_is_refused(signed_in, docs, body):
    url = docs.serve("/client.json", body)
    refused_page(authorize(signed_in, url), "cannot be used")


def test_an_error_status_is_refused_and_not_cached(signed_in, docs):
    url = docs.serve("/client.json", b"{}", status=500)
    refused_page(authorize(signed_in, url), "answered 500")
    docs.document()
    assert authorize(signed_in, url).status_code == HTTPStatus.OK  # fetched again at once
    assert docs.paths() == ["/client.json", "/client.json"]


def lifetime(url):
    stored = Client.objects.get(client_id=url)
    return stored.metadata_expires_at - timezone.now()


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Cache-Control": "max-age=3600"}, timedelta(hours=1)),
        ({"Cache-Control": "public, max-age=3600", "Age": "600"}, timedelta(minutes=50)),
        ({"Cache-Control": "max-age=10"}, MIN),
        ({"Cache-Control": "max-age=99999999"}, MAX),
        ({"Cache-Control": "no-store"}, MIN),
        ({"Expires": "in 2 hours"}, timedelta(hours=2)),  # against the server's Date
        ({"Expires": "0"}, MIN),
        ({}, MIN),
    ],
)
def test_caching_headers_are_honoured_within_bounds(signed_in, docs, headers, expected):
    if headers.get("Expires") == "in 2 hours":
        headers = {"Expires": format_datetime(timezone.now() + timedelta(hours=2), usegmt=True)}
    url = docs.document(headers=headers)
    assert authorize(signed_in, url).status_code == HTTPStatus.OK
    assert abs(lifetime(url) - expected) < timedelta(seconds=30)


def test_a_fresh_document_is_not_fetched_again(signed_in, docs):
    url = docs.document(headers={"Cache-Control": "max-age=3600"})
    for _ in range(3):
        assert authorize(signed_in, url).status_code == HTTPStatus.OK
    assert docs.paths() == ["/client.json"]


def expire(url):
    Client.objects.filter(client_id=url).update(metadata_expires_at=timezone.now())
    client_auth.forget()  # update() announces nothing: drop this process's copy


def test_an_expired_document_is_fetched_again_and_its_changes_applied(signed_in, docs):
    url = docs.document()
    assert authorize(signed_in, url).status_code == HTTPStatus.OK
    expire(url)
    docs.document(client_name="Doc App 2", redirect_uris=["https://doc-app.example/v2"])
    refused_page(authorize(signed_in, url), "not registered", "invalid_request")  # URI gone
    page = authorize(signed_in, url, redirect_uri="https://doc-app.example/v2").content.decode()
    assert "Doc App 2" in page
    assert docs.paths() == ["/client.json", "/client.json"]
    assert lifetime(url) > MIN - timedelta(seconds=30)


def test_a_failed_refetch_refuses_the_client_until_a_fetch_succeeds(signed_in, docs):
    url = docs.document()
    consent = authorize(signed_in, url)
    code = parse_qs(urlsplit(allow(signed_in, consent)["Location"]).query)["code"][0]
    expire(url)
    docs.serve("/client.json", b"down", status=503)
    refused_page(authorize(signed_in, url), "answered 503")
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    token = protocol.post_token(signed_in, {**fields, "code_verifier": VERIFIER, "client_id": url})
    assert token.status_code == HTTPStatus.UNAUTHORIZED
    assert token.json()["error"] == "invalid_client"
    assert Client.objects.filter(client_id=url, is_active=True).exists()  # the row stays
    docs.document()
    assert authorize(signed_in, url).status_code == HTTPStatus.FOUND  # consented: a code


def test_a_deactivated_document_client_stays_refused_without_a_fetch(signed_in, docs):
    url = docs.document()
    assert authorize(signed_in, url).status_code == HTTPStatus.OK
    stored = Client.objects.get(client_id=url)
    stored.is_active = False
    stored.save()
    refused_page(authorize(signed_in, url), "Unknown or inactive client.")
    assert docs.paths() == ["/client.json"]


def test_a_staff_client_with_an_https_client_id_is_never_fetched(signed_in, docs, client_factory):
    url = docs.url("/client.json")
    client_factory(client_id=url, client_type="public", redirect_uris=[CALLBACK])
    assert authorize(signed_in, url).status_code == HTTPStatus.OK
    assert docs.requests == []


def test_the_token_endpoint_never_creates_a_client(client, docs):
    url = docs.document()
    data = {"grant_type": "authorization_code", "code": "x", "redirect_uri": CALLBACK}
    response = protocol.post_token(client, {**data, "code_verifier": VERIFIER, "client_id": url})
    assert response.json()["error"] == "invalid_client"
    assert docs.requests == []
    assert not Client.objects.filter(client_id=url).exists()


def test_scope_member_limits_the_client(signed_in, docs):
    url = docs.document(scope="read:profile unknown:elsewhere")
    assert authorize(signed_in, url).status_code == HTTPStatus.OK
    assert Client.objects.get(client_id=url).allowed_scopes == ["read:profile"]
    asked_more = authorize(signed_in, url, scope="read:profile read:email")
    assert asked_more.status_code == HTTPStatus.FOUND  # verified redirect URI: the error goes back
    assert "error=invalid_scope" in asked_more["Location"]


@pytest.mark.django_db(transaction=True)
def test_two_processes_storing_the_same_new_client_make_one_row(signed_in, docs):
    """Another process stores the client while this one fetches: one row, theirs, is used."""
    url = docs.document()

    def other_process():
        Client.objects.create(
            client_id=url,
            name="Doc App",
            client_type=Client.ClientType.PUBLIC,
            origin=Client.Origin.METADATA_DOCUMENT,
            redirect_uris=[CALLBACK],
            grant_types=["authorization_code"],
            allowed_scopes=["read:profile"],
            metadata_expires_at=timezone.now() + MIN,
        )
        connections.close_all()  # this thread's connection

    docs.answers["/client.json"].before = other_process
    response = authorize(signed_in, url)
    assert response.status_code == HTTPStatus.OK
    assert Client.objects.filter(client_id=url).count() == 1


@pytest.mark.parametrize(
    "change", [{"CLIENT_ID_METADATA_DOCUMENTS": False}, {"FETCH_ALLOW_LOOPBACK": False}]
)
def test_a_stored_client_is_refused_once_its_url_is_no_longer_accepted(
    signed_in, settings, docs, change
):
    url = docs.document(headers={"Cache-Control": "max-age=3600"})
    assert authorize(signed_in, url).status_code == HTTPStatus.OK
    settings.OAUTHCORE = {**settings.OAUTHCORE, **change}
    refused_page(authorize(signed_in, url), "not accepted here")
    data = {"grant_type": "authorization_code", "code": "x", "redirect_uri": CALLBACK}
    response = protocol.post_token(signed_in, {**data, "code_verifier": VERIFIER, "client_id": url})
    assert response.json()["error"] == "invalid_client"
    assert docs.paths() == ["/client.json"]
