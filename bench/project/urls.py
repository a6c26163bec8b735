"""oauthcore at the root (as documented), DOT under /dot/, the API views under /api/<name>/."""

from django.urls import include, path

from bench.project.views import API_VIEWS

urlpatterns = [
    path("", include("oauthcore.urls")),
    path("dot/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    *(path(f"api/{name}/", view.as_view()) for name, view in API_VIEWS.items()),
]
