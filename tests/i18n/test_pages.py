"""Every page a person sees, in every shipped language: no English string may be left over.

Each page is rendered twice through HTTP, with the same rows: without Accept-Language (English, the
default) and with the browser header of one language. Every text of the English page must be gone
from the translated one, unless it is data (the client's name, the username, the host, the code)
or the translator kept it ("Code" is "Code" in German, "(client" in French). A string not marked for
translation, marked but never extracted (`make messages`), or extracted but not translated all
leave their English text behind, so each fails here.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from http import HTTPStatus

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from oauthcore.models import Client, Consent
from tests import device_kit, factories, oidc_flow, protocol
from tests.i18n.languages import LANGUAGES, compiled

pytestmark = pytest.mark.django_db

LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
HTML_TAG = re.compile(r'<html lang="([^"]+)" dir="(ltr|rtl)">')


class _Texts(HTMLParser):
    """Collect the text nodes of a page, outside <script> and <style>, and outside ``skip``."""

    def __init__(self, skip_class: str | None) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._stack: list[bool] = []  # for each open element: is it skipped?
        self._skip_class = skip_class

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "input", "meta", "link", "img", "hr"):
            return
        classes = (dict(attrs).get("class") or "").split()
        skipped = tag in ("script", "style") or (self._skip_class in classes)
        self._stack.append(skipped or any(self._stack))

    def handle_endtag(self, tag):
        if self._stack and tag not in ("br", "input", "meta", "link", "img", "hr"):
            self._stack.pop()

    def handle_data(self, data):
        text = " ".join(data.split())
        if text and LETTERS.search(text) and not any(self._stack):
            self.texts.append(text)


def texts(html: str, skip_class: str | None = None) -> list[str]:
    parser = _Texts(skip_class)
    parser.feed(html)
    return parser.texts


# Each page: (how to reach it, the class of an element whose text is protocol wire text).
# A page function takes (http, ctx, headers) and returns the response; ``ctx`` holds the rows.


def consent(http, ctx, headers):
    params = protocol.authorize_params(ctx["app"], scope="read:profile read:email read:contacts")
    return http.get(reverse("oauthcore:authorize"), params, **headers)


def consent_self_registered(http, ctx, headers):
    params = protocol.authorize_params(ctx["stranger"])
    return http.get(reverse("oauthcore:authorize"), params, **headers)


def device_entry(http, ctx, headers):
    return http.get(reverse("oauthcore:device"), **headers)


def device_wrong_code(http, ctx, headers):
    return device_kit.enter(http, "WRONG-CODE", **headers)


def device_too_many_wrong_codes(http, ctx, headers):
    """The page says it in the language; the rate limiter's own text stays English (wire)."""
    with override_settings(OAUTHCORE={**settings.OAUTHCORE, "DEVICE_USER_CODE_FAILURES": 1}):
        device_kit.enter(http, "WRONG-CODE", **headers)
        response = device_kit.enter(http, "WRONG-CODE", **headers)
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    return response


def device_confirm(http, ctx, headers):
    code = device_kit.started(http, ctx["device_app"], scope="read:profile")["user_code"]
    return device_kit.enter(http, code, **headers)


def device_done(http, ctx, headers, decision="allow"):
    return device_kit.decide(http, device_confirm(http, ctx, headers), decision, **headers)


def device_cancelled(http, ctx, headers):
    return device_done(http, ctx, headers, decision="cancel")


def connected_apps(http, ctx, headers):
    return http.get(reverse("oauthcore:connected-apps"), **headers)


def no_connected_apps(http, ctx, headers):
    http.force_login(ctx["newcomer"])
    return http.get(reverse("oauthcore:connected-apps"), **headers)


def logout_confirm(http, ctx, headers):
    params = {"client_id": ctx["app"].client_id}
    return http.get(reverse("oauthcore:end-session"), params, **headers)


def logged_out(http, ctx, headers):
    body = oidc_flow.sign_in(http, ctx["app"], ctx["user"])
    return http.get(
        reverse("oauthcore:end-session"), {"id_token_hint": body["id_token"]}, **headers
    )


def error_page(http, ctx, headers):
    params = protocol.authorize_params(ctx["app"], client_id="no-such-client")
    return http.get(reverse("oauthcore:authorize"), params, **headers)


def login_page(http, ctx, headers):
    http.logout()
    return http.get(reverse("login"), **headers)


def home_page(http, ctx, headers):
    return http.get(reverse("home"), **headers)


def admin_page(url_name, *args):
    def page(http, ctx, headers):
        http.force_login(ctx["staff"])
        return http.get(reverse(url_name, args=[ctx[arg].pk for arg in args]), **headers)

    return page


