"""Signing keys: listed without their private half, rotated from a button."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from oauthcore.admin.base import PageMixin, ReadOnlyAdmin
from oauthcore.conf import oauth_settings
from oauthcore.jose import keyring
from oauthcore.models import (
    SigningKey,
)
from oauthcore.ops import forms


@admin.register(SigningKey)
class SigningKeyAdmin(PageMixin, ReadOnlyAdmin):
    change_list_template = "admin/oauthcore/signingkey/change_list.html"
    list_display = (
        "kid",
        "algorithm",
        "state",
        "created_at",
        "activated_at",
        "retired_at",
        "expires_at",
    )
    list_filter = ("state", "algorithm")
    fields = list_display  # never the private key

    def has_delete_permission(self, request, obj=None):
        return False  # retired keys leave with `cleartokens` once their tokens have expired

    def get_urls(self):
        view = self.admin_site.admin_view(self.rotate_view)
        return [path("rotate/", view, name="oauthcore_signingkey_rotate"), *super().get_urls()]

    def rotate_view(self, request):
        if not request.user.has_perm("oauthcore.change_signingkey"):
            raise PermissionDenied
        changelist = reverse("admin:oauthcore_signingkey_changelist")
        if oauth_settings.HS256_SECRET or oauth_settings.SIGNING_KEYS:
            message = _(
                "Keys come from settings (HS256_SECRET or SIGNING_KEYS): rotate them there."
            )
            self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(changelist)
        form = forms.RotateKeyForm(request.POST if request.method == "POST" else None)
        if not form.is_valid():
            return self.render_page(request, form=form, title=_("Rotate the signing key"))
        row = keyring.rotate(form.cleaned_data["algorithm"] or None, by=request.user)
        self.log_addition(request, row, [{"added": {}}])
        message = _("Key %(kid)s (%(alg)s) signs from now on; the old one stays published.")
        self.message_user(request, message % {"kid": row.kid, "alg": row.algorithm})
        return HttpResponseRedirect(changelist)
