"""A real browser (headless Chromium driven by Playwright) through login and the consent screen.

The example project is served by pytest-django's live server; Playwright's sync API runs in the
test's main thread. Database rows are made before the browser starts: Playwright keeps an event
loop in this thread, where Django refuses ORM calls. Skipped when Playwright or Chromium is missing
(install the ``browser`` extra; see docs/testing.md).
"""

import os
import re
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from oauthcore.models import Client
from oauthcore.server import pkce
from tests import factories
from tests.document_server import DocumentServer

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VERIFIER = "browser-test-verifier-" + "x" * 30
STATE = "state-from-the-browser-test"

pytestmark = [
    pytest.mark.live,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.fixture
def issuer(live_server, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ISSUER": live_server.url}
    return live_server.url


@pytest.fixture
def app(issuer):
    """A confidential client whose redirect URI is the example project's demo callback page."""
    factories.UserFactory(username="alice")  # password "pw"
    return factories.ClientFactory(redirect_uris=[issuer + "/demo/callback/"])


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 800, "height": 700})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def authorize_url(issuer, app):
    query = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uris[0],
        "scope": "read:profile read:email",
        "state": STATE,
        "code_challenge": pkce.s256(VERIFIER),
        "code_challenge_method": "S256",
    }
    return f"{issuer}/oauth/authorize/?{urlencode(query)}"


def sign_in(page, url):
    """Open ``url`` as an anonymous user, sign in as alice; stop on the consent screen."""
    page.goto(url)
    sync_api.expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "pw")
    page.get_by_role("button", name="Sign in").click()
    sync_api.expect(page.get_by_role("button", name="Allow")).to_be_visible()


def landed_on_callback(page, app):
    """Wait for the demo callback page; return its query parameters."""
    page.wait_for_url(lambda url: url.startswith(app.redirect_uris[0] + "?"))
    sync_api.expect(page.locator("h1")).to_have_text("Demo app: callback")
    return {name: values[0] for name, values in parse_qs(urlsplit(page.url).query).items()}


def test_allow_with_one_scope_unticked(issuer, app, page):
    sign_in(page, authorize_url(issuer, app))
    expect = sync_api.expect
    expect(page.locator("h1")).to_contain_text(app.name)
    expect(page.get_by_text("Read your profile info")).to_be_visible()
    expect(page.get_by_text("Read your email address")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel")).to_be_visible()
    page.get_by_label("Read your email address").uncheck()
    page.get_by_role("button", name="Allow").click()

    query = landed_on_callback(page, app)
    assert query["state"] == STATE
    assert query["iss"] == issuer
    expect(page.locator("pre")).to_contain_text(query["code"])
    data = {
        "grant_type": "authorization_code",
        "code": query["code"],
        "redirect_uri": app.redirect_uris[0],
        "code_verifier": VERIFIER,
    }
    auth = (app.client_id, factories.DEMO_SECRET)  # client_secret_basic
    response = requests.post(f"{issuer}/oauth/token/", data=data, auth=auth, timeout=10)
    assert response.status_code == HTTPStatus.OK, response.text
    assert response.json()["scope"] == "read:profile"


def test_cancel_sends_access_denied_back(issuer, app, page):
    sign_in(page, authorize_url(issuer, app))
    page.get_by_role("button", name="Cancel").click()

    query = landed_on_callback(page, app)
    assert query["error"] == "access_denied"
    assert query["state"] == STATE
    assert "code" not in query
    sync_api.expect(page.locator(".oauthcore-error")).to_contain_text("access_denied")


def test_consent_page_cannot_be_framed_and_fits_a_phone(issuer, app, browser):
    context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True)
    page = context.new_page()
    sign_in(page, authorize_url(issuer, app))
    response = page.goto(authorize_url(issuer, app))  # signed in: the consent page itself
    assert response.status == HTTPStatus.OK
    assert response.header_value("x-frame-options") == "DENY"

    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for label in ("Allow", "Cancel"):
        button = page.get_by_role("button", name=label)
        button.scroll_into_view_if_needed()
        sync_api.expect(button).to_be_in_viewport()
        box = button.bounding_box()
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 375
    context.close()