PAGES = {
    "consent": (consent, None),
    "consent, self-registered client": (consent_self_registered, None),
    "device: enter the code": (device_entry, None),
    "device: a wrong code": (device_wrong_code, None),
    "device: too many wrong codes": (device_too_many_wrong_codes, None),
    "device: confirm": (device_confirm, None),
    "device: allowed": (device_done, None),
    "device: cancelled": (device_cancelled, None),
    "connected apps": (connected_apps, None),
    "connected apps, none": (no_connected_apps, None),
    "logout: confirm": (logout_confirm, None),
    "logout: done": (logged_out, None),
    "error page": (error_page, "oauthcore-error"),  # error_description: RFC wire text, English
    "login (example project)": (login_page, None),
    "home (example project)": (home_page, None),
}
ADMIN_PAGES = {
    "clients": admin_page("admin:oauthcore_client_changelist"),
    "a client": admin_page("admin:oauthcore_client_change", "stranger"),
    "signing keys": admin_page("admin:oauthcore_signingkey_changelist"),
    "rotate the key": admin_page("admin:oauthcore_signingkey_rotate"),
    "rotate a secret": admin_page("admin:oauthcore_client_rotate_secret", "app"),
    "consents": admin_page("admin:oauthcore_consent_changelist"),
    "refresh tokens": admin_page("admin:oauthcore_refreshtoken_changelist"),
    "audit events": admin_page("admin:oauthcore_auditevent_changelist"),
}
# English the admin keeps, none of it a string oauthcore marks:
ADMIN_GAPS = {
    # django-tasks-db's own app and model names, and Django's own gaps in some languages.
    *("Tasks Database Backend", "Task Results", "Model name", "Add link"),
    "Change or view list link",
}
DATA = re.compile(
    r"^(\[.*\]|client-\d+|https?://\S+|[A-Z]{2}\d{3}|EdDSA|([a-z_:-]*[_:][a-z_:-]*(, )?)+)$"
)


@pytest.fixture
def ctx(db):
    user = factories.UserFactory(username="alice")
    app = factories.ClientFactory(name="Photo Printer")
    app.post_logout_redirect_uris = ["https://app.example.com/logged-out"]
    app.save()
    Consent.objects.create(user=user, client=app, scopes=["read:profile"])
    stranger = factories.ClientFactory(name="Stranger", origin=Client.Origin.DYNAMIC)
    device_app = device_kit.device_client(name="Living Room TV")
    newcomer = factories.UserFactory(username="bob")
    staff = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    return {
        "user": user,
        "app": app,
        "stranger": stranger,
        "device_app": device_app,
        "newcomer": newcomer,
        "staff": staff,
    }


def render(page, ctx, accept_language=None):
    http = HttpClient()
    http.force_login(ctx["user"])
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}
    response = page(http, ctx, headers)
    expected = (HTTPStatus.OK, HTTPStatus.BAD_REQUEST, HTTPStatus.TOO_MANY_REQUESTS)
    assert response.status_code in expected, response.status_code
    return response.content.decode()


def data_of(ctx) -> set[str]:
    """The texts that are data, the same in every language."""
    names = {ctx[key].name for key in ("app", "stranger", "device_app")}
    return names | {
        "alice",
        "bob",
        "root",
        "app.example.com",
        "oauthcore",
        "MyApp",
        "JWKS",
        "demo-web",
    }


def kept(text: str, catalog: dict) -> bool:
    """Tell whether a translator kept ``text`` as it is: in the msgid and in its msgstr."""
    return any(text in msgid and text in msgstr for msgid, msgstr in catalog.items() if msgid)


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("accept_language", LANGUAGES)
def test_no_english_is_left_on_the_page(name, accept_language, ctx):
    page, wire_class = PAGES[name]
    code, folder = LANGUAGES[accept_language]
    english = texts(render(page, ctx), wire_class)
    translated_html = render(page, ctx, accept_language)
    translated = set(texts(translated_html, wire_class))
    catalog = compiled(folder)
    left = [
        text
        for text in english
        if text in translated and text not in data_of(ctx) and not kept(text, catalog)
    ]
    assert not left, f"untranslated on the {name} page in {code}: {left}"
    assert HTML_TAG.search(translated_html).groups() == (code, "rtl" if code == "ar" else "ltr")


def django_catalog(code: str) -> dict:
    """Return every catalog Django merges for ``code`` (its own, the apps', ours), lower-cased."""
    with translation.override(code):
        merged = trans_real.catalog()._catalog.items()
    return {k.lower(): v.lower() for k, v in merged if isinstance(k, str)}


def bare(text: str) -> str:
    """Drop what the admin adds around a label: breadcrumbs' "\u203a", a field's colon, a count."""
    return text.strip("\u203a: ").lstrip("0123456789 ")


@pytest.mark.parametrize("name", ADMIN_PAGES)
@pytest.mark.parametrize("accept_language", LANGUAGES)
def test_the_admin_pages_speak_the_language(name, accept_language, ctx):
    code, _folder = LANGUAGES[accept_language]
    english = texts(render(ADMIN_PAGES[name], ctx))
    translated = set(texts(render(ADMIN_PAGES[name], ctx, accept_language)))
    catalog = django_catalog(code)
    known = ADMIN_GAPS | data_of(ctx)
    left = [
        text
        for text in english
        if text in translated
        and bare(text) not in known
        and not DATA.match(bare(text))
        and not kept(bare(text).lower(), catalog)
    ]
    assert not left, f"untranslated on the admin's {name} page in {code}: {left}"


@pytest.mark.parametrize("accept_language", LANGUAGES)
def test_the_consent_buttons_keep_their_values(accept_language, ctx):
    """The labels are translated; the decision values the view reads are not."""
    html = render(consent, ctx, accept_language)
    catalog = compiled(LANGUAGES[accept_language][1])
    allow, cancel = catalog["Allow"], catalog["Cancel"]
    assert f'name="decision" value="allow" class="primary">{allow}</button>' in html
    assert f'name="decision" value="cancel">{cancel}</button>' in html


def test_english_stays_the_default(ctx):
    html = render(consent, ctx)
    assert '<html lang="en" dir="ltr">' in html
    assert ">Allow</button>" in html and ">Cancel</button>" in html
    assert "Read your email address" in html


def test_an_unshipped_language_falls_back_to_english(ctx):
    html = render(consent, ctx, "sw,tlh;q=0.8")
    assert '<html lang="en" dir="ltr">' in html
    assert ">Cancel</button>" in html
