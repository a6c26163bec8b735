"""URLs of the authorization server. Include them at the site root: the metadata lives in /.well-known/."""

from django.urls import path

from oauthcore.views import (
    authorize,
    connected_apps,
    device,
    discovery,
    end_session,
    health,
    introspect,
    par,
    register,
    revoke,
    token,
    userinfo,
)

app_name = "oauthcore"

urlpatterns = [
    path(
        ".well-known/oauth-authorization-server",
        discovery.authorization_server_metadata,
        name="oauth-authorization-server",
    ),
    path(
        ".well-known/openid-configuration",
        discovery.openid_configuration,
        name="openid-configuration",
    ),
    path("oauth/jwks.json", discovery.jwks, name="jwks"),
    path("oauth/authorize/", authorize.AuthorizeView.as_view(), name="authorize"),
    path("oauth/token/", token.TokenView.as_view(), name="token"),
    path("oauth/par/", par.PushedAuthorizationRequestView.as_view(), name="par"),
    path("oauth/revoke/", revoke.RevokeView.as_view(), name="revoke"),
    path("oauth/introspect/", introspect.IntrospectView.as_view(), name="introspect"),
    path("oauth/apps/", connected_apps.ConnectedAppsView.as_view(), name="connected-apps"),
    path("oauth/userinfo/", userinfo.UserInfoView.as_view(), name="userinfo"),
    path("oauth/logout/", end_session.EndSessionView.as_view(), name="end-session"),
    path(
        "oauth/device_authorization/",
        device.DeviceAuthorizationView.as_view(),
        name="device-authorization",
    ),
    path("oauth/device/", device.DeviceView.as_view(), name="device"),
    path("oauth/health/", health.health, name="health"),
    path("oauth/register/", register.RegisterView.as_view(), name="register"),
    path(
        "oauth/register/<str:client_id>/",
        register.ClientConfigurationView.as_view(),
        name="register-client",
    ),
]
