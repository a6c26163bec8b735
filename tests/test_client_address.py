"""The client's address (oauthcore.client_address): REMOTE_ADDR, or behind TRUSTED_PROXIES what
they forwarded; the same address in audit rows, logs and the rate limiter, and never spoofable."""

import asyncio
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from asgiref.sync import async_to_sync
from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import reverse

from oauthcore.models import AuditEvent
from tests.protocol import basic_auth, post_token

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"
GRANT = {"grant_type": "client_credentials"}


@pytest.fixture
def configure(settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "AUDIT_LOG": True}

    def apply(**changes):
        settings.OAUTHCORE = {**settings.OAUTHCORE, **changes}

    return apply


@pytest.fixture
def behind_proxy(configure):
    configure(TRUSTED_PROXIES=["10.0.0.0/8", "2001:db8:ffff::/48"])


def recorded_address(http, app, **extra):
    """Get a token over HTTP; return the address its audit row names."""
    assert post_token(http, GRANT, **basic_auth(app.client_id), **extra).status_code == 200
    return AuditEvent.objects.filter(event="token_issued").latest("pk").ip


def test_without_trusted_proxies_no_header_is_read(client, client_app, configure):
    spoofed = {"HTTP_X_FORWARDED_FOR": "203.0.113.9", "REMOTE_ADDR": "198.51.100.7"}
    assert recorded_address(client, client_app, **spoofed) == "198.51.100.7"


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("1.1.1.1, 203.0.113.9", "203.0.113.9"),  # the client wrote the left entry: ignored
        ("198.51.100.1,203.0.113.9, 10.0.0.7", "203.0.113.9"),  # two trusted proxies
        ("203.0.113.9:5555", "203.0.113.9"),
        ("[2001:db8::5]:443", "2001:db8::5"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("not-an-address, 10.0.0.7", "10.0.0.7"),  # the last proxy reached is all we know
        ("", PROXY),
    ],
)
def test_behind_a_trusted_proxy_the_forwarded_address_counts(
    client, client_app, behind_proxy, forwarded, expected
):
    extra = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}
    assert recorded_address(client, client_app, **extra) == expected


def test_a_request_from_elsewhere_cannot_claim_an_address(client, client_app, behind_proxy):
    extra = {"REMOTE_ADDR": "198.51.100.7", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert recorded_address(client, client_app, **extra) == "198.51.100.7"


def test_another_header_can_be_named(client, client_app, configure):
    configure(TRUSTED_PROXIES=[PROXY], TRUSTED_PROXY_HEADER="HTTP_X_REAL_IP")
    extra = {"REMOTE_ADDR": PROXY, "HTTP_X_REAL_IP": "203.0.113.9"}
    assert recorded_address(client, client_app, **extra) == "203.0.113.9"
    extra = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.8"}
    assert recorded_address(client, client_app, **extra) == PROXY


def asgi_post(path, body, *, client, headers):
    """POST through Django's ASGI handler, as an ASGI server would; return the status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": client,
        "server": ("testserver", 80),
    }
    messages = [{"type": "http.request", "body": body.encode(), "more_body": False}]
    sent = []

    async def receive():
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)  # the client stays connected; cancelled once answered

    async def send(message):
        sent.append(message)

    # As Django's test clients do: the handler must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        async_to_sync(ASGIHandler())(scope, receive, send)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return sent[0]["status"]


def test_under_asgi_the_limiter_counts_the_forwarded_address(client_app, behind_proxy, configure):
    configure(RATE_LIMIT_ADDRESS_FAILURES=3)
    (_, authorization), *_ = basic_auth("unknown", "wrong").items()

    def attempt(forwarded):
        headers = [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"authorization", authorization.encode()),
            (b"x-forwarded-for", forwarded.encode()),
        ]
        path, body = reverse("oauthcore:token"), urlencode(GRANT)
        return asgi_post(path, body, client=(PROXY, 40000), headers=headers)

    assert [attempt("203.0.113.9") for _ in range(5)][-1] == HTTPStatus.TOO_MANY_REQUESTS
    assert attempt("203.0.113.10") == HTTPStatus.UNAUTHORIZED


def failures(client, count, **extra):
    """Send ``count`` wrong secrets, each for another unknown client; return the statuses."""
    return [
        post_token(client, GRANT, **basic_auth(f"unknown-{n}", "wrong"), **extra).status_code
        for n in range(count)
    ]


def test_the_limiter_counts_the_forwarded_address(client, behind_proxy, configure):
    configure(RATE_LIMIT_ADDRESS_FAILURES=3)
    first = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert failures(client, 5, **first)[-1] == HTTPStatus.TOO_MANY_REQUESTS
    other = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.10"}
    assert failures(client, 4, **other) == [HTTPStatus.UNAUTHORIZED] * 4  # its own counter


def test_a_spoofed_header_does_not_escape_the_limiter(client, behind_proxy, configure):
    configure(RATE_LIMIT_ADDRESS_FAILURES=3)
    statuses = [
        failures(client, 1, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")[0]
        for n in range(5)
    ]
    assert statuses[-1] == HTTPStatus.TOO_MANY_REQUESTS  # one address, whatever it claims
