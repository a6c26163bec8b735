from importlib.util import find_spec

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from example_project import api, demo_rp, views
from oauthcore.resource_server import protected_resource

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("demo/callback/", views.DemoCallbackView.as_view(), name="demo-callback"),
    path("demo/", demo_rp.DemoRPView.as_view(), name="demo-rp"),
    path("demo/rp/login/", demo_rp.login, name="demo-rp-login"),
    path("demo/rp/callback/", demo_rp.callback, name="demo-rp-callback"),
    path("demo/rp/refresh/", demo_rp.refresh, name="demo-rp-refresh"),
    path("demo/rp/revoke/", demo_rp.revoke, name="demo-rp-revoke"),
    path("demo/rp/logout/", demo_rp.logout, name="demo-rp-logout"),
    path("api/profile/", api.ProfileView.as_view(), name="api-profile"),
    path("api/email/", api.EmailView.as_view(), name="api-email"),
    path("api/contacts/", api.ContactsView.as_view(), name="api-contacts"),
    path("api/publish/", api.PublishView.as_view(), name="api-publish"),
    # RFC 9728 metadata of the example API: {issuer}/.well-known/oauth-protected-resource/api/
    protected_resource.metadata_path(api.resource_identifier, name="api-resource-metadata"),
    path("", include("oauthcore.urls")),
]

if find_spec("ninja"):  # the Django Ninja API beside the DRF one (the `ninja` extra)
    from example_project import ninja_api

    urlpatterns.insert(-1, path("ninja/", ninja_api.api.urls))
