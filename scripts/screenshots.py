"""Take the screenshots of the code flow from a running example project, as a user sees it.

Start the demo first (``make demo``: migrate, seeddemo, runserver on 127.0.0.1:8000), then run
``.venv/bin/python scripts/screenshots.py --base-url http://127.0.0.1:8000 --out docs/screenshots``.
It follows the home page's "Log in to the demo app with this site" link (with ``prompt=consent``
so a second run still shows the consent screen), signs in as the seeded user, ticks nothing off and
clicks Allow; it saves login.png, consent.png and callback.png. Then it opens MyApp, the demo
OpenID Connect relying party at /demo/, logs in with the site and saves demo-rp.png (the verified
ID token and the API answers). Needs the ``browser`` extra and a Chromium (``--chromium``,
default /usr/bin/chromium); see docs/testing.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urljoin

from playwright.sync_api import Error, Page, expect, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_LINK = "Log in to the demo app with this site"
RP_LINK = "Log in with oauthcore"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="the running site")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"), help="PNG folder")
    parser.add_argument("--username", default="alice")
    parser.add_argument("--password", default="alice-demo-password")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="Chromium executable")
    parser.add_argument("--width", type=int, default=800)
    parser.add_argument("--height", type=int, default=700)
    return parser.parse_args(argv)


def start_flow(page: Page, base_url: str) -> None:
    """Open the home page and follow its demo link, asking for the consent screen again."""
    page.goto(base_url.rstrip("/") + "/")
    href = page.get_by_role("link", name=DEMO_LINK).get_attribute("href")
    page.goto(urljoin(page.url, href) + "&prompt=consent")


def capture(page: Page, args: argparse.Namespace) -> list[Path]:
    """Walk login → consent → callback, saving one PNG per page; return the files."""
    shots = []

    def shoot(name: str) -> None:
        path = args.out / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)

    start_flow(page, args.base_url)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.fill("input[name=username]", args.username)
    page.fill("input[name=password]", args.password)
    shoot("login")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Allow")).to_be_visible()
    shoot("consent")
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url("**/demo/callback/?*")
    expect(page.locator("pre")).to_contain_text("code=")
    shoot("callback")
    capture_relying_party(page, args.base_url)
    shoot("demo-rp")
    return shots


def capture_relying_party(page: Page, base_url: str) -> None:
    """Open MyApp (/demo/), log in with the site, and wait for the verified ID token."""
    page.goto(base_url.rstrip("/") + "/demo/")
    page.get_by_role("link", name=RP_LINK).click()
    allow = page.get_by_role("button", name="Allow")
    allow.or_(page.get_by_text("ID token (verified")).first.wait_for()
    if allow.is_visible():
        allow.click()
    expect(page.get_by_text("ID token (verified against the JWKS)")).to_be_visible()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.set_default_timeout(15_000)
        try:
            shots = capture(page, args)
        except (Error, AssertionError) as e:
            print(f"Stopped on {page.url} ({page.title()!r}): {e}", file=sys.stderr)
            return 1
        finally:
            browser.close()
    for path in shots:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
