"""The authorization endpoint (RFC 6749 4.1.1) and the user's decision on the consent screen."""

import contextlib
from urllib.parse import urlencode, urlsplit

from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_protect
from django.views.generic.base import TemplateResponseMixin

from oauthcore import adapter, errors, scopes
from oauthcore.oidc import id_tokens, logins
from oauthcore.server import authorization, ratelimit
from oauthcore.views import base


# It sends anonymous users to the login page itself (prompt=none answers login_required instead),
# and its consent form is CSRF-checked whether or not the project has CsrfViewMiddleware.
@method_decorator(login_not_required, name="dispatch")
@method_decorator(csrf_protect, name="dispatch")
class AuthorizeView(TemplateResponseMixin, View):
    """GET: an authorization request. POST: the Allow / Cancel decision on the consent screen."""

    template_name = "oauthcore/consent.html"
    http_method_names = ["get", "post"]

    def dispatch(self, request, *args, **kwargs):
        try:
            ratelimit.spend_authorize(request)  # a volume budget; error pages are not counted
        except ratelimit.TooManyAttempts as error:
            return self.limited_page(request, error)
        return super().dispatch(request, *args, **kwargs)

    def error_page(self, request, error):
        """Show the error page (unknown client, unregistered redirect URI, altered form)."""
        return base.error_page(request, error)

    def limited_page(self, request, error):
        """Answer 429 with the error page until the budget's window ends (RFC 6585 4)."""
        response = base.error_page(request, error)
        response.status_code = error.status
        response["Retry-After"] = str(error.retry_after)
        return response

    def get(self, request):
        return self.run(request, dict(request.GET.lists()), self.authorize)

    def post(self, request):
        try:
            if not request.user.is_authenticated:
                raise errors.InvalidRequest("Your session has ended; start again from the app.")
            params = authorization.unseal(request.POST.get("request", ""), request.user)
        except errors.OAuthError as error:
            return self.error_page(request, error)
        return self.run(request, params, self.decide)

    def run(self, request, params, step):
        """Read the request's parameters (pushed ones: RFC 9126 4) and verify client and redirect
        URI (errors: a page), then the rest (errors: to the client).

        A pushed request's ``params`` stay the ones sent (the login marker, the sealed form
        name its ``request_uri``, consumed at the decision); a request object's are the ones
        read from it (its short ``exp`` may pass while the user signs in). The checks read the
        resolved ones.
        """
        try:
            resolved = authorization.resolve(params)
            target = authorization.find_target(resolved.params, request=request)
        except ratelimit.TooManyAttempts as error:  # its client's document fetches: 429
            return self.limited_page(request, error)
        except errors.OAuthError as error:
            return self.error_page(request, error)
        except DatabaseError:
            return self.unavailable_page(request)
        if not resolved.pushed:
            params = target.params  # a request object's parameters (RFC 9101 5), else the same
        try:
            auth = authorization.validate(target.params, target, request_uri=resolved.request_uri)
            return step(request, params, auth)
        except errors.InvalidRequestUri as error:  # completed meanwhile: never answered twice
            return self.error_page(request, error)
        except errors.OAuthError as error:
            self.complete_quietly(resolved, target)
            return base.redirect_error(error, redirect_uri=target.redirect_uri, state=target.state)
        except DatabaseError:  # the redirect URI is verified: tell the client (RFC 6749 4.1.2.1)
            error = base.unavailable(request)
            return base.redirect_error(error, redirect_uri=target.redirect_uri, state=target.state)

    def complete_quietly(self, resolved, target):
        """Consume a pushed request answered with an error, unless it already was (RFC 9126 4);
        the error is answered even if the database fails here."""
        with contextlib.suppress(errors.InvalidRequestUri, DatabaseError):
            authorization.complete(resolved.request_uri, target.client)

    def unavailable_page(self, request, error: errors.TemporarilyUnavailable | None = None):
        """Answer 503 with the error page: the database or cache failed before the client was known."""
        response = base.error_page(request, error or base.unavailable(request))
        response.status_code = errors.TemporarilyUnavailable.status
        return response

    def authorize(self, request, params, auth):
        """Sign the user in if needed, then ask for consent or answer at once."""
        user = request.user
        if not (user.is_authenticated and self.is_fresh(request, params, auth)):
            return self.sign_in(request, params, auth)
        self.check_user(auth, user)
        granted, to_ask = authorization.consent_needed(auth, user)
        if not to_ask:
            return self.approve(request, auth, granted)
        if "none" in auth.prompt:
            raise errors.ConsentRequired("The user has not approved these scopes.")
        return self.consent_page(request, params, auth, granted, to_ask)

    def is_fresh(self, request, params, auth):
        """Tell whether this session's sign-in satisfies prompt=login and max_age (OIDC 3.1.2.1)."""
        session = request.session
        if "login" not in auth.prompt and not logins.is_stale(session, auth.max_age):
            return True
        return logins.signed_in_since(session, params)

    def sign_in(self, request, params, auth):
        """Send the user to the login page (prompt=none: login_required); nobody is signed out.

        A re-authentication returns to this request with a marker of when it was asked: a
        sign-in of this session after that satisfies prompt=login and max_age. Until then the
        user stays signed in, so a link to here cannot sign anyone out.
        """
        if "none" in auth.prompt:
            if request.user.is_authenticated:
                raise errors.LoginRequired("The user signed in too long ago (max_age).")
            raise errors.LoginRequired("The user is not signed in.")
        if "login" not in auth.prompt and auth.max_age is None:
            return self.to_login(self.return_url(request, params), auth)
        query = urlencode(logins.ask_again(params), doseq=True)
        return self.to_login(f"{request.path}?{query}", auth)

    def return_url(self, request, params):
        """Return where sign-in comes back to: this request, but a request object's parameters
        as read (RFC 9101: its short exp may pass while the user signs in)."""
        if "request" in request.GET and "request_uri" not in request.GET:
            return f"{request.path}?{urlencode(params, doseq=True)}"
        return request.get_full_path()

    def to_login(self, next_url, auth):
        """Redirect to the login page, passing ``login_hint`` on (OIDC Core 3.1.2.1)."""
        response = redirect_to_login(next_url)
        if auth.login_hint:
            separator = "&" if "?" in response["Location"] else "?"
            response["Location"] += separator + urlencode({"login_hint": auth.login_hint})
        return base.no_store(response)

    def check_user(self, auth, user):
        if not adapter.get_adapter().is_user_allowed(client=auth.client, user=user):
            raise errors.AccessDenied("This account may not use this application.")

    def approve(self, request, auth, names):
        sid = id_tokens.session_id(request) if "openid" in names else ""
        auth_time = logins.auth_time(request.session, request.user)
        with transaction.atomic():  # the pushed request is consumed with the code, or neither
            authorization.complete(auth.request_uri, auth.client)
            code = authorization.issue_code(
                auth, request.user, names, auth_time=auth_time, session_id=sid
            )
        return base.redirect_to_client(auth.redirect_uri, {"code": code, "state": auth.state})

    def consent_page(self, request, params, auth, granted, to_ask):
        uri = urlsplit(auth.redirect_uri)
        context = {
            "client": auth.client,
            "new_scopes": scopes.describe(to_ask),
            "granted_scopes": scopes.describe(granted),
            "sealed_request": authorization.seal(params, request.user),
            "action": reverse("oauthcore:authorize"),
            "redirect_host": uri.hostname or uri.scheme,
        }
        return base.protect(self.render_to_response(context))

    def decide(self, request, params, auth):
        """Apply Allow (with the ticked scopes) or Cancel (RFC 6749 4.1.2, 4.1.2.1)."""
        self.check_user(auth, request.user)
        decision = request.POST.get("decision")
        if decision == "cancel":
            authorization.complete(auth.request_uri, auth.client)  # answered once, even a refusal
            raise errors.AccessDenied("The user refused.")
        chosen = set(request.POST.getlist("scope"))
        if decision != "allow" or not chosen <= set(auth.scopes):
            return self.error_page(request, errors.InvalidRequest("This consent form was altered."))
        granted, to_ask = authorization.consent_needed(auth, request.user)
        approved = [name for name in to_ask if name in chosen]
        if to_ask and not approved:
            authorization.complete(auth.request_uri, auth.client)
            raise errors.AccessDenied("The user approved no scope.")
        authorization.record_consent(user=request.user, client=auth.client, names=approved)
        names = [name for name in auth.scopes if name in granted or name in approved]
        return self.approve(request, auth, names)
