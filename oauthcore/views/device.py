"""The device flow's two endpoints (RFC 8628): the device authorization endpoint (3.1, 3.2), and
the verification page where a signed-in user types the user code and allows or cancels (3.3)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.db import DatabaseError
from django.http import JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_protect
from django.views.generic.base import TemplateResponseMixin

from oauthcore import adapter, errors, scopes
from oauthcore.conf import oauth_settings
from oauthcore.models import Client, DeviceAuthorization
from oauthcore.server import authorization, client_auth, device, ratelimit
from oauthcore.server.authorization import checks
from oauthcore.views import base
from oauthcore.views.base import EndpointView

FAILURES = "device-user-code"  # the rate limiter's budget of wrong user codes
DECISION_SALT = "oauthcore.device.decision"
DECISION_MAX_AGE = 600  # seconds the Allow / Cancel form stays valid
CLIENT_PARAMETERS = frozenset(
    {"client_id", "client_secret", "client_assertion", "client_assertion_type"}
)


class DeviceAuthorizationView(EndpointView):
    """POST: a device asks for a device code and a user code (RFC 8628 3.1, 3.2).

    Client authentication is the token endpoint's (a public client sends its ``client_id``);
    the client must hold the device_code grant; scope and resource are checked as at /authorize.
    """

    repeatable = frozenset({"resource"})  # RFC 8707 2

    def post(self, request):
        form = self.form(request)
        client = client_auth.authenticate(request, form)
        if not client.allows_grant(Client.GrantType.DEVICE_CODE):
            raise errors.UnauthorizedClient("The client may not use the device_code grant.")
        params = {
            name: value if isinstance(value, list) else [value]
            for name, value in form.items()
            if name not in CLIENT_PARAMETERS
        }
        context = checks.run(checks.Context(params=params, client=client), endpoint=checks.DEVICE)
        started = device.start(client, scope=context.scopes, resources=context.resources)
        page = request.build_absolute_uri(reverse("oauthcore:device"))
        expires_in = int(oauth_settings.DEVICE_CODE_LIFETIME.total_seconds())
        return JsonResponse(
            {
                "device_code": started.device_code,
                "user_code": started.user_code,
                "verification_uri": page,
                "verification_uri_complete": f"{page}?user_code={started.user_code}",
                "expires_in": expires_in,
                "interval": started.authorization.interval,
            }
        )


def _seal(authorization: DeviceAuthorization, user) -> str:
    return signing.dumps({"a": authorization.pk, "u": str(user.pk)}, salt=DECISION_SALT)


def _unseal(blob: str, user) -> int:
    try:
        data = signing.loads(blob, salt=DECISION_SALT, max_age=DECISION_MAX_AGE)
    except (signing.BadSignature, ValueError, UnicodeError) as e:
        raise errors.InvalidRequest("This form has expired or was altered.") from e
    if not isinstance(data, dict) or data.get("u") != str(user.pk):
        raise errors.InvalidRequest("This form was made for another user.")
    return int(data["a"])


# Signed-in users only (anonymous ones go to the login page and come back); CSRF-checked forms.
@method_decorator(login_not_required, name="dispatch")
@method_decorator(csrf_protect, name="dispatch")
class DeviceView(TemplateResponseMixin, View):
    """GET: the code entry form (``?user_code=`` fills it and goes straight to the request).
    POST ``user_code``: show which app asks for what. POST ``decision``: Allow or Cancel."""

    template_name = "oauthcore/device.html"
    confirm_template_name = "oauthcore/device_confirm.html"
    done_template_name = "oauthcore/device_done.html"
    http_method_names = ["get", "post"]

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return base.no_store(redirect_to_login(request.get_full_path()))
        try:
            return super().dispatch(request, *args, **kwargs)
        except DatabaseError:  # an error page, never Django's debug page
            response = base.error_page(request, base.unavailable(request))
            response.status_code = errors.TemporarilyUnavailable.status
            return response

    def page(self, template, context, status=200):
        response = self.response_class(
            request=self.request, template=[template], context=context, status=status
        )
        return base.protect(response)

    def entry_page(self, *, error=None, typed="", status=200):
        return self.page(self.template_name, {"error": error, "user_code": typed}, status)

    def get(self, request):
        typed = request.GET.get("user_code")
        if typed is None:
            return self.entry_page()
        return self.lookup(request, typed)

    def post(self, request):
        if "decision" in request.POST:
            return self.decide(request)
        return self.lookup(request, request.POST.get("user_code", ""))

    def guessers(self, request) -> list[str]:
        """Who a wrong user code counts against: the address and the user (RFC 8628 5.1)."""
        return [ratelimit.address_group(request), f"user:{request.user.pk}"]

    def lookup(self, request, typed: str):
        """Find the pending authorization of a typed user code; wrong codes are counted."""
        budget, typed = oauth_settings.DEVICE_USER_CODE_FAILURES, typed[: device.MAX_TYPED_LENGTH]
        try:
            for who in self.guessers(request):
                if limited := ratelimit.exhausted(FAILURES, who, budget):
                    raise limited
            found = device.pending(typed)
            if found is None:
                for who in self.guessers(request):
                    ratelimit.spend(FAILURES, who, budget)  # past it only if sent concurrently
        except ratelimit.TooManyAttempts as limited:
            # Said on the page in the user's language; ratelimit's own text is wire text (English).
            error = errors.TemporarilyUnavailable(_("Too many wrong codes; retry later."))
            response = self.entry_page(error=error, typed=typed, status=limited.status)
            response["Retry-After"] = str(limited.retry_after)
            return response
        if found is None:
            error = errors.InvalidRequest(
                _("This code is wrong or has expired. Check it and retry.")
            )
            return self.entry_page(error=error, typed=typed, status=400)
        return self.confirm_page(request, found)

    def confirm_page(self, request, found: DeviceAuthorization):
        """Show which app asks for what, with Allow / Cancel (the consent template's blocks)."""
        context = {
            "client": found.client,
            "new_scopes": scopes.describe(found.scope.split()),
            "granted_scopes": [],
            "sealed_request": _seal(found, request.user),
            "action": reverse("oauthcore:device"),
            "user_code": device.display(found.user_code),
        }
        return self.page(self.confirm_template_name, context)

    def decide(self, request):
        """Apply Allow (with the ticked scopes) or Cancel; bind the approving user (RFC 8628 3.3)."""
        try:
            pk = _unseal(request.POST.get("request", ""), request.user)
        except errors.OAuthError as error:
            return base.error_page(request, error)
        now = timezone.now()
        found = (
            DeviceAuthorization.objects.select_related("client")
            .filter(pk=pk, status=DeviceAuthorization.Status.PENDING, expires_at__gt=now)
            .first()
        )
        if found is None:
            error = errors.InvalidRequest(_("This request was already answered or has expired."))
            return self.entry_page(error=error, status=400)
        decision = request.POST.get("decision")
        asked = found.scope.split()
        chosen = set(request.POST.getlist("scope"))
        if decision not in ("allow", "cancel") or not chosen <= set(asked):
            return base.error_page(request, errors.InvalidRequest("This form was altered."))
        allowed = adapter.get_adapter().is_user_allowed(client=found.client, user=request.user)
        approved = [name for name in asked if name in chosen]
        approve = decision == "allow" and allowed and (approved or not asked)
        device.decide(found, user=request.user, approved=bool(approve), scope=approved, now=now)
        if approve:
            authorization.record_consent(user=request.user, client=found.client, names=approved)
        context = {"client": found.client, "approved": bool(approve), "user_allowed": allowed}
        return self.page(self.done_template_name, context)
