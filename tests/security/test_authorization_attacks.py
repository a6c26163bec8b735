"""Attacks on the code flow (RFC 9700 4.5, 4.4, 4.7, 4.8, 4.14; RFC 7636; RFC 9207).

Each attack goes through HTTP and asserts the exact refusal and that nothing changed.
Complements tests/server/test_token_code.py, tests/server/test_consent.py and
tests/server/test_token_refresh.py, which cover the single-step refusals; here the attacks are
played end to end.
"""

from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.core import signing
from django.test import Client as HttpClient

from oauthcore.models import AuthorizationCode, Consent
from oauthcore.server import authorization, pkce
from tests import browser, factories, protocol
from tests.factories import VERIFIER
from tests.protocol import basic_auth, post_token, refresh
from tests.security.kit import (
    ISSUER,
    assert_error_page,
    assert_json_error,
    authorize,
    b64,
    redirect_query,
    snapshot,
    unb64,
)

pytestmark = pytest.mark.django_db

CALLBACK = "https://app.example.com/callback"
CHALLENGE = pkce.s256(VERIFIER)


def code_for(http, app, **overrides) -> str:
    """Run the authorization request of a consenting, signed-in user; return the code."""
    return redirect_query(authorize(http, protocol.authorize_params(app, **overrides)), CALLBACK)[
        "code"
    ]


def exchange(http, app, code, secret=factories.DEMO_SECRET, **fields):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, **fields}
    data = {name: value for name, value in data.items() if value is not None}
    if app.is_public:
        return post_token(http, {**data, "client_id": app.client_id})
    return post_token(http, data, **basic_auth(app.client_id, secret))


def api(http, access_token, url="/api/profile/"):
    return http.get(url, HTTP_AUTHORIZATION=f"Bearer {access_token}")


# PKCE downgrade (RFC 9700 4.8, 2.1.1)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"code_verifier": ""},
        {"code_verifier": CHALLENGE},  # the challenge itself, as plain would take it
        {"code_verifier": CHALLENGE, "code_challenge_method": "plain"},
        {"code_verifier": VERIFIER[:-1] + "X"},
        {"code_verifier": VERIFIER.upper()},
        {"code_verifier": "a" * 129},
    ],
    ids=["none", "empty", "challenge", "plain", "one-char-off", "upper", "too-long"],
)
def test_a_code_bound_to_s256_needs_its_verifier(victim, client_app, fields):
    code = code_for(victim, client_app)
    before = snapshot()
    assert_json_error(
        exchange(victim, client_app, code, **fields), HTTPStatus.BAD_REQUEST, "invalid_grant"
    )
    assert snapshot() == before
    # The failed attempts did not burn the code: the real client still redeems it.
    assert exchange(victim, client_app, code, code_verifier=VERIFIER).status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    "overrides",
    [
        {"code_challenge_method": "plain"},
        {"code_challenge_method": None},  # defaults to plain (RFC 7636 4.3)
        {"code_challenge_method": "s256"},
        {"code_challenge": VERIFIER, "code_challenge_method": "plain"},
        {"code_challenge": None, "code_challenge_method": None},
    ],
)
def test_the_authorization_request_cannot_downgrade_pkce(victim, client_app, overrides):
    params = protocol.authorize_params(client_app, **overrides)
    query = redirect_query(authorize(victim, params), CALLBACK)
    assert query["error"] == "invalid_request"
    assert "code" not in query
    assert not AuthorizationCode.objects.exists()


# Code injection across clients (RFC 9700 4.5)


@pytest.mark.parametrize("thief_public", [False, True])
def test_another_client_cannot_redeem_a_code(victim, client_app, thief_public):
    code = code_for(victim, client_app)
    thief = factories.ClientFactory(public=thief_public, redirect_uris=[CALLBACK])
    before = snapshot()
    assert_json_error(
        exchange(victim, thief, code, code_verifier=VERIFIER),
        HTTPStatus.BAD_REQUEST,
        "invalid_grant",
    )
    assert snapshot() == before
    assert exchange(victim, client_app, code, code_verifier=VERIFIER).status_code == HTTPStatus.OK


def test_a_public_client_cannot_pose_as_the_confidential_one(victim, client_app):
    code = code_for(victim, client_app)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    data |= {"code_verifier": VERIFIER, "client_id": client_app.client_id}
    before = snapshot()
    assert_json_error(post_token(victim, data), HTTPStatus.UNAUTHORIZED, "invalid_client")
    assert snapshot() == before


# Code replay (RFC 6749 4.1.2, RFC 9700 4.14)


