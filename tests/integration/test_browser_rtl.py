"""The consent screen in Chromium, right to left in Arabic and left to right in German.

The browser asks for the language as a person's would (Playwright's ``locale`` sets
Accept-Language); the page must then be laid out for it: ``dir="rtl"`` mirrors the page, so the
Allow button, on the right in German, is on the left in Arabic. With OAUTHCORE_SCREENSHOTS set to a
folder, the test saves consent-<lang>.png there (docs/screenshots/, see docs/translations.md).
"""

import os
import re
from pathlib import Path

import pytest

from tests import factories
from tests.integration.test_browser import CHROMIUM, CHROMIUM_ARGS, authorize_url

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

pytestmark = [
    pytest.mark.live,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]
SCREENSHOTS = os.environ.get("OAUTHCORE_SCREENSHOTS")


@pytest.fixture
def app(live_server, settings):
    settings.OAUTHCORE = {**settings.OAUTHCORE, "ISSUER": live_server.url}
    factories.UserFactory(username="alice")  # password "pw"
    return factories.ClientFactory(
        name="Photo Printer", redirect_uris=[live_server.url + "/demo/callback/"]
    )


@pytest.fixture
def chromium(app):
    """A headless Chromium, started after the rows exist (Playwright's loop refuses the ORM)."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def consent_page(chromium, app, locale):
    """Sign in as alice in a browser speaking ``locale``; return the page on the consent screen."""
    context = chromium.new_context(locale=locale, viewport={"width": 800, "height": 760})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(authorize_url(app.redirect_uris[0].removesuffix("/demo/callback/"), app))
    sync_api.expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "pw")
    page.locator("button[type=submit]").click()
    sync_api.expect(page.locator("button[value=allow]")).to_be_visible()
    return page


def layout(page) -> dict:
    box = {
        name: page.locator(f"button[value={name}]").bounding_box() for name in ("allow", "cancel")
    }
    checkbox = page.locator(".oauthcore-scopes input[type=checkbox]").first.bounding_box()
    label = page.locator(".oauthcore-scopes label span").first.bounding_box()
    return {
        "dir": page.evaluate("getComputedStyle(document.documentElement).direction"),
        "lang": page.evaluate("document.documentElement.lang"),
        "allow_is_left": box["allow"]["x"] < box["cancel"]["x"],
        "checkbox_is_left": checkbox["x"] < label["x"],
    }


@pytest.mark.parametrize(
    ("locale", "lang", "direction", "allow", "left"),
    [
        ("ar", "ar", "rtl", "السماح", True),
        ("de-DE", "de", "ltr", "Zulassen", False),
    ],
)
def test_the_consent_screen_follows_the_language_direction(
    chromium, app, locale, lang, direction, allow, left
):
    page = consent_page(chromium, app, locale)
    sync_api.expect(page.locator("button[value=allow]")).to_have_text(allow)
    assert layout(page) == {
        "dir": direction,
        "lang": lang,
        "allow_is_left": left,  # mirrored: Allow is on the left in Arabic, on the right in German
        "checkbox_is_left": not left,  # the box stays at the start of its line
    }
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"consent-{lang}.png"), full_page=True)
    page.locator("button[value=allow]").click()
    page.wait_for_url(re.compile(r"/demo/callback/\?code="))  # the form still works
