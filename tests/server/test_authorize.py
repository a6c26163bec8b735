"""The authorization request (RFC 6749 4.1.1): what is refused, and how (error page or redirect)."""

from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse

from oauthcore.models import AuthorizationCode
from tests import factories, protocol
from tests.protocol import authorization_request

pytestmark = pytest.mark.django_db

ISSUER = "http://testserver"
CALLBACK = "https://app.example.com/callback"


def client_redirect(response, uri=CALLBACK):
    """Assert a redirect to ``uri`` and return its query parameters."""
    assert response.status_code == HTTPStatus.FOUND
    location = urlsplit(response["Location"])
    assert location._replace(query="").geturl() == uri
    return dict(parse_qsl(location.query, keep_blank_values=True))


def assert_error_page(response):
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Location" not in response
    assert "oauthcore/error.html" in [t.name for t in response.templates]
    assert response["Cache-Control"] == "no-store"


def assert_redirect_error(response, error, state="xyz-state", uri=CALLBACK):
    query = client_redirect(response, uri)
    assert query["error"] == error
    assert query["error_description"]
    assert query["iss"] == ISSUER  # RFC 9207
    assert query.get("state") == state
    assert "code" not in query
    assert not AuthorizationCode.objects.exists()


# The client and the redirect URI are checked first: an error page, never a redirect.


@pytest.mark.parametrize(
    "client_id", ["unknown", "", None, "x" * 101, "client\x00", "clïent", " client-0"]
)
def test_unknown_client_gets_an_error_page(client, client_app, client_id):
    assert_error_page(
        authorization_request(client, protocol.authorize_params(client_app, client_id=client_id))
    )


def test_inactive_client_gets_an_error_page(client, client_app):
    client_app.is_active = False
    client_app.save()
    assert_error_page(authorization_request(client, protocol.authorize_params(client_app)))


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example.com/callback",
        CALLBACK + "/",
        CALLBACK + "?next=x",
        CALLBACK + "#frag",
        "https://APP.example.com/callback",
        "http://app.example.com/callback",
        "https://app.example.com:8443/callback",
        "https://app.example.com/Callback",
        "https://app.example.com/callback/../callback",
        "https://app.example.com.evil.com/callback",
        " " + CALLBACK,
        CALLBACK + "\x00",
    ],
)
def test_unregistered_redirect_uri_gets_an_error_page(client, client_app, redirect_uri):
    params = protocol.authorize_params(client_app, redirect_uri=redirect_uri)
    assert_error_page(authorization_request(client, params))


@pytest.mark.parametrize("name", ["client_id", "redirect_uri"])
def test_repeated_client_id_or_redirect_uri_gets_an_error_page(client, client_app, name):
    params = list(protocol.authorize_params(client_app).items())
    params.append((name, dict(params)[name]))
    assert_error_page(authorization_request(client, params))


def test_omitted_redirect_uri_with_several_registered_gets_an_error_page(client):
    app = factories.ClientFactory(redirect_uris=[CALLBACK, "https://app.example.com/other"])
    assert_error_page(
        authorization_request(client, protocol.authorize_params(app, redirect_uri=None))
    )


def test_omitted_redirect_uri_uses_the_only_registered_one(client, client_app, user):
    client.force_login(user)
    factories.ConsentFactory(user=user, client=client_app, scopes=["read:profile", "read:email"])
    response = authorization_request(
        client, protocol.authorize_params(client_app, redirect_uri=None)
    )
    assert response["Location"].startswith(CALLBACK + "?")
    assert "code" in client_redirect(response)
    # The request named no redirect_uri, so the token request need not either (RFC 6749 4.1.3).
    assert AuthorizationCode.objects.get().redirect_uri == ""


