"""Exact redirect URIs at both ends of the code flow (RFC 6749 3.1.2.3, 4.1.3; RFC 9700 2.1, 4.1.3).

The redirect URI is compared as a raw string: no parsing that strips spaces or controls, folds
case, drops an empty ``?`` or ``#``, reads ``08765`` as ``8765`` or decodes ``%63`` as ``c``. The
one tolerated difference is the port of a loopback IP URI (RFC 8252 7.3); ``localhost`` is
matched exactly (RFC 8252 8.3 does not recommend it). Each variant class is tried at /authorize
(our error page, no code row) and at the token endpoint with a code issued for the registered
URI (``invalid_grant``; the same code then redeems with the right URI: only the URI was wrong).
tests/security/test_redirect_uris.py holds the wider list of bypasses tried at /authorize.
"""

from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.core.management import CommandError

from oauthcore.models import AuthorizationCode, Client
from tests import factories, protocol
from tests.security.kit import (
    admin_add_client,
    assert_error_page,
    assert_json_error,
    authorize,
    createclient_with_redirect_uri,
    redirect_query,
)

pytestmark = pytest.mark.django_db

WEB = "https://app.example.com/cb"
V4 = "http://127.0.0.1:8765/cb"
V6 = "http://[::1]:8765/cb"

# class: (the registered URI a variant is made from, the variants)
VARIANTS = {
    "scheme-case": (V4, ["HTTP://127.0.0.1:8765/cb", "Http://127.0.0.1:9999/cb"]),
    "scheme-case-web": (WEB, ["HTTPS://app.example.com/cb", "hTTps://app.example.com/cb"]),
    "host-case": (WEB, ["https://APP.example.com/cb", "https://app.EXAMPLE.COM/cb"]),
    "spaces": (V4, [" " + V4, V4 + " ", " http://127.0.0.1:9999/cb", "http://127.0.0.1: 9999/cb"]),
    "leading-controls": (V4, ["\x00" + V4, "\x01" + V4, "\x1f" + V4, "\x7f" + V4, "\x0c" + V4]),
    "tab-cr-lf-inside": (
        V4,
        [
            "ht\ttp://127.0.0.1:8765/cb",
            "http://127.0.0.1:87\t65/cb",
            "http://127.0.0.1:8765/c\nb",
            "http://127.0.0.1:8765/cb\r",
            "http://127.0.0.1\r\n:9999/cb",
            "http://127.0.0.1:9999/c\tb",
        ],
    ),
    "empty-query": (V4, [V4 + "?", "http://127.0.0.1:9999/cb?", "http://127.0.0.1?/cb"]),
    "empty-fragment": (V4, [V4 + "#", "http://127.0.0.1:9999/cb#"]),
    "fragment": (V4, [V4 + "#x", "http://127.0.0.1:9999/cb#x", WEB + "#x"]),
    "leading-zero-port": (
        V4,
        ["http://127.0.0.1:08765/cb", "http://127.0.0.1:09999/cb", "http://[::1]:08765/cb"],
    ),
    "bad-port": (
        V4,
        [
            "http://127.0.0.1:65536/cb",
            "http://127.0.0.1:99999/cb",
            "http://127.0.0.1:123456/cb",
            "http://127.0.0.1:0/cb",
            "http://127.0.0.1:/cb",
            "http://127.0.0.1:+80/cb",
            "http://127.0.0.1:\u0668\u0660/cb",  # Arabic-Indic digits: \d would match them
            "http://127.0.0.1:\uff18\uff10/cb",  # fullwidth digits
        ],
    ),
    "percent-encoded": (
        V4,
        [
            "http://127.0.0.1:8765/%63b",
            "http://127.0.0.1:9999/c%62",
            "http://127.0.0.1%3A9999/cb",
            "http://127.0.0.1:8765%2Fcb",
            "http%3A//127.0.0.1:8765/cb",
            "http://%31%32%37.0.0.1:8765/cb",
            "http://127.0.0.1:%38%37%36%35/cb",
        ],
    ),
    "trailing-slash": (V4, [V4 + "/", "http://127.0.0.1:9999/cb/", WEB + "/"]),
    "dot-segments": (
        V4,
        [
            "http://127.0.0.1:8765/cb/.",
            "http://127.0.0.1:8765/x/../cb",
            "http://127.0.0.1:9999/./cb",
            "http://127.0.0.1:9999/cb/%2e",
        ],
    ),
    "userinfo": (
        V4,
        [
            "http://127.0.0.1@evil.com/cb",
            "http://127.0.0.1:8765@evil.com/cb",
            "http://127.0.0.1:9999@evil.com:8765/cb",
            "http://user@127.0.0.1:8765/cb",
        ],
    ),
    "ipv6-spellings": (
        V6,
        [
            "http://[0:0:0:0:0:0:0:1]:9999/cb",
            "http://[::0001]:9999/cb",
            "http://[::ffff:127.0.0.1]:9999/cb",
            "http://[::1%25lo]:9999/cb",
            "http://::1:9999/cb",
        ],
    ),
    "other-loopback-host": (
        V4,
        ["http://localhost:8765/cb", "http://127.0.0.2:9999/cb", "http://[::1]:8765/cb2"],
    ),
    "other-path-with-port-change": (
        V4,
        [
            "http://127.0.0.1:9999/cb2",
            "http://127.0.0.1:9999/CB",
            "http://127.0.0.1:9999/",
            "http://127.0.0.1:9999",
            "http://127.0.0.1:9999/cb/x",
            "http://127.0.0.1:9999/cb?x=1",
        ],
    ),
}

