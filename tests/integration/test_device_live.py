"""The device flow across processes' boundaries: a live server, a device polling it over HTTP in
its own thread, and a real browser (headless Chromium) where the user signs in, types the code
and allows (RFC 8628 3.1-3.5).

Database rows are made before the browser starts (Playwright keeps an event loop in the test's
thread, where Django refuses ORM calls); the poller uses HTTP only.
"""

import re
import threading
import time
from http import HTTPStatus
from pathlib import Path

import jwt
import pytest
import requests

from tests import factories
from tests.integration.test_browser import CHROMIUM, CHROMIUM_ARGS

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"

pytestmark = [
    pytest.mark.live,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.fixture
def issuer(live_server, settings):
    settings.OAUTHCORE = {
        **settings.OAUTHCORE,
        "ISSUER": live_server.url,
        "DEVICE_POLL_INTERVAL": 1,
    }
    return live_server.url


@pytest.fixture
def rows(issuer):
    """alice (password "pw") and a public device client, made before the browser starts."""
    alice = factories.UserFactory(username="alice")
    app = factories.ClientFactory(
        name="Living Room TV",
        client_type="public",
        secret_hash="",
        redirect_uris=[],
        grant_types=[DEVICE_CODE, "refresh_token"],
    )
    return {"sub": str(alice.pk), "client_id": app.client_id, "name": app.name}


@pytest.fixture
def page():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 800, "height": 700})
        context.set_default_timeout(15_000)
        yield context.new_page()
        context.close()
        browser.close()


class Poller(threading.Thread):
    """A device: polls the token endpoint at its interval, slowing down when told (RFC 8628 3.5)."""

    def __init__(self, issuer: str, client_id: str, started: dict) -> None:
        super().__init__(daemon=True)
        self.url, self.client_id, self.started = f"{issuer}/oauth/token/", client_id, started
        self.errors: list[str] = []
        self.result: dict | None = None

    def run(self) -> None:
        interval = self.started["interval"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            data = {
                "grant_type": DEVICE_CODE,
                "device_code": self.started["device_code"],
                "client_id": self.client_id,
            }
            response = requests.post(self.url, data=data, timeout=10)
            body = response.json()
            if response.status_code == HTTPStatus.OK:
                self.result = body
                return
            self.errors.append(body["error"])
            if body["error"] == "slow_down":
                interval += 5
            elif body["error"] != "authorization_pending":
                return
            time.sleep(interval)


def start_device(issuer: str, client_id: str) -> dict:
    data = {"client_id": client_id, "scope": "read:profile read:email"}
    response = requests.post(f"{issuer}/oauth/device_authorization/", data=data, timeout=10)
    assert response.status_code == HTTPStatus.OK, response.text
    assert response.json()["interval"] == 1  # DEVICE_POLL_INTERVAL, read at call time
    return response.json()


def sign_in(page, url: str) -> None:
    page.goto(url)
    sync_api.expect(page).to_have_url(re.compile(re.escape("/accounts/login/")))
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "pw")
    page.get_by_role("button", name="Sign in").click()


def test_the_user_types_the_code_allows_and_the_device_gets_tokens(issuer, rows, page):
    started = start_device(issuer, rows["client_id"])
    poller = Poller(issuer, rows["client_id"], started)
    poller.start()

    sign_in(page, started["verification_uri"])
    sync_api.expect(page.get_by_role("heading", name="Connect a device")).to_be_visible()
    typed = started["user_code"].replace("-", " ").lower()  # as a person may type it
    page.fill("input[name=user_code]", "BBBB-BBBB")
    page.get_by_role("button", name="Continue").click()
    sync_api.expect(page.locator(".oauthcore-error")).to_be_visible()
    page.fill("input[name=user_code]", typed)
    page.get_by_role("button", name="Continue").click()
    sync_api.expect(page.locator("h1")).to_contain_text(rows["name"])
    sync_api.expect(page.get_by_text(started["user_code"])).to_be_visible()
    page.get_by_role("button", name="Allow").click()
    sync_api.expect(page.get_by_role("heading", name="Device connected")).to_be_visible()

    poller.join(timeout=30)
    assert poller.result is not None, poller.errors
    assert "authorization_pending" in poller.errors  # it polled while the user decided
    assert poller.result["scope"] == "read:profile read:email"
    assert poller.result["refresh_token"]
    claims = jwt.decode(poller.result["access_token"], options={"verify_signature": False})
    assert claims["sub"] == rows["sub"] and claims["client_id"] == rows["client_id"]


def test_the_complete_uri_still_needs_the_allow_click_and_cancel_denies(issuer, rows, page):
    started = start_device(issuer, rows["client_id"])
    poller = Poller(issuer, rows["client_id"], started)
    poller.start()

    sign_in(page, started["verification_uri_complete"])
    sync_api.expect(page.get_by_role("button", name="Allow")).to_be_visible()
    sync_api.expect(page.locator("h1")).to_contain_text(rows["name"])
    time.sleep(2.5)  # the device keeps polling: nothing was decided by opening the link
    assert poller.result is None and set(poller.errors) <= {"authorization_pending"}
    page.get_by_role("button", name="Cancel").click()
    sync_api.expect(page.get_by_role("heading", name="Device not connected")).to_be_visible()

    poller.join(timeout=30)
    assert poller.result is None
    assert poller.errors[-1] == "access_denied"
