"""A resource server in another project: keys from the issuer's JWKS over HTTP (jwks_client)."""

import json
import secrets
import threading
from datetime import timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from oauthcore.jose import keyring
from oauthcore.resource_server import jwks_client
from oauthcore.testing import authorization_header, make_access_token

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

URL = "/api/email/"


@pytest.fixture
def remote(live_server, settings):
    """Point the resource server at the live server's real JWKS endpoint."""

    def configure(**overrides):
        settings.OAUTHCORE = {
            **settings.OAUTHCORE,
            "JWKS_URL": live_server.url + reverse("oauthcore:jwks"),
            **overrides,
        }
        return jwks_client.client()

    return configure


def test_tokens_validate_against_the_remote_jwks_and_it_is_cached(client, user, remote):
    jwks = remote()
    header = authorization_header(user=user, scopes=["read:email"])
    for _ in range(3):
        assert client.get(URL, **header).status_code == HTTPStatus.OK
    assert jwks.fetches == 1


def test_key_rotation_needs_no_restart(client, user, remote):
    jwks = remote(JWKS_MIN_REFETCH_INTERVAL=timedelta(0))
    old = authorization_header(user=user, scopes=["read:email"])
    assert client.get(URL, **old).status_code == HTTPStatus.OK
    keyring.rotate()  # what `manage.py rotatekeys` does
    new = authorization_header(user=user, scopes=["read:email"])
    assert client.get(URL, **new).status_code == HTTPStatus.OK  # unknown kid: refetched
    assert client.get(URL, **old).status_code == HTTPStatus.OK  # the retired key stays published
    assert jwks.fetches == 2


def test_a_flood_of_unknown_kids_fetches_at_most_once_per_interval(client, user, remote):
    jwks = remote(JWKS_MIN_REFETCH_INTERVAL=timedelta(minutes=1))
    assert (
        client.get(URL, **authorization_header(user=user, scopes=["read:email"])).status_code == 200
    )
    for _ in range(30):
        forged = authorization_header(user=user, scopes=["read:email"])
        forged = _with_kid(forged, secrets.token_urlsafe(8))
        response = client.get(URL, **forged)
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert jwks.fetches == 1


def _with_kid(header, kid):
    import base64

    raw = header["HTTP_AUTHORIZATION"].split()[1]
    head, rest = raw.split(".", 1)
    decoded = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    encoded = base64.urlsafe_b64encode(json.dumps({**decoded, "kid": kid}).encode())
    return {"HTTP_AUTHORIZATION": f"Bearer {encoded.rstrip(b'=').decode()}.{rest}"}


class Clocked(jwks_client.JWKSClient):
    now = 1000.0

    def _now(self):
        return self.now


def test_refetch_interval_with_a_clock(live_server, user, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "JWKS_MIN_REFETCH_INTERVAL": timedelta(seconds=30)}
    jwks = Clocked(live_server.url + reverse("oauthcore:jwks"))
    assert jwks.find(keyring.signing_key().kid) is not None
    for _ in range(29):
        jwks.now += 1
        assert jwks.find(secrets.token_urlsafe(8)) is None
    assert jwks.fetches == 1
    jwks.now += 1
    for _ in range(20):
        jwks.find(secrets.token_urlsafe(8))
    assert jwks.fetches == 2


# --- failures and untrusted keys, with a JWKS server the test controls --------------------


class Document(BaseHTTPRequestHandler):
    body = b'{"keys": []}'
    status = 200

    def do_GET(self):
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def jwks_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Document)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    Document.body, Document.status = b'{"keys": []}', 200


def _serve(server, settings, document, **overrides):
    Document.body = json.dumps(document).encode()
    url = f"http://127.0.0.1:{server.server_port}/jwks.json"
    settings.OAUTHCORE = {**settings.OAUTHCORE, "JWKS_URL": url, **overrides}


def test_fetch_failure_is_invalid_token_not_500(client, user, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "JWKS_URL": "http://127.0.0.1:9/jwks.json"}
    response = client.get(URL, **authorization_header(user=user, scopes=["read:email"]))
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error"] == "invalid_token"


def test_cached_keys_survive_a_failed_refetch(client, user, settings, jwks_server):
    _serve(
        jwks_server,
        settings,
        keyring.jwks(),
        JWKS_CACHE_TTL=timedelta(0),  # stale at once: every request tries a refetch
        JWKS_MIN_REFETCH_INTERVAL=timedelta(0),
    )
    header = authorization_header(user=user, scopes=["read:email"])
    assert client.get(URL, **header).status_code == HTTPStatus.OK
    Document.status, Document.body = 500, b"oops"
    assert client.get(URL, **header).status_code == HTTPStatus.OK
    Document.status, Document.body = 200, b"not json"
    assert client.get(URL, **header).status_code == HTTPStatus.OK
    assert jwks_client.client().fetches == 3  # tried each time, kept the cached set


def _published():
    return keyring.ring().signing.jwk


@pytest.mark.parametrize(
    "change",
    [
        {"alg": None},
        {"use": "enc"},
        {"alg": "HS256"},
        {"alg": "none"},
        {"alg": "ES256"},  # an RSA key claiming an EC algorithm
        {"d": "c2VjcmV0"},  # private members in a public document
    ],
)
def test_untrusted_jwks_entries_are_ignored(client, user, settings, jwks_server, change):
    jwk = {**_published(), **change}
    jwk = {name: value for name, value in jwk.items() if value is not None}
    _serve(jwks_server, settings, {"keys": [jwk]})
    response = client.get(URL, **authorization_header(user=user, scopes=["read:email"]))
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["error_description"] == "The access token was signed by an unknown key."


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "PS256"])
def test_every_asymmetric_algorithm_from_a_remote_jwks(client, user, settings, jwks_server, alg):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "SIGNING_ALGORITHM": alg}
    raw = make_access_token(user=user, scopes=["read:email"])
    _serve(jwks_server, settings, keyring.jwks())
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == HTTPStatus.OK


@pytest.mark.parametrize("document", [[], {"keys": "x"}, {"keys": [1, "a", None]}, "garbage"])
def test_malformed_documents_trust_nothing(document):
    assert jwks_client.parse(document) == {}


def test_an_hs256_secret_is_never_taken_from_a_jwks():
    assert (
        jwks_client.parse_key({"kty": "oct", "k": "c2VjcmV0", "alg": "HS256", "kid": "x"}) is None
    )
