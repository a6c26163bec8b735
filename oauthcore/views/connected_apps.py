"""The user's connected apps: what each app may do, and "Revoke access" to all of it.

The list pages (``?page=N``, ``paginate_by`` apps a page) without counting: a page reads one row
more than it shows to know whether another follows.
"""

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
MAX_PAGE_DIGITS = 6  # a larger page number is no page (and no huge OFFSET)


@method_decorator(csrf_protect, name="dispatch")  # the revoke form, with or without the middleware
class ConnectedAppsView(LoginRequiredMixin, TemplateResponseMixin, View):
    """GET: the apps the user authorized. POST ``client``: revoke that app's access."""

    template_name = "oauthcore/connected_apps.html"
    http_method_names = ["get", "post"]
    paginate_by = 20  # apps a page

    def get_consents(self):
        return (
            Consent.objects.filter(user=self.request.user)
            .select_related("client")
            .order_by("-updated_at", "-pk")
        )

    def page_number(self) -> int:
        """Return the page asked for (``?page=N``, from 1); anything else is a 404."""
        raw = self.request.GET.get("page", "1")
        if not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_PAGE_DIGITS or int(raw) < 1:
            raise Http404(_("No such page."))
        return int(raw)

    def get_page(self) -> tuple[int, list[Consent], bool]:
        """Return the page number, its consents and whether a next page follows."""
        number = self.page_number()
        start = (number - 1) * self.paginate_by
        rows = list(self.get_consents()[start : start + self.paginate_by + 1])
        if number > 1 and not rows:
            raise Http404(_("No such page."))
        return number, rows[: self.paginate_by], len(rows) > self.paginate_by

    def last_used(self, client_pks) -> dict[int, object]:
        """Return client pk -> when a refresh token of the user last came out for it."""
        if not client_pks:
            return {}
        rows = RefreshToken.objects.filter(user=self.request.user, client__in=client_pks)
        rows = rows.values("client_id").annotate(last=Max("created_at"))
        return {row["client_id"]: row["last"] for row in rows}

    def get_context_data(self):
        number, consents, more = self.get_page()
        last_used = self.last_used([consent.client_id for consent in consents])
        apps = [
            {
                "consent": consent,
                "client": consent.client,
                "scopes": scopes.describe(consent.scopes),
                "last_used": last_used.get(consent.client_id),
            }
            for consent in consents
        ]
        return {
            "apps": apps,
            "action": reverse("oauthcore:connected-apps"),
            "previous_page": number - 1 if number > 1 else None,
            "next_page": number + 1 if more else None,
        }

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
