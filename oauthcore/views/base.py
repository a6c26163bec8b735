"""The one place where an ``OAuthError`` becomes a response: JSON, a redirect, or an error page."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.db import DatabaseError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters

from oauthcore import errors
from oauthcore.conf import oauth_settings
from oauthcore.responses import json_error, no_store
from oauthcore.server import ratelimit

logger = logging.getLogger("oauthcore")


class ClientRedirect(HttpResponseRedirect):
    """A redirect to a registered redirect URI, whose scheme may be a native app's own."""

    def __init__(self, url: str, **kwargs) -> None:
        self.allowed_schemes = [urlsplit(url).scheme]
        super().__init__(url, **kwargs)


def redirect_to_client(redirect_uri: str, params: dict[str, str]) -> ClientRedirect:
    """Redirect to ``redirect_uri`` with ``params`` and ``iss`` added to its query (RFC 9207)."""
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(name, value) for name, value in params.items() if value is not None]
    query.append(("iss", oauth_settings.ISSUER))
    response = ClientRedirect(urlunsplit(parts._replace(query=urlencode(query))))
    response["Referrer-Policy"] = "no-referrer"
    return no_store(response)


def redirect_error(
    error: errors.OAuthError, *, redirect_uri: str, state: str | None
) -> ClientRedirect:
    """Send an authorization error back to a verified redirect URI (RFC 6749 4.1.2.1)."""
    return redirect_to_client(redirect_uri, {**error.as_dict(), "state": state})


def protect(response):
    """Forbid framing, caching and cross-site referrers of a browser page.

    Clickjacking: RFC 9700 4.16. The Referer never leaves the site (RFC 9700 4.2.4); it is not
    ``no-referrer`` because browsers then send ``Origin: null`` with the form, which Django's
    CSRF check rightly refuses.
    """
    response["X-Frame-Options"] = "DENY"
    response["Content-Security-Policy"] = "frame-ancestors 'none'"
    response["Referrer-Policy"] = "same-origin"
    return no_store(response)


def error_page(request, error: errors.OAuthError, template_name: str = "oauthcore/error.html"):
    """Show an error to the user; used when the client or redirect URI cannot be trusted."""
    response = TemplateResponse(request, template_name, {"error": error}, status=400)
    return protect(response)


def unavailable(request) -> errors.TemporarilyUnavailable:
    """Log a database failure (path only: the request may carry secrets); return its error."""
    logger.exception("Database error while serving %s", request.path)
    return errors.TemporarilyUnavailable("The service is temporarily unavailable; try again.")


@method_decorator(login_not_required, name="dispatch")  # clients, not signed-in users
@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(sensitive_post_parameters(), name="dispatch")  # error reports: no secrets
class EndpointView(View):
    """A back-channel endpoint (token, revocation, introspection): POST in, JSON out.

    Failures are JSON too: a database error is ``temporarily_unavailable`` (503), a bug
    ``server_error`` (500), logged with its traceback but never shown as Django's debug page,
    whose frame variables would show the client secret, code and verifier.
    """

    http_method_names = ["post", "options"]
    # Parameters that may be sent more than once; ``form()`` gives them as a list.
    repeatable: frozenset[str] = frozenset()

    def dispatch(self, request, *args, **kwargs):
        try:
            if request.method != "OPTIONS" and request.method.lower() not in self.http_method_names:
                raise errors.InvalidRequest("Use POST.")
            with ratelimit.endpoint(request):
                return no_store(super().dispatch(request, *args, **kwargs))
        except errors.OAuthError as error:
            response = json_error(error)
            if request.method not in ("POST", "OPTIONS"):
                response.status_code = 405
                response["Allow"] = "POST"
            return response
        except DatabaseError:  # RFC 6749 5.2 / RFC 7009 2.2.1: an OAuth error, never HTML
            return json_error(unavailable(request))
        except Exception:
            logger.exception("Unexpected error while serving %s", request.path)
            return json_error(errors.ServerError("The server failed; try again later."))

    def form(self, request) -> dict[str, Any]:
        """Return the form parameters, refusing other bodies and repeated parameters (RFC 6749 3.2).

        A ``repeatable`` parameter (``resource``, RFC 8707 2) comes as the list of its values.
        """
        content_type = request.content_type or ""
        if content_type != "application/x-www-form-urlencoded":
            raise errors.InvalidRequest("The body must be application/x-www-form-urlencoded.")
        try:
            in_query, pairs = bool(request.GET), list(request.POST.lists())
        except (BadRequest, SuspiciousOperation) as e:  # not UTF-8, too many fields, too large
            raise errors.InvalidRequest("The request body cannot be read.") from e
        if in_query:
            raise errors.InvalidRequest("Parameters must be sent in the request body.")
        params = {}
        for name, values in pairs:
            if name in self.repeatable:
                params[name] = values
                continue
            if len(values) > 1:
                raise errors.InvalidRequest("A parameter is repeated.")  # its name is theirs
            params[name] = values[0]
        return params
