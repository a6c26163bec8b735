"""Redirect URI attacks (RFC 6749 3.1.2.3, RFC 9700 4.1, RFC 8252 7.3): exact matching only.

Every request comes from a signed-in user who already consented, so a URI that got through would
be answered with a code at once. The endpoint must show its own error page instead: no Location
header, no code row. Registration (command and admin) refuses what may never be registered.
Complements tests/server/test_authorize.py (test_unregistered_redirect_uri_gets_an_error_page).
"""

from http import HTTPStatus

import pytest
from django.core.management import CommandError
from django.urls import reverse

from oauthcore.models import AuthorizationCode, Client
from tests import factories, protocol
from tests.security.kit import (
    admin_add_client,
    assert_error_page,
    authorize,
    createclient_with_redirect_uri,
    redirect_query,
    snapshot,
)

pytestmark = pytest.mark.django_db

CB = "https://app.example.com/cb"
LOOPBACK = "http://127.0.0.1:8765/cb"

BYPASSES = {
    "userinfo-host-first": "https://app.example.com@evil.com/cb",
    "userinfo-evil-first": "https://evil.com@app.example.com/cb",
    "userinfo-password": "https://app.example.com:x@evil.com/cb",
    "userinfo-encoded-at": "https://app.example.com%40evil.com/cb",
    "path-parameter": CB + ";x",
    "path-parameter-dotdot": CB + "/..;/evil",
    "dotdot": "https://app.example.com/x/../cb",
    "dotdot-after": CB + "/../../evil",
    "dot": "https://app.example.com/./cb",
    "dot-after": CB + "/.",
    "encoded-dotdot": "https://app.example.com/%2e%2e/cb",
    "encoded-slash": "https://app.example.com%2Fcb",
    "encoded-slash-path": CB + "%2F..%2Fevil",
    "double-encoded-slash": CB + "%252f..%252fevil",
    "double-encoded-dotdot": "https://app.example.com/%252e%252e/cb",
    "encoded-letter": "https://app.example.com/%63b",
    "encoded-host-slash": "https://app.example.com%2F@evil.com/cb",
    "scheme-case": "HTTPS://app.example.com/cb",
    "host-case": "https://APP.EXAMPLE.COM/cb",
    "path-case": "https://app.example.com/CB",
    "trailing-slash": CB + "/",
    "double-slash": "https://app.example.com//cb",
    "trailing-dot-host": "https://app.example.com./cb",
    "explicit-port": "https://app.example.com:443/cb",
    "other-port": "https://app.example.com:8443/cb",
    "http": "http://app.example.com/cb",
    "fragment": CB + "#x",
    "empty-fragment": CB + "#",
    "fragment-evil": CB + "#@evil.com",
    "extra-query": CB + "?x=1",
    "empty-query": CB + "?",
    "query-redirect": CB + "?next=https://evil.com",
    "suffix-host": "https://app.example.com.evil.com/cb",
    "prefix-host": "https://evilapp.example.com/cb",
    "sub-host": "https://evil.app.example.com/cb",
    "punycode": "https://xn--pp-7ka.example.com/cb",
    "homoglyph-cyrillic-a": "https://\u0430pp.example.com/cb",
    "homoglyph-fullwidth": "https://app\uff0eexample.com/cb",
    "javascript": "javascript:alert(1)",
    "javascript-comment": "javascript://app.example.com/cb%0aalert(1)",
    "data": "data:text/html,<script>alert(1)</script>",
    "vbscript": "vbscript:msgbox(1)",
    "backslash-host": "https://app.example.com\\@evil.com/cb",
    "backslash-path": "https://app.example.com\\cb",
    "backslash-scheme": "https:\\\\app.example.com/cb",
    "scheme-relative": "//app.example.com/cb",
    "relative": "/cb",
    "one-slash": "https:/app.example.com/cb",
    "three-slashes": "https:///app.example.com/cb",
    "leading-space": " " + CB,
    "trailing-space": CB + " ",
    "tab": CB + "\t",
    "crlf": CB + "\r\nLocation: https://evil.com",
    "encoded-crlf": CB + "%0d%0aLocation:%20https://evil.com",
    "nul": CB + "\x00",
    "very-long-path": CB + "/" + "a" * 100_000,
    "very-long-query": CB + "?" + "a" * 10_000,
}

