"""JWKS_URL is https off loopback: a system check (oauthcore.E012) and a refusal at fetch time.

The fetch tests run a small HTTP server on 127.0.0.1 that counts requests. ``0.0.0.0`` reaches it
while not being a loopback address, so it stands for a plain-http host elsewhere.
"""

import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.checks import run_checks

from oauthcore.jose import keyring
from oauthcore.resource_server import jwks_client
from oauthcore.testing import authorization_header

pytestmark = pytest.mark.django_db

PORT = 8321


@pytest.fixture
def configure(settings):
    def apply(url):
        settings.OAUTHCORE = {
            **settings.OAUTHCORE,
            "ISSUER": "https://auth.example.com",
            "JWKS_URL": url,
        }

    return apply


def ids():
    return sorted({m.id for m in run_checks() if m.id and m.id.startswith("oauthcore.E")})


@pytest.mark.parametrize(
    "url",
    [
        "http://auth.example.com/oauth/jwks.json",
        "http://0.0.0.0:8000/oauth/jwks.json",
        "HTTP://auth.example.com/oauth/jwks.json",
        "ftp://auth.example.com/jwks.json",
        "https:///oauth/jwks.json",
        "auth.example.com/oauth/jwks.json",
        "",
    ],
)
def test_an_insecure_jwks_url_is_e012(configure, url):
    configure(url)
    assert ids() == ["oauthcore.E012"]
    (error,) = [m for m in run_checks() if m.id == "oauthcore.E012"]
    assert error.hint


@pytest.mark.parametrize(
    "url",
    [
        None,
        "https://auth.example.com/oauth/jwks.json",
        "http://127.0.0.1:8000/oauth/jwks.json",
        "http://localhost:8000/oauth/jwks.json",
        "http://[::1]:8000/oauth/jwks.json",
    ],
)
def test_https_or_loopback_http_passes(configure, url):
    configure(url)
    assert ids() == []


class Server:
    """An HTTP server on 127.0.0.1 answering every GET with ``answer(handler)``."""

    def __init__(self, answer):
        self.paths = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.paths.append(self.path)
                answer(self)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
        self.httpd.jwks_body = json.dumps(keyring.jwks()).encode()  # read here: the test's database
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def serve_jwks(handler):
    body = handler.server.jwks_body
    handler.send_response(200)
    handler.send_header("Content-Type", "application/jwk-set+json")
    handler.end_headers()
    handler.wfile.write(body)


def redirect_to_jwks(handler):
    if handler.path == "/jwks.json":
        serve_jwks(handler)
        return
    handler.send_response(302)
    handler.send_header("Location", f"http://127.0.0.1:{PORT}/jwks.json")
    handler.end_headers()


@pytest.fixture
def server():
    started = []

    def start(answer):
        started.append(Server(answer))
        return started[-1]

    yield start
    for each in started:
        each.close()


def call_api(client, settings, user, url):
    header = authorization_header(user=user, scopes=["read:email"])  # signed before the switch
    settings.OAUTHCORE = {**settings.OAUTHCORE, "JWKS_URL": url}
    jwks_client.forget()
    return client.get("/api/email/", **header)


def test_loopback_http_is_fetched(client, settings, user, server):
    jwks = server(serve_jwks)
    response = call_api(client, settings, user, f"http://127.0.0.1:{PORT}/keys")
    assert response.status_code == HTTPStatus.OK
    assert jwks.paths == ["/keys"]


def test_plain_http_off_loopback_is_never_fetched(client, settings, user, server):
    jwks = server(serve_jwks)
    response = call_api(client, settings, user, f"http://0.0.0.0:{PORT}/keys")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert 'error="invalid_token"' in response["WWW-Authenticate"]
    assert jwks.paths == []  # refused before any request
    assert jwks_client.client().fetches == 1  # one attempt, refused


def test_a_redirect_is_not_followed(client, settings, user, server):
    jwks = server(redirect_to_jwks)
    response = call_api(client, settings, user, f"http://127.0.0.1:{PORT}/moved")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert jwks.paths == ["/moved"]
