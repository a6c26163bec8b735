"""The authorization endpoint (RFC 6749 4.1.1) and the user's decision on the consent screen."""

from urllib.parse import urlencode, urlsplit

from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.views import View
from django.views.generic.base import TemplateResponseMixin

from oauthcore import adapter, authorization, errors, scopes
from oauthcore.views import base


def protect(response):
    """Forbid framing, caching and cross-site referrers of a page that approves access.

    Clickjacking: RFC 9700 4.16. The Referer never leaves the site (RFC 9700 4.2.4); it is not
    ``no-referrer`` because browsers then send ``Origin: null`` with the form, which Django's
    CSRF check rightly refuses.
    """
    response["X-Frame-Options"] = "DENY"
    response["Content-Security-Policy"] = "frame-ancestors 'none'"
    response["Referrer-Policy"] = "same-origin"
    return base.no_store(response)


class AuthorizeView(TemplateResponseMixin, View):
    """GET: an authorization request. POST: the Allow / Cancel decision on the consent screen."""

    template_name = "oauthcore/consent.html"
    http_method_names = ["get", "post"]

    def get(self, request):
        return self.run(request, dict(request.GET.lists()), self.authorize)

    def post(self, request):
        try:
            if not request.user.is_authenticated:
                raise errors.InvalidRequest("Your session has ended; start again from the app.")
            params = authorization.unseal(request.POST.get("request", ""), request.user)
        except errors.OAuthError as error:
            return base.error_page(request, error)
        return self.run(request, params, self.decide)

    def run(self, request, params, step):
        """Verify client and redirect URI (errors: a page), then the rest (errors: to the client)."""
        try:
            target = authorization.find_target(params)
        except errors.OAuthError as error:
            return base.error_page(request, error)
        try:
            return step(request, params, authorization.validate(params, target))
        except errors.OAuthError as error:
            return base.redirect_error(error, redirect_uri=target.redirect_uri, state=target.state)

    def authorize(self, request, params, auth):
        """Sign the user in if needed, then ask for consent or answer at once."""
        user = request.user
        if "login" in auth.prompt:
            return self.login_again(request, params, auth)
        if not user.is_authenticated:
            if "none" in auth.prompt:
                raise errors.LoginRequired("The user is not signed in.")
            return base.no_store(redirect_to_login(request.get_full_path()))
        self.check_user(auth, user)
        granted, to_ask = authorization.consent_needed(auth, user)
        if not to_ask:
            return self.approve(auth, user, granted)
        if "none" in auth.prompt:
            raise errors.ConsentRequired("The user has not approved these scopes.")
        return self.consent_page(request, params, auth, granted, to_ask)

    def login_again(self, request, params, auth):
        """Sign the user out and back in, returning to this request without prompt=login."""
        logout(request)
        rest = " ".join(sorted(auth.prompt - {"login"}))
        params = {name: values for name, values in params.items() if name != "prompt"}
        if rest:
            params["prompt"] = [rest]
        query = urlencode(params, doseq=True)
        return base.no_store(redirect_to_login(f"{request.path}?{query}"))

    def check_user(self, auth, user):
        if not adapter.get_adapter().is_user_allowed(client=auth.client, user=user):
            raise errors.AccessDenied("This account may not use this application.")

    def approve(self, auth, user, names):
        code = authorization.issue_code(auth, user, names)
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
        return protect(self.render_to_response(context))

    def decide(self, request, params, auth):
        """Apply Allow (with the ticked scopes) or Cancel (RFC 6749 4.1.2, 4.1.2.1)."""
        self.check_user(auth, request.user)
        decision = request.POST.get("decision")
        if decision == "cancel":
            raise errors.AccessDenied("The user refused.")
        chosen = set(request.POST.getlist("scope"))
        if decision != "allow" or not chosen <= set(auth.scopes):
            return base.error_page(request, errors.InvalidRequest("This consent form was altered."))
        granted, to_ask = authorization.consent_needed(auth, request.user)
        approved = [name for name in to_ask if name in chosen]
        if to_ask and not approved:
            raise errors.AccessDenied("The user approved no scope.")
        authorization.record_consent(user=request.user, client=auth.client, names=approved)
        names = [name for name in auth.scopes if name in granted or name in approved]
        return self.approve(auth, request.user, names)
