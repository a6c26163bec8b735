"""MyApp, the example project's demo relying party, clicked through over real HTTP.

The RP calls the issuer (itself) over HTTP, so this needs pytest-django's threaded live server.
"""

import re
from http import HTTPStatus
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from django.core.management import call_command

from oauthcore.models import Client, RefreshToken, RevokedAccessToken
from tests import browser

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]

PASSWORD = "alice-rp-password"


@pytest.fixture
def site(live_server, settings, monkeypatch):
    """The example site served for real, seeded as ``make demo`` does."""
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ISSUER": live_server.url}
    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)
    call_command("seeddemo", "--force", verbosity=0)
    return live_server.url


def submit(agent: requests.Session, response, label: str, **fields) -> requests.Response:
    """Click the button labelled ``label`` in the page of ``response``, as a browser would."""
    form = browser.form_with_button(response.text, label)
    data = [(name, value) for name, value in form.data(label) if name not in fields]
    data += list(fields.items())  # a list of pairs: the consent form repeats "scope"
    return agent.post(urljoin(response.url, form.action or response.url), data=data, timeout=10)


def log_in(site: str) -> tuple[requests.Session, requests.Response]:
    """Open MyApp, click "Log in with oauthcore", sign in, Allow; return the agent and MyApp page."""
    agent = requests.Session()
    page = agent.get(f"{site}/demo/", timeout=10)
    assert "Log in with oauthcore" in page.text
    login = agent.get(f"{site}/demo/rp/login/", timeout=10)  # the button is a link
    assert "Sign in" in login.text
    consent = submit(agent, login, "Sign in", username="alice", password=PASSWORD)
    assert "MyApp" in consent.text and "Sign you in with your account" in consent.text
    page = submit(agent, consent, "Allow")
    assert page.status_code == HTTPStatus.OK
    assert urlsplit(page.url).path == "/demo/"
    return agent, page


def claim(page, name: str) -> str:
    """Return a claim shown in MyApp's access-token table."""
    match = re.search(rf"<th>{name}</th><td><code>([^<]*)</code>", page.text)
    assert match, name
    return match.group(1)


def test_seeddemo_registers_the_demo_rp(site):
    rp = Client.objects.get(client_id="demo-rp")
    assert rp.check_secret("demo-rp-secret")
    assert rp.redirect_uris == [f"{site}/demo/rp/callback/"]
    assert rp.post_logout_redirect_uris == [f"{site}/demo/"]
    assert {"openid", "profile", "email", "read:profile", "read:contacts"} == set(rp.allowed_scopes)


def test_the_home_page_links_to_myapp(site):
    assert 'href="/demo/"' in requests.get(f"{site}/", timeout=10).text


def test_log_in_shows_verified_claims_and_api_answers(site):
    _, page = log_in(site)
    text = page.text
    assert "ID token (verified against the JWKS)" in text
    for claim in ("at_hash", "nonce", "sid", "auth_time"):
        assert f"<th>{claim}</th>" in text
    assert "alice@example.com" in text  # userinfo, scope email
    assert text.count("(200)") == 3  # userinfo, /api/profile/, /api/contacts/
    assert "preferred_username" in text  # userinfo, scope profile
    assert "Ada Lovelace" in text  # /api/contacts/


def test_refresh_rotates_and_still_calls_the_api(site):
    agent, page = log_in(site)
    before = claim(page, "jti")
    page = submit(agent, page, "Refresh")
    assert "the refresh token was rotated" in page.text
    assert page.text.count("(200)") == 3
    assert claim(page, "jti") != before
    assert "<th>nonce</th>" not in page.text  # the refreshed ID token has none (OIDC Core 12.2)


def test_revoke_stops_the_api_for_those_tokens(site):
    agent, page = log_in(site)
    jti = claim(page, "jti")
    page = submit(agent, page, "Revoke")
    assert "The tokens were revoked" in page.text
    assert "Log in with oauthcore" in page.text
    assert RevokedAccessToken.objects.filter(jti=jti).exists()
    assert RefreshToken.objects.filter(client__client_id="demo-rp", revoked_at=None).count() == 0


def test_log_out_ends_the_issuer_session_and_comes_back(site):
    agent, page = log_in(site)
    page = submit(agent, page, "Log out")
    assert urlsplit(page.url).path == "/demo/"
    state = parse_qs(urlsplit(page.url).query)["state"][0]
    assert f"<code>{state}</code>" in page.text  # "You are logged out (… state …)"
    home = agent.get(f"{site}/", timeout=10)
    assert "Signed in as" not in home.text  # signed out of the issuer too


def test_a_forged_callback_is_refused(site):
    agent, _ = log_in(site)
    page = agent.get(f"{site}/demo/rp/callback/?code=x&state=forged", timeout=10)
    assert "does not match a login we started" in page.text