@pytest.fixture
def demo_site(issuer, monkeypatch):
    """The example site seeded as ``make demo`` does (before the browser starts: see above)."""
    from django.core.management import call_command

    monkeypatch.setenv("DEMO_PASSWORD", "alice-browser-password")
    call_command("seeddemo", "--force", verbosity=0)
    return issuer


def test_myapp_demo_login_refresh_and_logout(demo_site, page):
    """The seed's whole story in a browser: MyApp signs alice in, shows tokens, refreshes, logs out."""
    page.goto(f"{demo_site}/demo/")
    page.get_by_role("link", name="Log in with oauthcore").click()
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice-browser-password")
    page.get_by_role("button", name="Sign in").click()
    sync_api.expect(page.get_by_text("Sign you in with your account")).to_be_visible()
    page.get_by_role("button", name="Allow").click()
    sync_api.expect(page.get_by_text("ID token (verified against the JWKS)")).to_be_visible()
    sync_api.expect(page.get_by_text('"email": "alice@example.com"')).to_be_visible()
    first_jti = page.locator("th:text-is('jti') + td").inner_text()
    page.get_by_role("button", name="Refresh").click()
    sync_api.expect(page.locator("th:text-is('jti') + td")).not_to_have_text(first_jti)
    page.get_by_role("button", name="Log out").click()
    if page.get_by_role("button", name="Log out").count():  # the issuer asks to confirm
        page.get_by_role("button", name="Log out").click()
    sync_api.expect(page.get_by_role("link", name="Log in with oauthcore")).to_be_visible()


@pytest.fixture
def self_registered_app(issuer):
    factories.UserFactory(username="alice")
    return factories.ClientFactory(
        name="Totally Official Bank",
        redirect_uris=[issuer + "/demo/callback/"],
        origin=Client.Origin.DYNAMIC,
        skip_consent=True,  # ignored: only staff may pre-trust a client
    )


def test_a_self_registered_app_is_marked_as_unverified(issuer, self_registered_app, page):
    """A client that registered itself (RFC 7591) never looks like one the site vouches for."""
    sign_in(page, authorize_url(issuer, self_registered_app))
    note = page.get_by_role("note")
    sync_api.expect(note).to_be_visible()
    sync_api.expect(note).to_contain_text("This app registered itself")
    page.get_by_role("button", name="Allow").click()
    assert "code" in landed_on_callback(page, self_registered_app)


@pytest.fixture
def document_client(issuer, settings):
    """A client ID metadata document served on this machine, and the settings that accept it."""
    settings.OAUTHCORE = {
        **settings.OAUTHCORE,
        "CLIENT_ID_METADATA_DOCUMENTS": True,
        "FETCH_ALLOW_LOOPBACK": True,
    }
    factories.UserFactory(username="alice")
    documents = DocumentServer()
    callback = issuer + "/demo/callback/"
    yield documents.document(client_name="Doc App", redirect_uris=[callback]), callback
    documents.close()


def test_a_metadata_document_client_is_named_with_its_host(issuer, document_client, page):
    """A client ID metadata document's client: its chosen name beside the host that serves it."""
    client_id, callback = document_client
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": callback,
        "scope": "read:profile",
        "state": STATE,
        "code_challenge": pkce.s256(VERIFIER),
        "code_challenge_method": "S256",
    }
    sign_in(page, f"{issuer}/oauth/authorize/?{urlencode(query)}")
    heading = page.locator("h1")
    sync_api.expect(heading).to_contain_text("Doc App (127.0.0.1) wants to access your account")
    sync_api.expect(page.get_by_role("note")).to_contain_text("This app registered itself")
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(lambda url: url.startswith(callback + "?"))
    assert "code" in parse_qs(urlsplit(page.url).query)
