"""Scope permissions for DRF, one line in a view (RFC 6750 3.1 insufficient_scope).

    permission_classes = [HasScope.of("read:email")]
    permission_classes = [HasScope.per_method({"GET": ["read:profile"], "PATCH": ["write:profile"]})]
    permission_classes = [HasScope.per_action({"list": ["read:contacts"], "create": [...]})]
    permission_classes = [HasScope]  # with required_scopes = [...] or {...} on the view

A method (or ViewSet action) missing from a mapping is refused, never allowed by default.
``has_permission`` returns a bool and never raises, so ``HasScope`` composes with DRF's ``&``, ``|``
and ``~``; a refusal answers 403 with ``error="insufficient_scope"`` and its RFC 6750 challenge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rest_framework.permissions import BasePermission

from oauthcore import errors
from oauthcore.contrib.rest_framework import resources
from oauthcore.contrib.rest_framework.composition import ComposingMetaclass
from oauthcore.resource_server import bearer
from oauthcore.resource_server.access_tokens import AccessToken


def _names(names: Iterable[str] | str) -> tuple[str, ...]:
    return (names,) if isinstance(names, str) else tuple(dict.fromkeys(names))


def needed_scopes(spec, *, method: str, action: str | None = None) -> tuple[str, ...] | None:
    """Return the scopes ``spec`` requires for ``method``/``action``; None when it grants nothing."""
    if spec is None:
        return None
    if not isinstance(spec, Mapping):
        return _names(spec)
    if action is not None and action in spec:
        return _names(spec[action])
    if method in spec:
        return _names(spec[method])
    if method == "HEAD" and "GET" in spec:
        return _names(spec["GET"])
    return None


class HasScope(BasePermission, metaclass=ComposingMetaclass):
    """Allow a request whose access token holds every scope the view requires."""

    required_scopes = None  # set by of()/per_method()/per_action(); else the view's required_scopes
    _refusal: tuple | None = None  # (view, InsufficientScope) after has_permission said no

    @classmethod
    def of(cls, *names: str) -> type[HasScope]:
        """Require all of ``names`` for every method."""
        return cls._with(_names(names), f"of{_names(names)}")

    @classmethod
    def per_method(cls, mapping: Mapping[str, Iterable[str]]) -> type[HasScope]:
        """Require scopes per HTTP method; other methods are refused."""
        spec = {method.upper(): _names(names) for method, names in mapping.items()}
        return cls._with(spec, "per_method")

    @classmethod
    def per_action(cls, mapping: Mapping[str, Iterable[str]]) -> type[HasScope]:
        """Require scopes per ViewSet action; other actions are refused."""
        return cls._with({action: _names(names) for action, names in mapping.items()}, "per_action")

    @classmethod
    def _with(cls, spec, label: str) -> type[HasScope]:
        return type(f"{cls.__name__}.{label}", (cls,), {"required_scopes": spec})

    def get_required_scopes(self, request, view) -> tuple[str, ...] | None:
        spec = self.required_scopes
        if spec is None:
            spec = getattr(view, "required_scopes", None)
        return needed_scopes(spec, method=request.method, action=getattr(view, "action", None))

    def has_permission(self, request, view) -> bool:
        self._refusal = None
        token = request.auth
        if not isinstance(token, AccessToken):
            return False  # DRF answers 401 with our challenge, or 403 for another credential
        error = self.scope_error(token, self.get_required_scopes(request, view))
        if error is not None:
            self._refusal = (view, bearer.on_scheme_of(request, error))
        return error is None

    def scope_error(self, token: AccessToken, needed) -> errors.InsufficientScope | None:
        """Return why ``token`` may not do this (RFC 6750 3.1), or None when it may."""
        if needed is None:  # fixed text: the method name is the caller's
            return errors.InsufficientScope("No scope grants this method on this resource.")
        try:
            bearer.require(token, needed)
        except errors.InsufficientScope as error:
            return error
        return None

    @property
    def message(self) -> dict[str, str] | None:
        """The body of this permission's refusal: ``error`` and ``error_description``.

        DRF reads ``message`` only when it refuses the request because of this permission, so
        this is where the refusal's challenge (RFC 6750 3) joins the view's response headers.
        """
        if self._refusal is None:
            return None
        view, error = self._refusal
        headers = getattr(view, "headers", None)
        if isinstance(headers, dict):
            metadata = resources.metadata_url(view)  # RFC 9728 5.2: any challenge may name it
            headers["WWW-Authenticate"] = bearer.challenge(error, resource_metadata=metadata)
        return error.as_dict()

    @property
    def code(self) -> str | None:
        return None if self._refusal is None else errors.InsufficientScope.error