def test_a_replayed_code_kills_what_it_issued_at_the_api(victim, client_app):
    code = code_for(victim, client_app)
    first = exchange(victim, client_app, code, code_verifier=VERIFIER).json()
    assert api(victim, first["access_token"]).status_code == HTTPStatus.OK
    replay = exchange(victim, client_app, code, code_verifier=VERIFIER)
    assert_json_error(replay, HTTPStatus.BAD_REQUEST, "invalid_grant")
    refused = api(victim, first["access_token"])
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    assert refused.json()["error"] == "invalid_token"
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    assert_json_error(
        post_token(victim, refresh, **basic_auth(client_app.client_id)),
        HTTPStatus.BAD_REQUEST,
        "invalid_grant",
    )


# Mix-up (RFC 9207, RFC 9700 4.4): iss in every authorization response


def cancel(http, app, **overrides):
    response = authorize(http, protocol.authorize_params(app, **overrides))
    form = browser.form_with_button(response.content.decode(), "Cancel")
    return http.post(form.action, urlencode(form.data("Cancel")), content_type=FORM)


FORM = "application/x-www-form-urlencoded"


def answers(http, user, app):
    """Every kind of authorization response a verified redirect URI receives."""
    yield "code", authorize(http, protocol.authorize_params(app))
    yield "invalid_scope", authorize(http, protocol.authorize_params(app, scope="nope"))
    yield (
        "unsupported_response_type",
        authorize(http, protocol.authorize_params(app, response_type="token")),
    )
    yield "invalid_request", authorize(http, protocol.authorize_params(app, code_challenge=None))
    other = factories.ClientFactory(redirect_uris=[CALLBACK])
    yield "consent_required", authorize(http, protocol.authorize_params(other, prompt="none"))
    yield "access_denied", cancel(http, other)
    http.logout()
    yield "login_required", authorize(http, protocol.authorize_params(app, prompt="none"))


def test_every_authorization_response_names_the_issuer(victim, client_app, user):
    seen = []
    for kind, response in answers(victim, user, client_app):
        query = redirect_query(response, CALLBACK)
        assert query["iss"] == ISSUER, kind
        assert response["Location"].count("iss=") == 1
        assert (query.get("error") or "code") == kind
        seen.append(kind)
    assert len(seen) == 7


def test_metadata_announces_iss(client):
    metadata = client.get("/.well-known/oauth-authorization-server").json()
    assert metadata["issuer"] == ISSUER
    assert metadata["authorization_response_iss_parameter_supported"] is True


# State (RFC 6749 4.1.2, 10.12)

SPECIAL_STATE = " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ a+b%20c&state=evil&iss=x"


@pytest.mark.parametrize("error", [False, True])
def test_state_comes_back_exactly(victim, client_app, error):
    overrides = {"state": SPECIAL_STATE, **({"scope": "nope"} if error else {})}
    query = redirect_query(
        authorize(victim, protocol.authorize_params(client_app, **overrides)), CALLBACK
    )
    assert query["state"] == SPECIAL_STATE
    assert query["iss"] == ISSUER
    assert ("error" in query) is error


@pytest.mark.parametrize("error", [False, True])
def test_no_state_sent_means_no_state_back(victim, client_app, error):
    overrides = {"state": None, **({"scope": "nope"} if error else {})}
    response = authorize(victim, protocol.authorize_params(client_app, **overrides))
    assert "state" not in redirect_query(response, CALLBACK)


@pytest.mark.parametrize("state", ["caf\u00e9", "a\nb", "x" * 1025])
def test_a_malformed_state_is_refused_and_not_echoed(victim, client_app, state):
    response = authorize(victim, protocol.authorize_params(client_app, state=state))
    query = redirect_query(response, CALLBACK)
    assert query["error"] == "invalid_request"
    assert "state" not in query
    assert not AuthorizationCode.objects.exists()


# Consent: CSRF, another user's form, clickjacking, scope escalation (RFC 9700 4.7, 4.16)


@pytest.fixture
def fresh(user, client_app):
    """A user signed in who has not consented yet, with CSRF checks on as in a browser."""
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(user)
    return http


def consent_form(http, app, **overrides):
    response = authorize(http, protocol.authorize_params(app, **overrides))
    assert response.status_code == HTTPStatus.OK
    return response, browser.form_with_button(response.content.decode(), "Allow")


def post(http, form, data):
    return http.post(form.action, urlencode(data), content_type=FORM)


def replaced(data, name, value):
    return [(k, v) for k, v in data if k != name] + ([(name, value)] if value is not None else [])


@pytest.mark.parametrize("token", [None, "", "forged" * 8])
def test_consent_without_the_csrf_token_is_forbidden(fresh, client_app, token):
    _, form = consent_form(fresh, client_app)
    before = snapshot()
    response = post(fresh, form, replaced(form.data("Allow"), "csrfmiddlewaretoken", token))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert snapshot() == before