@pytest.mark.parametrize(
    ("registered", "sent"),
    [
        ("http://127.0.0.1/cb", "http://127.0.0.1:51234/cb"),
        ("http://127.0.0.1:8000/cb", "http://127.0.0.1:65535/cb"),
        ("http://[::1]/cb", "http://[::1]:40000/cb"),
        ("http://127.0.0.1:8000/cb?x=1", "http://127.0.0.1:9000/cb?x=1"),
    ],
)
def test_loopback_redirect_uri_may_change_port(client, user, registered, sent):
    app = factories.ClientFactory(redirect_uris=[registered], skip_consent=True)
    client.force_login(user)
    response = authorization_request(client, protocol.authorize_params(app, redirect_uri=sent))
    assert "code" in client_redirect(response, sent.split("?")[0])
    assert AuthorizationCode.objects.get().redirect_uri == sent


@pytest.mark.parametrize(
    ("registered", "sent"),
    [
        ("http://127.0.0.1/cb", "http://127.0.0.1:51234/other"),
        ("http://127.0.0.1/cb", "http://[::1]:51234/cb"),
        ("http://127.0.0.1/cb", "http://127.0.0.1:99999/cb"),
        ("http://127.0.0.1/cb", "http://user@127.0.0.1:5000/cb"),
        ("http://127.0.0.1/cb", "https://127.0.0.1:5000/cb"),
        ("http://localhost/cb", "http://localhost:5000/cb"),
        ("https://app.example.com/cb", "https://app.example.com:444/cb"),
        ("http://127.0.0.1:8000/cb", "http://127.0.0.1:8000.evil.com/cb"),
    ],
)
def test_port_may_change_only_on_loopback_ip_literals(client, registered, sent):
    app = factories.ClientFactory(redirect_uris=[registered])
    assert_error_page(
        authorization_request(client, protocol.authorize_params(app, redirect_uri=sent))
    )


# After that, errors go back to the client with error, error_description, state and iss.


def test_client_without_the_code_grant_is_unauthorized(client):
    app = factories.ClientFactory(grant_types=["client_credentials"])
    response = authorization_request(client, protocol.authorize_params(app))
    assert_redirect_error(response, "unauthorized_client")


@pytest.mark.parametrize(
    ("response_type", "error"),
    [
        (None, "invalid_request"),
        ("", "invalid_request"),
        ("token", "unsupported_response_type"),
        ("code token", "unsupported_response_type"),
        ("id_token", "unsupported_response_type"),
        ("CODE", "unsupported_response_type"),
    ],
)
def test_only_response_type_code(client, client_app, response_type, error):
    params = protocol.authorize_params(client_app, response_type=response_type)
    assert_redirect_error(authorization_request(client, params), error)


def test_response_mode_other_than_query_is_refused(client, client_app):
    params = protocol.authorize_params(client_app, response_mode="fragment")
    assert_redirect_error(authorization_request(client, params), "invalid_request")


@pytest.mark.parametrize(
    "scope", ["unknown", "read:profile nope", "read:profile\tread:email", "read:profile  publish"]
)
def test_unregistered_or_malformed_scope_is_invalid(client, client_app, scope):
    params = protocol.authorize_params(client_app, scope=scope)
    assert_redirect_error(authorization_request(client, params), "invalid_scope")


def test_scope_not_allowed_for_the_client_is_invalid(client):
    app = factories.ClientFactory(allowed_scopes=["read:profile"])
    params = protocol.authorize_params(app, scope="read:profile read:email")
    assert_redirect_error(authorization_request(client, params), "invalid_scope")


def test_no_scope_means_the_default_scopes(client, user):
    app = factories.ClientFactory(default_scopes=["read:email"], skip_consent=True)
    client.force_login(user)
    response = authorization_request(client, protocol.authorize_params(app, scope=None))
    assert "code" in client_redirect(response)
    assert AuthorizationCode.objects.get().scope == "read:email"


@pytest.mark.parametrize("name", ["state", "scope", "response_type", "code_challenge", "nonce"])
def test_any_repeated_parameter_is_invalid(client, client_app, name):
    params = [*protocol.authorize_params(client_app, nonce="n-1").items(), (name, "again")]
    response = authorization_request(client, params)
    assert_redirect_error(
        response, "invalid_request", state=None if name == "state" else "xyz-state"
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("state", "s" * 1025),
        ("state", "bad\x00state"),
        ("state", "état"),
        ("nonce", "n" * 256),
        ("nonce", "bad\nnonce"),
    ],
)
def test_oversized_or_malformed_values_are_invalid(client, client_app, name, value):
    response = authorization_request(client, protocol.authorize_params(client_app, **{name: value}))
    assert_redirect_error(
        response, "invalid_request", state=None if name == "state" else "xyz-state"
    )


