"""The example project's URLs (oauthcore at the root), and DOT's endpoints under /dot/."""

from django.urls import include, path

from example_project.urls import urlpatterns as example_urlpatterns

urlpatterns = [
    path("dot/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    *example_urlpatterns,
]
