"""OpenAPI (drf-spectacular) description of ``JWTAuthentication``: the OAuth 2.0 security scheme
with the authorization-code and client-credentials flows, and each operation's required scopes.

Loaded by ``OAuthCoreConfig.ready()`` when drf-spectacular is installed (its documented place for
extensions); it imports the DRF classes, never the other way round.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import permissions as drf_permissions

from oauthcore.conf import oauth_settings
from oauthcore.contrib.rest_framework.permissions import HasScope, needed_scopes
from oauthcore.server import metadata

DEFAULT_PATHS = {"authorization_endpoint": "/oauth/authorize/", "token_endpoint": "/oauth/token/"}


def _endpoints() -> dict[str, str]:
    urls = metadata.endpoint_urls()
    issuer = oauth_settings.ISSUER.rstrip("/")
    return {name: urls.get(name, issuer + path) for name, path in DEFAULT_PATHS.items()}


def _scope_permissions(permissions):
    """Yield the HasScope permissions, inside ``&`` and ``|`` too (not under ``~``)."""
    for permission in permissions:
        if isinstance(permission, HasScope):
            yield permission
        elif isinstance(permission, drf_permissions.AND | drf_permissions.OR):
            yield from _scope_permissions((permission.op1, permission.op2))


def operation_scopes(view, method: str) -> list[str]:
    """Return the scopes the view's HasScope permissions require for ``method``."""
    found: list[str] = []
    action = getattr(view, "action", None)
    for permission in _scope_permissions(view.get_permissions()):
        spec = permission.required_scopes
        if spec is None:
            spec = getattr(view, "required_scopes", None)
        found += needed_scopes(spec, method=method.upper(), action=action) or ()
    return list(dict.fromkeys(found))


OIDC_SCOPES = frozenset({"openid", "profile", "email"})


class JWTAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "oauthcore.contrib.rest_framework.authentication.JWTAuthentication"
    name = "oauth2"
    match_subclasses = True
    priority = 1

    def get_security_definition(self, auto_schema):
        urls, scopes = _endpoints(), dict(oauth_settings.SCOPES)
        return {
            "type": "oauth2",
            "description": "RFC 9068 JWT access tokens in `Authorization: Bearer <token>`.",
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": urls["authorization_endpoint"],
                    "tokenUrl": urls["token_endpoint"],
                    "scopes": scopes,
                },
                "clientCredentials": {
                    "tokenUrl": urls["token_endpoint"],
                    # OpenID Connect scopes sign a person in: a client acting for itself has none.
                    "scopes": {k: v for k, v in scopes.items() if k not in OIDC_SCOPES},
                },
            },
        }

    def get_security_requirement(self, auto_schema):
        return {self.name: operation_scopes(auto_schema.view, auto_schema.method)}
