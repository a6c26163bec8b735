"""System check: every DRF view that authenticates bearer tokens declares its scopes (oauthcore.E101)."""

from __future__ import annotations

from django.core.checks import Error, Tags, register
from django.urls import URLPattern, URLResolver, get_resolver


def _callbacks(patterns, prefix: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _callbacks(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def _classes(permissions):
    """Yield the permission classes of ``permissions``, inside DRF's ``&``, ``|``, ``~`` too."""
    for permission in permissions:
        if isinstance(permission, type):
            yield permission
        operands = [getattr(permission, name, None) for name in ("op1_class", "op2_class")]
        yield from _classes(operand for operand in operands if operand is not None)


def _declares_public(declared) -> bool:
    """Tell whether the view itself (not DRF's default) says AllowAny: a deliberately public view."""
    from rest_framework.permissions import AllowAny
    from rest_framework.views import APIView

    explicit = declared is not APIView.permission_classes  # the default list, shared by identity
    return explicit and any(isinstance(p, type) and issubclass(p, AllowAny) for p in declared)


def _declares_scopes(cls, initkwargs: dict, permissions) -> bool:
    from oauthcore.contrib.rest_framework.permissions import HasScope

    view_scopes = initkwargs.get("required_scopes", getattr(cls, "required_scopes", None))
    return any(
        issubclass(perm, HasScope) and (perm.required_scopes is not None or view_scopes)
        for perm in permissions
    )


def unscoped_view(callback) -> bool:
    """Tell whether a URL callback is a DRF view using JWTAuthentication without scopes."""
    from rest_framework.views import APIView

    from oauthcore.contrib.rest_framework.authentication import JWTAuthentication

    cls = getattr(callback, "cls", None)
    if not (isinstance(cls, type) and issubclass(cls, APIView)):
        return False
    initkwargs = getattr(callback, "initkwargs", None) or {}
    authentication = initkwargs.get("authentication_classes", cls.authentication_classes)
    if not any(isinstance(a, type) and issubclass(a, JWTAuthentication) for a in authentication):
        return False
    declared = initkwargs.get("permission_classes", cls.permission_classes)
    permissions = list(_classes(declared))
    return not (_declares_scopes(cls, initkwargs, permissions) or _declares_public(declared))


@register(Tags.urls, Tags.security)
def check_views_declare_scopes(app_configs=None, **kwargs) -> list:
    """Find bearer-authenticated DRF views that declare no scopes (RFC 6750 3.1)."""
    try:
        patterns = get_resolver().url_patterns
    except Exception:  # a broken URLconf is reported by Django's own checks
        return []
    return [
        Error(
            f"The view {callback.cls.__module__}.{callback.cls.__name__} at '{route}' uses "
            "JWTAuthentication but declares no scopes.",
            hint="Add permission_classes = [HasScope.of(...)] (or HasScope with required_scopes); "
            "set permission_classes = [AllowAny] explicitly for a public view.",
            obj=callback.cls,
            id="oauthcore.E101",
        )
        for route, callback in _callbacks(patterns)
        if unscoped_view(callback)
    ]
