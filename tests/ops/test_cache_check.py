"""A default cache that cannot be loaded is oauthcore.E011, naming the cause (no 503s later).

Django's own cache checks crash on such a cache before any check can report it, so the app also
refuses to start with the same message: ``manage.py`` and servers say it at once.
"""

import subprocess
import sys

import pytest
from django.core.checks import run_checks

from oauthcore.ops import checks
from tests.live_stack import ROOT

HIDDEN_DJANGO_REDIS = "raise ImportError(\"No module named 'django_redis'\")\n"


def test_an_unknown_backend_is_e011(settings):
    settings.CACHES = {"default": {"BACKEND": "no_such_package.Cache"}}
    found = checks.check_cache()  # run_checks() would crash in Django's own cache checks first
    assert [m.id for m in found] == ["oauthcore.E011"]
    assert "no_such_package" in found[0].msg
    assert "oauthcore[redis]" in found[0].msg


def test_a_working_cache_passes():
    assert not [m for m in run_checks() if m.id == "oauthcore.E011"]


@pytest.mark.slow
def test_redis_url_without_django_redis_is_e011(tmp_path):
    """CACHE_URL=redis://... with django-redis not installed: ``manage.py check`` says so."""
    (tmp_path / "django_redis.py").write_text(HIDDEN_DJANGO_REDIS)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)}
    env |= {"CACHE_URL": "redis://127.0.0.1:6379/9", "DATABASE_URL": f"sqlite:///{tmp_path}/db"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert (
        "ImproperlyConfigured: The default cache cannot be loaded (oauthcore.E011)" in result.stderr
    )
    assert "django_redis" in result.stderr
    assert "pip install 'oauthcore[redis]'" in result.stderr
