"""The one-time identifier store's checks: oauthcore.E018, E019 and (``check --deploy``) W021."""

import pytest
from django.core.cache.backends.base import BaseCache
from django.core.checks import run_checks

BACKENDS = "django.core.cache.backends"


class SharedSomehow(BaseCache):
    """A project's own cache backend, which oauthcore knows nothing about."""

    def __init__(self, location, params):
        super().__init__(params)


def single_use_ids(**kwargs) -> list[str]:
    ours = ("oauthcore.E018", "oauthcore.E019", "oauthcore.W021")
    return sorted({m.id for m in run_checks(**kwargs) if m.id in ours})


@pytest.fixture
def configure(settings):
    def apply(store, backend=f"{BACKENDS}.redis.RedisCache"):
        settings.OAUTHCORE = {**settings.OAUTHCORE, "SINGLE_USE_STORE": store}
        settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": "unused"}}

    return apply


@pytest.mark.parametrize("store", ["auto", "cache", "database"])
def test_every_store_is_fine_with_redis(configure, store):
    configure(store)
    assert single_use_ids(include_deployment_checks=True) == []


@pytest.mark.parametrize("store", ["auto", "database"])
@pytest.mark.parametrize("cache", ["locmem.LocMemCache", "dummy.DummyCache"])
def test_an_unshared_cache_is_fine_when_the_database_is_the_store(configure, store, cache):
    configure(store, f"{BACKENDS}.{cache}")
    assert single_use_ids(include_deployment_checks=True) == []


@pytest.mark.parametrize("value", ["memory", "", None, "Cache"])
def test_an_unknown_store_is_e018(configure, value):
    configure(value)
    assert single_use_ids() == ["oauthcore.E018"]


@pytest.mark.parametrize(
    "cache", ["locmem.LocMemCache", "dummy.DummyCache", "filebased.FileBasedCache"]
)
def test_the_cache_forced_on_one_not_shared_is_e019(configure, cache):
    configure("cache", f"{BACKENDS}.{cache}")
    assert single_use_ids() == ["oauthcore.E019"]


def test_the_cache_forced_on_an_unknown_backend_is_w021_with_deploy_only(configure):
    configure("cache", f"{__name__}.SharedSomehow")
    assert single_use_ids() == []
    assert single_use_ids(include_deployment_checks=True) == ["oauthcore.W021"]
