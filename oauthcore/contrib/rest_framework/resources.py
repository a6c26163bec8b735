"""The resource a DRF view serves (RFC 8707) and the URL of its metadata (RFC 9728).

A view names it with a ``resource`` attribute (a string, or a property reading settings);
without one, ``PROTECTED_RESOURCE`` applies; without both, the view serves no named resource.
"""

from __future__ import annotations

import inspect

from oauthcore.resource_server import protected_resource


def view_of(request):
    """Return the DRF view handling ``request`` (None outside one)."""
    return (getattr(request, "parser_context", None) or {}).get("view")


def resource_of(view) -> str | None:
    """Return the resource identifier ``view`` serves, else ``PROTECTED_RESOURCE``."""
    value = getattr(view, "resource", None)
    return protected_resource.resolve(value if isinstance(value, str) else None)


def declared_resource(view) -> str | None:
    """Return ``resource_of(view)``, letting any error of a ``resource`` property through.

    ``getattr()`` takes an AttributeError raised inside a property for "no such attribute";
    outside a request (the metadata's list of scopes), that would name the wrong resource.
    """
    declared = inspect.getattr_static(view, "resource", None)
    value = (
        declared.fget(view) if isinstance(declared, property) else getattr(view, "resource", None)
    )
    return protected_resource.resolve(value if isinstance(value, str) else None)


def metadata_url(view) -> str | None:
    """Return the ``resource_metadata`` of ``view``'s challenges (RFC 9728 5.1), or None."""
    return protected_resource.challenge_url(resource_of(view))
