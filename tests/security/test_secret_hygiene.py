"""No secret in logs, SQL, admin pages or error pages (RFC 9700 4.13, 2.6; OWASP logging).

The flows run with every logger at DEBUG and ``settings.DEBUG = True``, so django.db.backends
logs each SQL statement with its parameters: stored values are hashes, so no raw client secret,
code, refresh token, access token or PKCE verifier may appear anywhere.
"""

import logging
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from oauthcore.adapter import Adapter
from tests import browser, factories, protocol
from tests.factories import VERIFIER
from tests.protocol import basic_auth, post_token
from tests.security.kit import authorize, redirect_query

pytestmark = pytest.mark.django_db

LOGGERS = ["", "django", "django.request", "django.db.backends", "django.server", "oauthcore"]
FORM = "application/x-www-form-urlencoded"
CALLBACK = "https://app.example.com/callback"


@pytest.fixture
def capture(caplog, settings):
    settings.DEBUG = True
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def leaked(secrets: list[str], *texts: str) -> list[str]:
    """Return the secrets (or their last 16 characters, in case of truncation) found in texts."""
    found = []
    for secret in secrets:
        for text in texts:
            if secret in text or secret[-16:] in text:
                found.append(secret[:12] + "…")
    return found


def log_text(caplog) -> str:
    """Everything the log records carry: message, arguments and structured extra fields."""
    parts = [caplog.text]
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr({k: v for k, v in vars(record).items() if k != "msg"}))
    return "\n".join(parts)


def form_post(http, name, data, **extra):
    return http.post(reverse(name), urlencode(data), content_type=FORM, **extra)


def run_flows(http, user, app, pages: list[str]) -> list[str]:
    """Drive every flow once; return the secrets seen and collect the pages shown."""
    http.force_login(user)
    response = authorize(http, protocol.authorize_params(app))
    pages.append(response.content.decode())
    form = browser.form_with_button(response.content.decode(), "Allow")
    code = redirect_query(
        http.post(form.action, urlencode(form.data("Allow")), content_type=FORM), CALLBACK
    )["code"]
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": VERIFIER,
    }
    first = post_token(http, exchange, **basic_auth(app.client_id)).json()
    assert "access_token" in first
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {first['access_token']}"}
    assert http.get("/api/profile/", **bearer).status_code == HTTPStatus.OK
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    second = post_token(http, refresh, **basic_auth(app.client_id)).json()
    cc = {
        "grant_type": "client_credentials",
        "scope": "publish",
        "client_id": app.client_id,
        "client_secret": factories.DEMO_SECRET,
    }
    machine = post_token(http, cc).json()
    for token in (second["access_token"], second["refresh_token"]):
        response = form_post(
            http, "oauthcore:introspect", {"token": token}, **basic_auth(app.client_id)
        )
        assert response.json()["active"] is True
    revoke = {"token": second["refresh_token"]}
    assert (
        form_post(http, "oauthcore:revoke", revoke, **basic_auth(app.client_id)).status_code == 200
    )
    # Errors: a replayed code, a reused refresh token, a dead access token, a wrong secret.
    for data in (exchange, refresh):
        pages.append(post_token(http, data, **basic_auth(app.client_id)).content.decode())
    pages.append(http.get("/api/profile/", **bearer).content.decode())
    pages.append(
        post_token(http, cc | {"client_secret": "wrong-" + factories.DEMO_SECRET}).content.decode()
    )
    bad = protocol.authorize_params(app, redirect_uri="https://evil.com/cb")
    pages.append(authorize(http, bad).content.decode())
    return [
        factories.DEMO_SECRET,
        basic_auth(app.client_id)["HTTP_AUTHORIZATION"].split()[1],  # the secret, base64-encoded
        code,
        VERIFIER,
        first["access_token"],
        first["refresh_token"],
        second["access_token"],
        second["refresh_token"],
        machine["access_token"],
    ]


