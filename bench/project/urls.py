"""oauthcore at the root (as documented), DOT under /dot/, the API views under /api/<name>/
(the DRF ones, and the plain Django ones of the ASGI rows)."""

from django.urls import include, path

from bench.project.views import API_VIEWS, ASGI_VIEWS

urlpatterns = [
    path("", include("oauthcore.urls")),
    path("dot/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    *(path(f"api/{name}/", view.as_view()) for name, view in API_VIEWS.items()),
    *(path(f"api/{name}/", view) for name, view in ASGI_VIEWS.items()),
]
