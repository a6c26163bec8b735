"""No import cycle: every module of oauthcore can be the first one a project imports.

Each module is imported first in a fresh process after ``django.setup()`` (tests/import_each.py),
with drf-spectacular hidden, importable, and installed as an app and DRF's schema class.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import import_each

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = {
    "without-drf-spectacular": ("tests.settings", ["--without", "drf_spectacular"]),
    "drf-spectacular-importable": ("tests.settings", []),
    "drf-spectacular-app-and-schema": ("tests.spectacular_settings", []),
}


def import_each_first(settings_module: str, options: list[str]) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings_module}
    result = subprocess.run(
        [sys.executable, "-m", "tests.import_each", *options],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize("variant", VARIANTS.values(), ids=VARIANTS.keys())
def test_every_module_imports_first(variant):
    failures = import_each_first(*variant)
    assert failures == {}, "\n".join(f"{name}:\n{error}" for name, error in failures.items())


def test_the_walk_finds_the_public_modules():
    names = import_each.module_names()
    assert "oauthcore.contrib.rest_framework.permissions" in names
    assert "oauthcore.contrib.drf_spectacular" in names
    assert "oauthcore.management.commands.createclient" in names
    assert len(names) > 50