# RFC 8252 7.3: any port (or none) on a registered loopback IP URI.
OTHER_PORTS = [
    "http://127.0.0.1:9999/cb",
    "http://127.0.0.1:1/cb",
    "http://127.0.0.1:65535/cb",
    "http://127.0.0.1/cb",
    "http://[::1]:9999/cb",
    "http://[::1]/cb",
]


@pytest.fixture
def client_app(db):
    return factories.ClientFactory(redirect_uris=[WEB, V4, V6])


def code_for(http, app, uri: str) -> str:
    """Return a code issued (to the signed-in ``http``) for ``uri``, sent as redirect_uri."""
    cache.clear()  # every attempt starts under the failure limits
    response = authorize(http, protocol.authorize_params(app, redirect_uri=uri))
    return redirect_query(response, uri)["code"]


def exchange(http, app, code: str, uri: str):
    cache.clear()
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": uri}
    data["code_verifier"] = factories.VERIFIER
    return protocol.post_token(http, data, **protocol.basic_auth(app.client_id))


def assert_refused_at_authorize(http, app, uri: str) -> None:
    cache.clear()
    codes = AuthorizationCode.objects.count()
    response = authorize(http, protocol.authorize_params(app, redirect_uri=uri))
    assert_error_page(response)  # never a redirect, not even with an error
    assert AuthorizationCode.objects.count() == codes


@pytest.mark.parametrize(("registered", "variants"), VARIANTS.values(), ids=VARIANTS.keys())
def test_a_variant_is_refused_at_authorize_and_at_the_exchange(
    victim, client_app, registered, variants
):
    for uri in variants:
        assert_refused_at_authorize(victim, client_app, uri)
    code = code_for(victim, client_app, registered)
    for uri in variants:
        response = exchange(victim, client_app, code, uri)
        assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_grant")
    assert exchange(victim, client_app, code, registered).status_code == HTTPStatus.OK


@pytest.mark.parametrize("uri", OTHER_PORTS)
def test_a_loopback_ip_uri_on_another_port_is_accepted(victim, client_app, uri):
    """The one tolerated difference; the exchange then needs the URI as sent, that port too."""
    code = code_for(victim, client_app, uri)
    assert AuthorizationCode.objects.get().redirect_uri == uri  # stored as sent
    registered = V6 if "[::1]" in uri else V4
    response = exchange(victim, client_app, code, registered)
    assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_grant")
    assert exchange(victim, client_app, code, uri).status_code == HTTPStatus.OK


def test_a_code_issued_without_redirect_uri_needs_none_or_the_registered_one(victim, user):
    app = factories.ClientFactory(redirect_uris=[V4])
    factories.ConsentFactory(user=user, client=app, scopes=["read:profile", "read:email"])
    response = authorize(victim, protocol.authorize_params(app, redirect_uri=None))
    code = redirect_query(response, V4)["code"]
    for uri in ("http://127.0.0.1:9999/cb", V4 + "/", " " + V4):
        response = exchange(victim, app, code, uri)
        assert_json_error(response, HTTPStatus.BAD_REQUEST, "invalid_grant")
    assert exchange(victim, app, code, V4).status_code == HTTPStatus.OK


# Registration: dot-segments (RFC 3986 5.2.4), which a browser or server would resolve.

DOT_SEGMENTS = {
    "dotdot": "https://app.example.com/cb/../x",
    "dot": "https://app.example.com/./cb",
    "trailing-dot": "https://app.example.com/cb/.",
    "trailing-dotdot": "https://app.example.com/cb/..",
    "only-dotdot": "https://app.example.com/..",
    "encoded-dotdot": "https://app.example.com/cb/%2e%2e/x",
    "encoded-upper": "https://app.example.com/cb/%2E%2E/x",
    "half-encoded": "https://app.example.com/cb/.%2e/x",
    "encoded-dot": "https://app.example.com/%2e/cb",
    "double-encoded": "https://app.example.com/cb/%252e%252e/x",
    "path-parameter": "https://app.example.com/cb/..;x/y",
    "loopback": "http://127.0.0.1:8765/cb/../x",
    "native": "com.example.app:/cb/../x",
}
# Also refused now: characters that are not printable and backslashes (read as "/" by browsers).
UNPRINTABLE = {
    "nul": "https://app.example.com/cb\x00",
    "control": "https://app.example.com/c\x01b",
    "leading-control": "\x01https://app.example.com/cb",
    "del": "https://app.example.com/cb\x7f",
    "nbsp": "https://app.example.com/c\xa0b",
    "backslash-path": "https://app.example.com/a\\..\\cb",
}
REFUSED = {**DOT_SEGMENTS, **UNPRINTABLE}
# The control: dots inside a segment are ordinary characters.
DOTTED_BUT_FINE = ["https://app.example.com/cb.v2/..x/x../.well-known/a.b", "com.example.app:/a.b"]


@pytest.mark.parametrize("uri", REFUSED.values(), ids=REFUSED.keys())
def test_createclient_refuses(uri):
    with pytest.raises(CommandError, match="redirect URI"):
        createclient_with_redirect_uri(uri)
    assert not Client.objects.exists()


@pytest.mark.parametrize("uri", REFUSED.values(), ids=REFUSED.keys())
def test_the_admin_form_refuses(admin_client, uri):
    response = admin_add_client(admin_client, uri)
    assert response.status_code == HTTPStatus.OK  # the form again, with the error
    assert response.context["adminform"].form.errors["redirect_uris"]
    assert not Client.objects.exists()


@pytest.mark.parametrize("uri", DOTTED_BUT_FINE)
def test_dots_inside_a_segment_register(admin_client, uri):
    createclient_with_redirect_uri(uri)
    admin_add_client(admin_client, uri)  # a success shows the new secret, once
    assert [c.redirect_uris for c in Client.objects.all()] == [[uri], [uri]]
