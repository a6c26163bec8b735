"""The health endpoint: 200 when the database and the cache answer, 503 naming what failed."""

from http import HTTPStatus

import pytest
from django.test import override_settings
from django.urls import reverse

UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1: a real failure
    }
}


@pytest.fixture
def url():
    return reverse("oauthcore:health")


@pytest.mark.django_db
def test_healthy(client, url):
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"] == "application/json"


def test_path_is_stable(url):
    assert url == "/oauth/health/"


@pytest.mark.django_db
def test_unreachable_cache_is_503_and_named(client, url):
    with override_settings(CACHES=UNREACHABLE_REDIS):
        response = client.get(url)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json() == {"status": "error", "database": "ok", "cache": "error"}
    assert response["Cache-Control"] == "no-store"
    assert "127.0.0.1:1" not in response.content.decode()  # no infrastructure details


@pytest.mark.django_db
def test_no_database_query_beyond_the_trivial_one(client, url, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert client.get(url).status_code == HTTPStatus.OK


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_only_get(client, url, method):
    assert getattr(client, method)(url).status_code == HTTPStatus.METHOD_NOT_ALLOWED
