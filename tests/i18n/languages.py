"""The languages oauthcore ships, and what a browser sends to ask for each."""

from __future__ import annotations

import gettext
from pathlib import Path

from django.conf import settings

import oauthcore

CATALOGS = [
    Path(oauthcore.__file__).parent / "locale",  # the package's strings
    Path(settings.BASE_DIR) / "example_project" / "locale",  # the example project's, scope texts
]

# Accept-Language header -> (Django's language code, the folder under locale/)
LANGUAGES = {
    "ar": ("ar", "ar"),
    "de-DE,de;q=0.9": ("de", "de"),
    "es-ES,es;q=0.9": ("es", "es"),
    "fr-FR,fr;q=0.9": ("fr", "fr"),
    "it": ("it", "it"),
    "ja": ("ja", "ja"),
    "nl-NL,nl;q=0.9": ("nl", "nl"),
    "pl": ("pl", "pl"),
    "pt-BR,pt;q=0.9": ("pt-br", "pt_BR"),
    "zh-CN,zh;q=0.9": ("zh-hans", "zh_Hans"),
}
FOLDERS = [folder for _, folder in LANGUAGES.values()]


def po_files() -> list[Path]:
    return [root / folder / "LC_MESSAGES" / "django.po" for root in CATALOGS for folder in FOLDERS]


def compiled(folder: str) -> dict:
    """Return msgid -> msgstr of the committed .mo files of ``folder``, both catalogs merged."""
    merged = {}
    for root in CATALOGS:
        with open(root / folder / "LC_MESSAGES" / "django.mo", "rb") as fp:
            merged.update(gettext.GNUTranslations(fp)._catalog)
    return merged