ADMIN_PAGES = [
    "admin:oauthcore_client_changelist",
    "admin:oauthcore_authorizationcode_changelist",
    "admin:oauthcore_refreshtoken_changelist",
    "admin:oauthcore_revokedaccesstoken_changelist",
    "admin:oauthcore_consent_changelist",
]


def admin_pages(http, app) -> list[str]:
    from django.contrib.auth import get_user_model

    from oauthcore.models import AuthorizationCode, RefreshToken

    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    http.force_login(admin)
    urls = [reverse(name) for name in ADMIN_PAGES]
    urls.append(reverse("admin:oauthcore_client_change", args=[app.pk]))
    for row in RefreshToken.objects.all():
        urls.append(reverse("admin:oauthcore_refreshtoken_change", args=[row.pk]))
    for row in AuthorizationCode.objects.all():
        urls.append(reverse("admin:oauthcore_authorizationcode_change", args=[row.pk]))
    pages = []
    for url in urls:
        response = http.get(url)
        assert response.status_code == HTTPStatus.OK, url
        pages.append(response.content.decode())
    return pages


def test_no_secret_in_logs_sql_admin_or_error_pages(client, user, client_app, capture):
    pages: list[str] = []
    secrets = run_flows(client, user, client_app, pages)
    pages += admin_pages(client, client_app)
    logs = log_text(capture)
    assert "oauthcore_refreshtoken" in logs  # SQL with parameters really was captured
    assert leaked(secrets, logs) == []
    assert leaked(secrets, *pages) == []


# Unexpected failures: Django's technical 500 page (DEBUG) and the error e-mail to ADMINS.


class BrokenAdapter(Adapter):
    def get_access_token_claims(self, *, client, user, scopes):
        raise RuntimeError("a bug in a project's adapter")


@pytest.fixture
def broken(settings, client):
    settings.OAUTHCORE = {
        **settings.OAUTHCORE,
        "ADAPTER": "tests.security.test_secret_hygiene.BrokenAdapter",
        "RATE_LIMIT_ENABLED": False,
    }
    settings.ADMINS = [("Admin", "admin@example.com")]  # Django 6 prefers plain addresses
    client.raise_request_exception = False
    return client


def crash(http, app, user, method):
    """Send a code exchange that reaches the broken adapter; return what it carried."""
    code = factories.make_code(app, user)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "code_verifier": VERIFIER,
    }
    if method == "basic":
        response = post_token(http, data, **basic_auth(app.client_id))
    else:
        data |= {"client_id": app.client_id, "client_secret": factories.DEMO_SECRET}
        response = post_token(http, data)
    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    return [code, VERIFIER, factories.DEMO_SECRET], response


@pytest.mark.parametrize("method", ["post", "basic"])
@pytest.mark.parametrize("debug", [True, False])
def test_an_unexpected_error_shows_and_mails_no_secret(
    broken, client_app, user, settings, mailoutbox, caplog, debug, method
):
    """A bug is a JSON server_error, never Django's debug page (its frame variables would show
    the secret, code and verifier); the error mail to ADMINS hides every POST parameter."""
    settings.DEBUG = debug
    secrets, response = crash(broken, client_app, user, method)
    assert response.json()["error"] == "server_error"
    assert response["Cache-Control"] == "no-store"
    logs = log_text(caplog)
    assert "RuntimeError: a bug in a project's adapter" in logs  # the traceback is logged
    mails = ""
    if not debug:  # mail_admins only sends with DEBUG off
        (mail,) = mailoutbox
        mails = mail.body
        assert "Internal Server Error: /oauth/token/" in mail.subject
        assert "code_verifier = '********************'" in mails  # the POST is in, masked
    if method == "basic":  # the header carries the secret base64-encoded
        header = basic_auth(client_app.client_id)["HTTP_AUTHORIZATION"].split()[1]
        secrets.append(header)
        assert debug or "HTTP_AUTHORIZATION = '********************'" in mails
    assert leaked(secrets, response.content.decode(), logs, mails) == []