LOOPBACK_BYPASSES = {
    "localhost-for-127": "http://localhost:8765/cb",
    "ipv6-for-127": "http://[::1]:8765/cb",
    "other-loopback-ip": "http://127.0.0.2:8765/cb",
    "decimal-ip": "http://2130706433:8765/cb",
    "hex-ip": "http://0x7f000001:8765/cb",
    "https": "https://127.0.0.1:8765/cb",
    "port-out-of-range": "http://127.0.0.1:99999/cb",
    "userinfo": "http://127.0.0.1:8765@evil.com/cb",
    "suffix-host": "http://127.0.0.1.evil.com:8765/cb",
    "other-port-other-path": "http://127.0.0.1:9999/cb/",
    "other-port-path-case": "http://127.0.0.1:9999/CB",
    "other-port-query": "http://127.0.0.1:9999/cb?x=1",
    "other-port-fragment": "http://127.0.0.1:9999/cb#x",
}


@pytest.fixture
def client_app(db):
    return factories.ClientFactory(redirect_uris=[CB, LOOPBACK])


def assert_refused_without_redirect(response, before):
    assert_error_page(response)
    assert snapshot() == before
    assert not AuthorizationCode.objects.exists()


def test_the_registered_uris_work(victim, client_app):
    """The control: the same signed-in user gets a code at once for the registered URIs."""
    for uri in (CB, LOOPBACK):
        query = redirect_query(
            authorize(victim, protocol.authorize_params(client_app, redirect_uri=uri)), uri
        )
        assert query["code"]


@pytest.mark.parametrize("prompt", [None, "none"])
@pytest.mark.parametrize("uri", BYPASSES.values(), ids=BYPASSES.keys())
def test_bypasses_get_the_error_page(victim, client_app, uri, prompt):
    before = snapshot()
    params = protocol.authorize_params(client_app, redirect_uri=uri, prompt=prompt)
    assert_refused_without_redirect(authorize(victim, params), before)


@pytest.mark.parametrize("uri", LOOPBACK_BYPASSES.values(), ids=LOOPBACK_BYPASSES.keys())
def test_loopback_bypasses_get_the_error_page(victim, client_app, uri):
    before = snapshot()
    params = protocol.authorize_params(client_app, redirect_uri=uri)
    assert_refused_without_redirect(authorize(victim, params), before)


@pytest.mark.parametrize("uri", ["http://127.0.0.1:9999/cb", "http://127.0.0.1/cb"])
def test_only_the_port_of_a_loopback_ip_may_vary(victim, client_app, uri):
    """RFC 8252 7.3: a native app listens on whatever port the OS gives it."""
    assert redirect_query(
        authorize(victim, protocol.authorize_params(client_app, redirect_uri=uri)), uri
    )["code"]


@pytest.mark.parametrize(
    ("registered", "sent"),
    [
        ("http://localhost:8765/cb", "http://localhost:9999/cb"),
        ("https://app.example.com:8443/cb", "https://app.example.com:9443/cb"),
        ("https://127.0.0.1:8765/cb", "https://127.0.0.1:9999/cb"),
    ],
)
def test_the_port_of_a_named_host_or_https_uri_may_not_vary(client, user, registered, sent):
    app = factories.ClientFactory(redirect_uris=[registered])
    factories.ConsentFactory(user=user, client=app, scopes=["read:profile", "read:email"])
    client.force_login(user)
    before = snapshot()
    assert_refused_without_redirect(
        authorize(client, protocol.authorize_params(app, redirect_uri=sent)), before
    )


def test_an_unknown_client_with_prompt_none_gets_the_error_page(client):
    """The DOT CVE shape: prompt=none must not turn the endpoint into an open redirector."""
    params = {
        "response_type": "code",
        "client_id": "nope",
        "redirect_uri": "https://evil.com/cb",
        "prompt": "none",
    }
    assert_error_page(authorize(client, params), error="invalid_client")


