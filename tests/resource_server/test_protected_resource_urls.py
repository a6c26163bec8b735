"""Where a resource's metadata lives (RFC 9728 3, 3.1): the well-known segment goes between the
host and the path of the identifier, and ``metadata_path()`` mounts exactly that path.
"""

import pytest
from django.core.exceptions import ImproperlyConfigured

from oauthcore.resource_server import protected_resource

ROOT = "https://api.example.com"


@pytest.mark.parametrize(
    "resource,url",
    [
        ("https://r.example.com", "https://r.example.com/.well-known/oauth-protected-resource"),
        ("https://r.example.com/", "https://r.example.com/.well-known/oauth-protected-resource"),
        (
            "https://r.example.com/resource1",
            "https://r.example.com/.well-known/oauth-protected-resource/resource1",
        ),
        (
            "https://r.example.com:8443/v1/api/",
            "https://r.example.com:8443/.well-known/oauth-protected-resource/v1/api/",
        ),
        (
            "https://r.example.com/?tenant=7",
            "https://r.example.com/.well-known/oauth-protected-resource?tenant=7",
        ),
        (
            "https://r.example.com/t?tenant=7",
            "https://r.example.com/.well-known/oauth-protected-resource/t?tenant=7",
        ),
    ],
)
def test_the_well_known_segment_goes_between_host_and_path(resource, url):
    assert protected_resource.metadata_url(resource) == url


@pytest.mark.parametrize(
    "resource,route",
    [
        (ROOT, "/.well-known/oauth-protected-resource"),
        (ROOT + "/", "/.well-known/oauth-protected-resource"),
        ("https://api.example.com/v1", "/.well-known/oauth-protected-resource/v1"),
        ("https://api.example.com/v1/", "/.well-known/oauth-protected-resource/v1/"),
        ("https://api.example.com/a.b+c/", "/.well-known/oauth-protected-resource/a.b+c/"),
    ],
)
def test_the_mounted_route_is_the_urls_path_exactly(resource, route):
    pattern = protected_resource.metadata_path(resource).pattern
    assert pattern.match(route.lstrip("/"))
    assert not pattern.match(route.lstrip("/") + "x")
    assert not pattern.match("x" + route.lstrip("/"))


@pytest.mark.parametrize(
    "resource",
    [None, "", "api.example.com/a/", "/a/", "https:///a/", "https://h/a#f", "https://h/?q=1"],
)
def test_a_resource_that_cannot_be_mounted_is_refused(resource):
    with pytest.raises(ImproperlyConfigured):
        protected_resource.metadata_path(resource)