def test_longest_allowed_state_comes_back_unchanged(client, user):
    app = factories.ClientFactory(skip_consent=True)
    client.force_login(user)
    state = "~" + "s" * 1022 + " "
    query = client_redirect(
        authorization_request(client, protocol.authorize_params(app, state=state))
    )
    assert query["state"] == state
    assert query["code"]


# PKCE (RFC 7636, RFC 9700 2.1.1): S256 only; required for public clients, and by default for all.


@pytest.mark.parametrize(
    ("overrides", "error_fragment"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "required"),
        ({"code_challenge_method": "plain"}, "S256"),
        ({"code_challenge_method": None}, "S256"),
        ({"code_challenge_method": "s256"}, "S256"),
        ({"code_challenge": "too-short"}, "code_challenge"),
        ({"code_challenge": "=" * 43}, "code_challenge"),
        ({"code_challenge": None}, "code_challenge_method"),
    ],
)
@pytest.mark.parametrize("public", [True, False])
def test_pkce_s256_is_required(client, overrides, error_fragment, public):
    app = factories.ClientFactory(public=public)
    response = authorization_request(client, protocol.authorize_params(app, **overrides))
    assert_redirect_error(response, "invalid_request")
    assert error_fragment in client_redirect(response)["error_description"]


def test_confidential_clients_may_skip_pkce_when_relaxed(client, user, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "PKCE_REQUIRED": False}
    app = factories.ClientFactory(skip_consent=True)
    client.force_login(user)
    params = protocol.authorize_params(app, code_challenge=None, code_challenge_method=None)
    assert "code" in client_redirect(authorization_request(client, params))
    assert AuthorizationCode.objects.get().code_challenge == ""


def test_public_clients_need_pkce_even_when_relaxed(client, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "PKCE_REQUIRED": False}
    app = factories.ClientFactory(public=True)
    params = protocol.authorize_params(app, code_challenge=None, code_challenge_method=None)
    assert_redirect_error(authorization_request(client, params), "invalid_request")


@pytest.mark.parametrize("prompt", ["bogus", "none login", "none consent", "select_account"])
def test_unknown_or_contradictory_prompt_is_invalid(client, client_app, prompt):
    params = protocol.authorize_params(client_app, prompt=prompt)
    assert_redirect_error(authorization_request(client, params), "invalid_request")


# Never a 500: garbage at every parameter, signed in or not.

GARBAGE = ["", " ", "\x00", "a\x00b", "é✓🙂", "\ud800", "x" * 5000, "%00", "\r\n", "'\"<>", "[]"]
PARAMETERS = [
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "prompt",
    "response_mode",
]


@pytest.mark.parametrize("value", GARBAGE, ids=range(len(GARBAGE)))
@pytest.mark.parametrize("name", PARAMETERS)
@pytest.mark.parametrize("signed_in", [False, True])
def test_garbage_never_causes_a_server_error(client, client_app, user, name, value, signed_in):
    if signed_in:
        client.force_login(user)
    value = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    params = protocol.authorize_params(client_app, **{name: value})
    response = authorization_request(client, params)
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.FOUND, HTTPStatus.BAD_REQUEST)
    if response.status_code == HTTPStatus.FOUND:
        assert response["Location"].startswith((CALLBACK + "?", "/accounts/login/?next="))


@pytest.mark.parametrize(
    "query", ["client_id=%FF%FE", "%00=%00", "client_id", "&&&", "redirect_uri=%C3%28"]
)
def test_undecodable_query_strings_never_cause_a_server_error(client, client_app, query):
    response = client.get(reverse("oauthcore:authorize") + "?" + query)
    assert_error_page(response)
