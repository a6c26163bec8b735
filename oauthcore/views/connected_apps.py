"""The user's connected apps: what each app may do, and "Revoke access" to all of it."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Max
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_protect
from django.views.generic.base import TemplateResponseMixin

from oauthcore import scopes, signals
from oauthcore.models import Consent, RefreshToken
from oauthcore.server import revocation
from oauthcore.views import base

MAX_CLIENT_ID_LENGTH = 100  # Client.client_id max_length


@method_decorator(csrf_protect, name="dispatch")  # the revoke form, with or without the middleware
class ConnectedAppsView(LoginRequiredMixin, TemplateResponseMixin, View):
    """GET: the apps the user authorized. POST ``client``: revoke that app's access."""

    template_name = "oauthcore/connected_apps.html"
    http_method_names = ["get", "post"]

    def get_consents(self):
        return (
            Consent.objects.filter(user=self.request.user)
            .select_related("client")
            .order_by("-updated_at", "-pk")
        )

    def last_used(self) -> dict[int, object]:
        """Return client pk -> when a refresh token of the user last came out for it."""
        rows = RefreshToken.objects.filter(user=self.request.user).values("client_id")
        return {row["client_id"]: row["last"] for row in rows.annotate(last=Max("created_at"))}

    def get_context_data(self):
        last_used = self.last_used()
        apps = [
            {
                "consent": consent,
                "client": consent.client,
                "scopes": scopes.describe(consent.scopes),
                "last_used": last_used.get(consent.client_id),
            }
            for consent in self.get_consents()
        ]
        return {"apps": apps, "action": reverse("oauthcore:connected-apps")}

    def get(self, request):
        return base.protect(self.render_to_response(self.get_context_data()))

    def post(self, request):
        client_id = request.POST.get("client", "")
        if not client_id.isprintable() or len(client_id) > MAX_CLIENT_ID_LENGTH:
            raise Http404(_("You have not authorized this application."))
        consent = self.get_consents().filter(client__client_id=client_id).first()
        if consent is None:
            raise Http404(_("You have not authorized this application."))
        client, user = consent.client, request.user
        granted = revocation.revoke_user_client(user, client)
        signals.consent_revoked.send(Consent, client=client, user=user, scopes=granted)
        message = _("%(name)s can no longer access your account.") % {"name": client.name}
        messages.success(request, message)
        return base.protect(HttpResponseRedirect(reverse("oauthcore:connected-apps")))
