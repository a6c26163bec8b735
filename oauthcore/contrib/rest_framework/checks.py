"""What DRF views declare, read from the URLconf: the system check that every view using
bearer tokens declares its scopes (oauthcore.E101), and the resource and scopes of each view for
its protected resource metadata (RFC 9728 ``scopes_supported``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.translation import gettext as _

from oauthcore.conf import oauth_settings
from oauthcore.contrib.rest_framework import resources
from oauthcore.hosts import is_secure_url
from oauthcore.resource_server import protected_resource

logger = logging.getLogger("oauthcore")


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
            _("The view %(view)s at '%(route)s' uses JWTAuthentication but declares no scopes.")
            % {"view": f"{callback.cls.__module__}.{callback.cls.__name__}", "route": route},
            hint=_(
                "Add permission_classes = [HasScope.of(...)] (or HasScope with required_scopes); "
                "set permission_classes = [AllowAny] explicitly for a public view."
            ),
            obj=callback.cls,
            id="oauthcore.E101",
        )
        for route, callback in _callbacks(patterns)
        if unscoped_view(callback)
    ]


@register(Tags.security)
def check_protected_resource(app_configs=None, **kwargs) -> list:
    """Check ``PROTECTED_RESOURCE``: an https URL without a query or fragment (RFC 9728 1.2)."""
    resource = oauth_settings.PROTECTED_RESOURCE
    if resource is None:
        return []
    try:
        valid = is_secure_url(protected_resource.check_identifier(resource))
    except ImproperlyConfigured:
        valid = False
    if valid:
        return []
    return [
        Error(
            _("OAUTHCORE['PROTECTED_RESOURCE'] is not a resource identifier: %(resource)r.")
            % {"resource": resource},
            hint=_(
                "An https URL without a query or fragment (RFC 9728 1.2), e.g. "
                "'https://api.example.com/'; plain http only on a loopback host."
            ),
            id="oauthcore.E102",
        )
    ]


@register(Tags.urls)
def check_resources_are_published(app_configs=None, **kwargs) -> list:
    """Find resources whose views name metadata that nothing serves (RFC 9728 5.1)."""
    try:
        missing = {
            name: protected_resource.metadata_url(name) for name in protected_resource.unpublished()
        }
    except Exception:  # a broken URLconf (Django's checks) or PROTECTED_RESOURCE (E102)
        return []
    return [
        Warning(
            _(
                "Views serve the resource %(resource)r, and their challenges name its metadata "
                "(%(url)s), but no URL serves it."
            )
            % {"resource": resource, "url": url},
            hint=_("Add protected_resource.metadata_path(%(resource)r) to the URLconf.")
            % {"resource": resource},
            id="oauthcore.W101",
        )
        for resource, url in missing.items()
    ]


def _scope_classes(permissions):
    """Yield the ``HasScope`` classes a view's permissions require, inside ``&`` and ``|``.

    A scope under ``~`` is one the token must not hold: nothing to advertise.
    """
    from rest_framework.permissions import OperandHolder

    from oauthcore.contrib.rest_framework.permissions import HasScope

    for permission in permissions:
        if isinstance(permission, type) and issubclass(permission, HasScope):
            yield permission
        elif isinstance(permission, OperandHolder):
            yield from _scope_classes((permission.op1_class, permission.op2_class))


def _names(spec) -> list[str]:
    from oauthcore.contrib.rest_framework.permissions import needed_scopes

    if isinstance(spec, Mapping):
        return [name for key in spec for name in needed_scopes(spec, method=key, action=key)]
    return list(needed_scopes(spec, method="GET") or ())


def _bearer_view(callback):
    """Return an instance of the DRF view of ``callback`` if it uses JWTAuthentication."""
    from rest_framework.views import APIView

    from oauthcore.contrib.rest_framework.authentication import JWTAuthentication

    cls = getattr(callback, "cls", None)
    if not (isinstance(cls, type) and issubclass(cls, APIView)):
        return None
    view = cls(**(getattr(callback, "initkwargs", None) or {}))
    if not any(isinstance(a, JWTAuthentication) for a in view.get_authenticators()):
        return None
    return view


def declared_scopes(callback) -> tuple[str | None, list[str]] | None:
    """Return the resource a DRF view using JWTAuthentication serves and the scopes it declares."""
    view = _bearer_view(callback)
    if view is None:
        return None
    try:
        resource = resources.declared_resource(view)
    except Exception:  # e.g. a property that reads the request: not known outside one
        logger.warning("Cannot tell the resource of %s outside a request.", type(view).__name__)
        return None
    found: dict[str, None] = {}
    for permission in _scope_classes(view.permission_classes):
        spec = permission.required_scopes
        if spec is None:
            spec = getattr(view, "required_scopes", None)
        found.update(dict.fromkeys(_names(spec)))
    return resource, list(found)


protected_resource.register_scope_finder(declared_scopes)
