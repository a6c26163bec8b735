"""Protected resource metadata (RFC 9728): a resource's identifier, its document, its URL.

A view protected by bearer tokens may name the resource it serves (RFC 8707 2): a DRF view with
a ``resource`` attribute, ``@require_scopes(..., resource=...)``, or ``PROTECTED_RESOURCE`` for
a whole resource-server project. Such a view accepts tokens whose ``aud`` names that resource,
and its challenges carry ``resource_metadata`` (RFC 9728 5.1); the document lives at the
well-known URL derived from the identifier (RFC 9728 3), mounted with ``metadata_path()``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator
from urllib.parse import unquote, urlsplit, urlunsplit

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, JsonResponse
from django.urls import URLPattern, URLResolver, get_resolver, re_path
from django.utils.decorators import method_decorator
from django.views import View

from oauthcore.conf import oauth_settings
from oauthcore.resource_server import bearer

WELL_KNOWN = "/.well-known/oauth-protected-resource"  # RFC 9728 3, 8.3
METADATA_MAX_AGE = 300

# What a view names as its resource: an identifier, a function returning one (read at call
# time, e.g. from the issuer), or None for ``PROTECTED_RESOURCE``.
ResourceSpec = str | Callable[[], str] | None
# A finder tells, for a URLconf callback it recognizes, the resource it serves and the scopes it
# declares; None for a callback it does not know. The decorator and the DRF classes add theirs.
ScopeFinder = Callable[[Callable], tuple[str | None, Iterable[str]] | None]
_finders: list[ScopeFinder] = []


def resolve(resource: ResourceSpec) -> str | None:
    """Return the identifier ``resource`` names, else ``PROTECTED_RESOURCE`` (None: no resource)."""
    if callable(resource):
        resource = resource()
    return resource or oauth_settings.PROTECTED_RESOURCE or None


def audiences(resource: str | None, audience: str | Collection[str] | None):
    """Return the audiences a view of ``resource`` accepts: the resource and its own ``audience``.

    Without ``audience`` a view of a resource accepts that resource only (RFC 8707, RFC 9728
    7.4): a token for another resource, or for the default audience, is refused.
    """
    if resource is None:
        return audience
    if audience is None:
        return resource
    if isinstance(audience, str):
        return (resource, audience)
    return (resource, *audience)


def metadata_url(resource: str) -> str:
    """Return the URL of ``resource``'s metadata (RFC 9728 3, 3.1).

    The well-known string goes between the host and the path; the path "/" alone is dropped:
    ``https://h/api/`` → ``https://h/.well-known/oauth-protected-resource/api/``.
    """
    parts = urlsplit(resource)
    path = "" if parts.path == "/" else parts.path
    return urlunsplit((parts.scheme, parts.netloc, WELL_KNOWN + path, parts.query, ""))


def challenge_url(resource: str | None) -> str | None:
    """Return the ``resource_metadata`` of a challenge for ``resource`` (RFC 9728 5.1)."""
    return None if resource is None else metadata_url(resource)


def register_scope_finder(finder: ScopeFinder) -> None:
    """Add a way to read the resource and scopes a kind of view declares (once)."""
    if finder not in _finders:
        _finders.append(finder)


def _callbacks(patterns) -> Iterator[Callable]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _callbacks(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            yield entry.callback


def _declared(callback: Callable) -> tuple[str | None, Iterable[str]] | None:
    for finder in _finders:
        found = finder(callback)
        if found is not None:
            return found
    return None


def scopes_supported(resource: str, *, urlconf: str | None = None) -> list[str]:
    """Return the scopes the views of ``resource`` declare, in URLconf order (RFC 9728 2)."""
    found: dict[str, None] = {}
    for callback in _callbacks(get_resolver(urlconf).url_patterns):
        declared = _declared(callback)
        if declared is not None and declared[0] == resource:
            found.update(dict.fromkeys(declared[1]))
    return list(found)


def unpublished(*, urlconf: str | None = None) -> list[str]:
    """Return the resources that views serve but whose metadata no URLconf entry publishes."""
    served: dict[str, None] = {}
    published: set[str | None] = set()
    for callback in _callbacks(get_resolver(urlconf).url_patterns):
        view_class = getattr(callback, "view_class", None)
        if isinstance(view_class, type) and issubclass(view_class, ProtectedResourceMetadataView):
            kwargs = getattr(callback, "view_initkwargs", {})
            published.add(resolve(kwargs.get("resource", view_class.resource)))
        elif (declared := _declared(callback)) is not None and declared[0] is not None:
            served[declared[0]] = None
    return [resource for resource in served if resource not in published]


def document(resource: str, **members) -> dict:
    """Return the metadata of ``resource`` (RFC 9728 2, 3.2); ``members`` without a value are left out.

    ``bearer_methods_supported`` is what ``bearer`` accepts: the header only (RFC 6750 2.1).
    """
    metadata = {
        "resource": resource,
        "authorization_servers": [oauth_settings.ISSUER],
        "scopes_supported": scopes_supported(resource),
        "bearer_methods_supported": list(bearer.METHODS),
        **members,
    }
    # RFC 9728 3.2: parameters with zero values are omitted; false booleans are the default
    return {name: value for name, value in metadata.items() if value not in (None, "", [], False)}


def check_identifier(resource: str) -> str:
    """Return ``resource`` if it can be mounted, else raise ``ImproperlyConfigured`` (RFC 9728 1.2)."""
    try:
        parts = urlsplit(resource)
    except (TypeError, ValueError, AttributeError) as e:
        raise ImproperlyConfigured(f"Not a resource identifier: {resource!r}.") from e
    if parts.scheme not in ("http", "https") or not parts.hostname or "#" in resource:
        raise ImproperlyConfigured(
            f"Not a resource identifier: {resource!r} (an https URL without a fragment)."
        )
    if parts.query:  # RFC 8707 2: SHOULD NOT; a URLconf route cannot match a query
        raise ImproperlyConfigured(
            f"A resource identifier with a query is not served: {resource!r}."
        )
    return resource


def route(resource: str) -> str:
    """Return the URLconf regex of ``resource``'s metadata: its URL's path, exactly."""
    path = unquote(urlsplit(metadata_url(check_identifier(resource))).path)
    return "^" + re.escape(path.lstrip("/")) + r"\Z"


@method_decorator(login_not_required, name="dispatch")  # public: anyone may discover it
class ProtectedResourceMetadataView(View):
    """Serve a resource's metadata (RFC 9728 3.2): JSON, cacheable, GET and HEAD only.

    ``resource`` (an identifier, a function returning one, or None for ``PROTECTED_RESOURCE``),
    ``resource_name`` and ``resource_documentation`` (RFC 9728 2) may be given to ``as_view()``.
    """

    http_method_names = ["get", "head"]
    resource: ResourceSpec = None
    resource_name: str | None = None
    resource_documentation: str | None = None
    max_age = METADATA_MAX_AGE

    def get_resource(self) -> str:
        resource = resolve(self.resource)
        if resource is None:
            raise Http404("No protected resource is configured.")
        return resource

    def get_metadata(self) -> dict:
        return document(
            self.get_resource(),
            resource_name=self.resource_name,
            resource_documentation=self.resource_documentation,
        )

    def get(self, request, *args, **kwargs):
        response = JsonResponse(self.get_metadata())
        response["Cache-Control"] = f"public, max-age={self.max_age}"
        response["Access-Control-Allow-Origin"] = "*"  # a public document, read by browser apps
        return response


def metadata_path(
    resource: ResourceSpec = None,
    *,
    view: type[ProtectedResourceMetadataView] = ProtectedResourceMetadataView,
    name: str | None = None,
    **initkwargs,
) -> URLPattern:
    """Return the URLconf entry serving ``resource``'s metadata at its well-known URL (RFC 9728 3).

        urlpatterns = [protected_resource.metadata_path("https://api.example.com/v1/"), ...]

    The route is derived from the identifier when the URLconf loads (a function is called once
    for it, and again on each request for the document). The well-known URL is at the host's
    root: serve this project there.
    """
    identifier = resolve(resource)
    if identifier is None:
        raise ImproperlyConfigured("metadata_path() needs a resource or PROTECTED_RESOURCE.")
    callback = view.as_view(resource=resource, **initkwargs)
    return re_path(route(identifier), callback, name=name)
