"""The catalogs: complete, compiled, in step with the sources; system checks speak the language."""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import translation

import oauthcore
from oauthcore.contrib.rest_framework import checks as drf_checks
from oauthcore.ops import checks
from tests.i18n.languages import FOLDERS, LANGUAGES, po_files

MSGFMT = shutil.which("msgfmt")
needs_gettext = pytest.mark.skipif(MSGFMT is None, reason="GNU gettext (msgfmt) is not installed")
COMPLETE = re.compile(r"^\d+ translated messages?\.$")


def statistics(po: Path) -> str:
    """Return msgfmt's count of translated, fuzzy and untranslated messages of ``po``."""
    done = subprocess.run(
        [MSGFMT, "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=True,  # --check: a broken placeholder (%(name)s) fails here
    )
    return done.stderr.strip()


@needs_gettext
@pytest.mark.parametrize("po", po_files(), ids=lambda po: f"{po.parts[-5]}/{po.parts[-3]}")
def test_every_catalog_is_complete(po):
    """No empty msgstr, no fuzzy entry: msgfmt counts translated messages only."""
    assert COMPLETE.match(statistics(po)), statistics(po)


def catalog(mo: Path) -> dict:
    with open(mo, "rb") as fp:
        return gettext.GNUTranslations(fp)._catalog


@needs_gettext
@pytest.mark.parametrize("po", po_files(), ids=lambda po: f"{po.parts[-5]}/{po.parts[-3]}")
def test_the_committed_mo_is_compiled_from_the_po(po, tmp_path):
    """`make compilemessages` was run after the last change to the .po."""
    fresh = tmp_path / "django.mo"
    subprocess.run([MSGFMT, "-o", str(fresh), str(po)], check=True)
    assert catalog(po.with_suffix(".mo")) == catalog(fresh)


@needs_gettext
@pytest.mark.slow
def test_the_catalogs_hold_every_marked_string(tmp_path):
    """Extract the package's strings afresh (`make messages`): none may be left to translate."""
    package = tmp_path / "oauthcore"
    shutil.copytree(
        Path(oauthcore.__file__).parent,
        package,
        ignore=shutil.ignore_patterns("__pycache__", "*.mo"),
    )
    django_admin = Path(sys.executable).with_name("django-admin")
    locales = [arg for folder in FOLDERS for arg in ("-l", folder)]
    env = {name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"}
    subprocess.run(
        [django_admin, "makemessages", "--no-obsolete", *locales],
        cwd=package,
        env=env,  # as `make messages` runs it: no project settings
        check=True,
        capture_output=True,
    )
    for folder in FOLDERS:
        po = package / "locale" / folder / "LC_MESSAGES" / "django.po"
        assert COMPLETE.match(statistics(po)), f"{folder}: {statistics(po)} (run make messages)"


def problems(found) -> list[tuple[str, str]]:
    return [(message.msg, message.hint or "") for message in found]


@pytest.mark.parametrize("accept_language", LANGUAGES)
def test_system_checks_speak_the_language(accept_language, settings):
    """The messages and hints of the checks, and of `check --deploy`, are translated."""
    code = LANGUAGES[accept_language][0]
    settings.OAUTHCORE = {
        **settings.OAUTHCORE,
        "ISSUER": "ftp://auth.example.com/",
        "REGISTRATION": "sometimes",
        "PKCE_REQUIRED": False,
        "PROTECTED_RESOURCE": "ftp://api.example.com/",
    }

    def run():
        found = checks.check_settings() + checks.check_deployment()
        return problems(found + drf_checks.check_protected_resource())

    english = run()
    with translation.override(code):
        translated = run()
    assert len(english) == len(translated) >= 4
    for (message, hint), (local_message, local_hint) in zip(english, translated, strict=True):
        assert local_message != message
        assert local_hint != hint or not hint
    assert "'ftp://auth.example.com/'" in translated[0][0]  # placeholders are filled in


def test_the_check_command_prints_the_language(settings):
    """`manage.py check --deploy` runs in the active language (LANGUAGE_CODE)."""
    settings.OAUTHCORE = {
        **settings.OAUTHCORE,
        "PKCE_REQUIRED": False,
        "ISSUER": "http://x.example",
    }
    with translation.override("de"), pytest.raises(SystemCheckError) as raised:
        call_command("check", deploy=True, tags=["security"])
    assert "ist kein gültiger Issuer: 'http://x.example'" in str(raised.value)
    assert "ist aus: Vertrauliche Clients dürfen PKCE auslassen" in str(raised.value)