@pytest.mark.parametrize("signed_in", [False, True])
def test_prompt_none_with_an_unregistered_uri_never_redirects(client, client_app, user, signed_in):
    """Anonymous + prompt=none would answer login_required by redirect: only to a verified URI."""
    if signed_in:
        client.force_login(user)
    params = protocol.authorize_params(
        client_app, redirect_uri="https://evil.com/cb", prompt="none"
    )
    assert_refused_without_redirect(authorize(client, params), snapshot())


# Registration: what may never be registered, by command and in the admin.

UNREGISTRABLE = {
    "userinfo": "https://app.example.com@evil.com/cb",
    "userinfo-evil-first": "https://evil.com@app.example.com/cb",
    "fragment": CB + "#x",
    "empty-fragment": CB + "#",
    "javascript": "javascript:alert(1)",
    "data": "data:text/html,<script>alert(1)</script>",
    "vbscript": "vbscript:msgbox(1)",
    "http-not-loopback": "http://app.example.com/cb",
    "scheme-relative": "//app.example.com/cb",
    "relative": "/cb",
    "no-host": "https:///cb",
    "wildcard-host": "https://*.example.com/cb",
    "wildcard-path": "https://app.example.com/*",
    "crlf": CB + "\r\nLocation: https://evil.com",
    "tab": CB + "\tx",
    "space": "https://app.example.com/c b",
    "very-long": CB + "/" + "a" * 2000,
    "private-scheme-with-host": "com.example.app://evil.com/cb",
    "private-scheme-without-dot": "myapp:/cb",
}


@pytest.mark.parametrize("uri", UNREGISTRABLE.values(), ids=UNREGISTRABLE.keys())
def test_createclient_refuses(uri):
    with pytest.raises(CommandError, match="redirect URI"):
        createclient_with_redirect_uri(uri)
    assert not Client.objects.exists()


@pytest.mark.parametrize(
    "uri",
    [u for u in UNREGISTRABLE.values() if "\r" not in u and "\n" not in u],
    ids=[k for k, u in UNREGISTRABLE.items() if "\r" not in u and "\n" not in u],
)
def test_the_admin_form_refuses(admin_client, uri):
    response = admin_add_client(admin_client, uri)
    assert response.status_code == HTTPStatus.OK  # the form again, with the error
    assert response.context["adminform"].form.errors["redirect_uris"]
    assert not Client.objects.exists()


# Open redirects through the site's login page (django.contrib.auth's LoginView).


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.com",
        "//evil.com",
        "https:evil.com",
        "/\\evil.com",
        "\\\\evil.com",
        "https://testserver@evil.com",
        "javascript:alert(1)",
        " https://evil.com",
    ],
)
def test_login_next_never_leaves_the_site(client, user, next_url):
    response = client.post(
        reverse("login"), {"username": "alice", "password": "pw", "next": next_url}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("home")


def test_login_next_to_the_authorize_endpoint_is_followed(client, client_app, user):
    """The control: the safe next the endpoint sends an anonymous user to is honoured."""
    response = authorize(client, protocol.authorize_params(client_app))
    assert response.status_code == HTTPStatus.FOUND
    login_url, _, query = response["Location"].partition("?")
    assert login_url == reverse("login")
    from urllib.parse import parse_qs

    next_url = parse_qs(query)["next"][0]
    assert next_url.startswith(reverse("oauthcore:authorize") + "?")
    signed_in = client.post(
        reverse("login"), {"username": "alice", "password": "pw", "next": next_url}
    )
    assert signed_in["Location"] == next_url


# Malformed hosts and ports: such a client could never work, so registration refuses them.
MALFORMED = {
    "port-out-of-range": "https://app.example.com:99999/cb",
    "port-zero": "https://app.example.com:0/cb",
    "port-not-a-number": "https://app.example.com:x/cb",
    "backslash-in-host": "https://app.example.com\\cb",
    "dash-host": "https://-/cb",
}


@pytest.mark.parametrize("uri", MALFORMED.values(), ids=MALFORMED.keys())
def test_createclient_refuses_malformed_hosts_and_ports(uri):
    with pytest.raises(CommandError, match="redirect URI"):
        createclient_with_redirect_uri(uri)
