"""`manage.py check --deploy`: each oauthcore.W01x warning appears for its setting and only then."""

from datetime import timedelta

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": ""}}
SAFE = {"ISSUER": "https://auth.example.com"}


def deploy_ids(**kwargs):
    messages = run_checks(include_deployment_checks=True, **kwargs)
    return sorted(
        {m.id for m in messages if m.id and m.id.startswith(("oauthcore.W01", "oauthcore.W02"))}
    )


@pytest.fixture
def configure(settings):
    """A production-like configuration: https issuer and a shared cache."""
    settings.OAUTHCORE = {**settings.OAUTHCORE, **SAFE}
    settings.CACHES = REDIS

    def apply(**changes):
        settings.OAUTHCORE = {**settings.OAUTHCORE, **changes}

    return apply


def test_a_production_configuration_has_no_warnings(configure):
    assert deploy_ids() == []


def test_deploy_warnings_only_with_deploy(configure):
    configure(PKCE_REQUIRED=False)
    assert deploy_ids() == ["oauthcore.W012"]
    plain = {m.id for m in run_checks() if m.id}
    assert "oauthcore.W012" not in plain


CASES = {
    "W010": {"ISSUER": "http://127.0.0.1:8000"},
    "W011": {"ACCESS_TOKEN_LIFETIME": timedelta(hours=1, seconds=1)},
    "W012": {"PKCE_REQUIRED": False},
    "W013": {"HS256_SECRET": "x" * 63},
    "W014": {"CLOCK_SKEW": timedelta(minutes=5, seconds=1)},
    "W015": {"REFRESH_TOKEN_LIFETIME": timedelta(days=91)},
    "W016": {"CHECK_REVOKED_TOKENS": False},
    "W017": {"RATE_LIMIT_ENABLED": False},
}

LIMITS = {
    "W011": {"ACCESS_TOKEN_LIFETIME": timedelta(hours=1)},
    "W013": {"HS256_SECRET": "x" * 64},
    "W014": {"CLOCK_SKEW": timedelta(minutes=5)},
    "W015": {"REFRESH_TOKEN_LIFETIME": timedelta(days=90)},
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_warning_for_its_setting(configure, code):
    configure(**CASES[code])
    assert deploy_ids() == [f"oauthcore.{code}"]


@pytest.mark.parametrize("code", sorted(LIMITS))
def test_the_limit_itself_is_accepted(configure, code):
    configure(**LIMITS[code])
    assert deploy_ids() == []


@pytest.mark.parametrize(
    ("backend", "code"),
    [
        ("django.core.cache.backends.locmem.LocMemCache", "W018"),
        ("django.core.cache.backends.dummy.DummyCache", "W019"),
    ],
)
def test_a_cache_that_is_not_shared(configure, settings, backend, code):
    settings.CACHES = {"default": {"BACKEND": backend}}
    assert deploy_ids() == [f"oauthcore.{code}"]
    configure(CHECK_REVOKED_TOKENS=False, RATE_LIMIT_ENABLED=False, CLIENT_CACHE_TTL=timedelta(0))
    assert deploy_ids() == ["oauthcore.W016", "oauthcore.W017"]  # the cache no longer matters


def test_the_deny_list_and_remembered_clients_need_no_shared_cache(configure, settings):
    """They follow the generation in the database (docs/revocation.md): only counters use it."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    configure(RATE_LIMIT_ENABLED=False)
    assert deploy_ids() == ["oauthcore.W017"]


def test_invalid_settings_are_reported_once(configure):
    configure(ACCESS_TOKEN_LIFETIME=7200)  # E002, not a confusing W011 on top
    assert deploy_ids() == []


def test_check_deploy_command_fails_on_warnings(configure):
    configure(RATE_LIMIT_ENABLED=False)
    with pytest.raises(SystemCheckError, match=r"oauthcore\.W017"):
        call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "security")


def test_a_proxy_without_trusted_proxies_is_w020(configure, settings):
    """Behind a TLS-terminating proxy, every request would have the proxy's address."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert deploy_ids() == ["oauthcore.W020"]
    configure(TRUSTED_PROXIES=["10.0.0.0/8"])
    assert deploy_ids() == []


def test_trusted_proxies_without_a_proxy_header_are_fine(configure):
    configure(TRUSTED_PROXIES=["10.0.0.0/8"])
    assert deploy_ids() == []
