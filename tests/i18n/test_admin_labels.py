"""Every model field oauthcore's admin shows has a translated label of its own.

Without a ``verbose_name`` Django derives the label from the field name ("Created at"), which no
catalog holds, so it stays English in every language. The page test only sees the admin pages it
renders; this one reads every registered ModelAdmin, so a new column or field cannot slip by.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.utils.functional import Promise
from django.utils.translation import override

from tests.i18n.languages import LANGUAGES, compiled


def shown(model_admin) -> set[str]:
    """Return the names a ModelAdmin puts on its list or its form."""
    names = {*model_admin.list_display, *model_admin.readonly_fields}
    names |= {name for name in model_admin.list_filter if isinstance(name, str)}
    names |= {item[0] for item in model_admin.list_filter if isinstance(item, tuple)}
    names |= set(model_admin.fields or ())
    for _title, options in model_admin.fieldsets or ():
        names |= set(options["fields"])
    return names


def shown_fields():
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label != "oauthcore":
            continue
        for name in sorted(shown(model_admin)):
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue  # an admin method: its @admin.display description is marked
            yield pytest.param(field, id=f"{model.__name__}.{name}")


FIELDS = list(shown_fields())


def test_the_admin_shows_fields():
    assert len(FIELDS) > 50  # the registry was read


@pytest.mark.parametrize("field", FIELDS)
def test_each_field_the_admin_shows_has_a_marked_label(field):
    assert isinstance(field.verbose_name, Promise), f"{field} has no gettext_lazy verbose_name"


@pytest.mark.parametrize("accept_language", LANGUAGES)
def test_each_label_is_in_the_catalog(accept_language):
    code, folder = LANGUAGES[accept_language]
    catalog = compiled(folder)
    with override("en"):
        labels = {str(param.values[0].verbose_name) for param in FIELDS}
    missing = sorted(label for label in labels if not catalog.get(label))
    assert not missing, f"labels without a {code} translation: {missing}"