def test_consent_with_the_attackers_own_csrf_token_is_forbidden(fresh, client_app):
    """A cross-site form carries the attacker's token, which does not fit the victim's cookie."""
    attacker = HttpClient(enforce_csrf_checks=True)
    attacker.force_login(factories.UserFactory(username="mallory"))
    _, theirs = consent_form(attacker, client_app)
    _, form = consent_form(fresh, client_app)
    token = dict(theirs.fields)["csrfmiddlewaretoken"]
    before = snapshot()
    data = replaced(form.data("Allow"), "csrfmiddlewaretoken", token)
    assert post(fresh, form, data).status_code == HTTPStatus.FORBIDDEN
    assert snapshot() == before


def test_a_form_sealed_for_another_user_is_refused(fresh, client_app, user):
    """Mallory submits Alice's form from her own valid session and CSRF token."""
    _, alices = consent_form(fresh, client_app)
    mallory = HttpClient(enforce_csrf_checks=True)
    mallory.force_login(factories.UserFactory(username="mallory"))
    _, hers = consent_form(mallory, client_app)
    before = snapshot()
    data = replaced(hers.data("Allow"), "request", dict(alices.fields)["request"])
    assert_error_page(post(mallory, hers, data))
    assert snapshot() == before
    assert not Consent.objects.exists()


@pytest.mark.parametrize("with_middleware", [True, False])
def test_the_consent_page_cannot_be_framed(fresh, client_app, settings, with_middleware):
    """The view protects itself: removing Django's clickjacking middleware changes nothing."""
    if not with_middleware:
        settings.MIDDLEWARE = [
            m
            for m in settings.MIDDLEWARE
            if m != "django.middleware.clickjacking.XFrameOptionsMiddleware"
        ]
    response, _ = consent_form(fresh, client_app)
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Security-Policy"] == "frame-ancestors 'none'"


@pytest.mark.parametrize("extra", ["publish", "read:contacts", "nope", "read:profile publish"])
def test_posting_a_scope_outside_the_signed_request_is_refused(fresh, client_app, extra):
    _, form = consent_form(fresh, client_app, scope="read:profile")
    before = snapshot()
    response = post(fresh, form, [*form.data("Allow"), ("scope", extra)])
    assert_error_page(response)
    assert snapshot() == before


def tampered(sealed: str) -> str:
    """Rewrite the payload of a signed blob to ask for every scope, keeping the old signature."""
    compressed = sealed.startswith(".")
    payload, *rest = sealed.lstrip(".").split(":")
    data = signing.loads(sealed, salt=authorization.CONSENT_SALT)
    data["p"]["scope"] = ["read:profile read:email read:contacts publish"]
    forged = b64(signing.JSONSerializer().dumps(data))
    assert unb64(payload) != unb64(forged)
    return ("." if compressed else "") + ":".join([forged, *rest])


@pytest.mark.parametrize("scope_field", ["read:profile", "publish"])
def test_a_request_blob_tampered_to_add_scopes_is_refused(fresh, client_app, scope_field):
    _, form = consent_form(fresh, client_app, scope="read:profile")
    forged = tampered(dict(form.fields)["request"])
    before = snapshot()
    data = replaced(form.data("Allow"), "request", forged)
    data = replaced(data, "scope", scope_field)
    assert_error_page(post(fresh, form, data))
    assert snapshot() == before


# Scope escalation at refresh (RFC 6749 6)


def tokens(victim, app, scope="read:profile"):
    code = code_for(victim, app, scope=scope)
    return exchange(victim, app, code, code_verifier=VERIFIER).json()


@pytest.mark.parametrize(
    "scope", ["read:profile read:email", "publish", "read:profile\u00a0publish"]
)
def test_refresh_cannot_broaden_the_grant(victim, client_app, scope):
    issued = tokens(victim, client_app)
    before = snapshot()
    assert_json_error(
        refresh(victim, client_app, issued["refresh_token"], scope=scope),
        HTTPStatus.BAD_REQUEST,
        "invalid_scope",
    )
    assert snapshot() == before
    assert refresh(victim, client_app, issued["refresh_token"]).status_code == HTTPStatus.OK


def test_a_scope_withdrawn_from_the_client_is_dropped_at_refresh(victim, client_app):
    issued = tokens(victim, client_app, scope="read:profile read:email")
    client_app.allowed_scopes = ["read:email"]
    client_app.save()
    renewed = refresh(victim, client_app, issued["refresh_token"]).json()
    assert renewed["scope"] == "read:email"
    refused = api(victim, renewed["access_token"], "/api/profile/")
    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert refused.json()["error"] == "insufficient_scope"
    assert api(victim, renewed["access_token"], "/api/email/").status_code == HTTPStatus.OK
    again = refresh(victim, client_app, renewed["refresh_token"], scope="read:profile")
    assert_json_error(again, HTTPStatus.BAD_REQUEST, "invalid_scope")
