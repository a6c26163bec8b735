"""Clients (a new secret is shown once, never a hash) and initial access tokens."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from oauthcore import signals
from oauthcore.admin.base import ListAdmin, PageMixin
from oauthcore.models import (
    Client,
    InitialAccessToken,
)
from oauthcore.ops import admin_actions, forms
from oauthcore.server import registration

SECRET_FIELDS = [
    "secret_hash",
    "secret_ciphertext",
    "previous_secret_hash",
    "previous_secret_expires_at",
    "updated_at",
]


@admin.register(Client)
class ClientAdmin(PageMixin, ListAdmin):
    form = forms.ClientForm
    list_display = (
        "name",
        "client_id",
        "client_type",
        "grant_list",
        "origin",
        "is_active",
        "created_at",
    )
    list_filter = ("origin", "client_type", "token_endpoint_auth_method", "is_active")
    search_fields = ("client_id", "name")
    search_help_text = _("An exact client ID or name.")
    sortable_by = ("name", "client_id")
    readonly_fields = (
        "registered_by",
        "secret_status",
        "deactivated_at",
        "first_used_at",
        "created_at",
        "updated_at",
    )
    actions = ["rotate_secret_action", admin_actions.deactivate_and_revoke]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "registered_by",
                    "name",
                    "client_id",
                    "client_type",
                    "token_endpoint_auth_method",
                    "secret_status",
                    "jwks",
                    "jwks_uri",
                ]
            },
        ),
        (_("Status"), {"fields": ["is_active", "deactivated_at"]}),
        (
            _("Authorization"),
            {
                "fields": [
                    "grant_types",
                    "redirect_uris",
                    "post_logout_redirect_uris",
                    "backchannel_logout_uri",
                    "backchannel_logout_session_required",
                    "allowed_scopes",
                    "default_scopes",
                    "skip_consent",
                    "can_introspect",
                    "require_pushed_authorization_requests",
                ]
            },
        ),
        (
            _("Tokens"),
            {
                "fields": [
                    "allowed_resources",
                    "token_exchange_audiences",
                    "token_exchange_scopes",
                    "audience",
                    "access_token_lifetime",
                    "refresh_token_lifetime",
                    "dpop_bound_access_tokens",
                    "rotate_refresh_tokens",
                ]
            },
        ),
        (_("More"), {"fields": ["metadata", "first_used_at", "created_at", "updated_at"]}),
    ]

    @admin.display(description=_("grant types"))
    def grant_list(self, obj):
        return ", ".join(obj.grant_types)

    @admin.display(description=_("registered by"))
    def registered_by(self, obj):
        if not obj.is_self_registered:
            return obj.get_origin_display()
        return format_html(
            '<strong class="oauthcore-self-registered">{}</strong> {}',
            _("This client registered itself (%s).") % obj.get_origin_display(),
            _(
                "No one on the staff checked who makes it; its name is its own choice, and it "
                "is never pre-trusted: users always see the consent page."
            ),
        )

    @admin.display(description=_("secret"))
    def secret_status(self, obj):
        if obj.pk is None:
            return _("Generated when you save, and shown once.")
        if obj.is_public:
            return _("None (public client).")
        if obj.token_endpoint_auth_method in registration.KEY_METHODS:
            return _("None (it authenticates with its own keys).")
        url = reverse("admin:oauthcore_client_rotate_secret", args=[obj.pk])
        previous = obj.previous_secret_expires_at
        note = _(" The previous secret works until %s.") % previous if previous else ""
        return format_html('{}{} <a href="{}">{}</a>', _("Set."), note, url, _("Rotate secret"))

    def save_model(self, request, obj, form, change):
        obj.match_auth_method()  # an empty method is the type's default, before the secret
        secret = registration.secret_for(obj)
        obj._deactivated_by = request.user  # read by Client.save() for client_deactivated
        super().save_model(request, obj, form, change)
        request._oauthcore_new_secret = secret
        if not change:
            signals.client_created.send(Client, client=obj, by=request.user)
        elif secret:
            signals.client_secret_rotated.send(
                Client, client=obj, by=request.user, previous_secret_expires_at=None
            )

    def response_add(self, request, obj, post_url_continue=None):
        secret = getattr(request, "_oauthcore_new_secret", None)
        if secret:
            return self.secret_page(request, obj, secret)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        secret = getattr(request, "_oauthcore_new_secret", None)
        if secret:
            return self.secret_page(request, obj, secret)
        return super().response_change(request, obj)

    def secret_page(self, request, obj, secret):
        """Show a new secret, the one time it is readable; nothing stores it in clear."""
        title = _("Client secret of %s") % obj
        # admin_view() already marks every admin response no-store (never_cache).
        return self.render_page(
            request, title=title, obj=obj, template="client_secret.html", secret=secret
        )

    def get_urls(self):
        view = self.admin_site.admin_view(self.rotate_secret_view)
        extra = [
            path(
                "<path:object_id>/rotate-secret/",
                view,
                name="oauthcore_client_rotate_secret",
            )
        ]
        return extra + super().get_urls()

    def rotate_secret_view(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.model._meta, object_id)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        change_url = reverse("admin:oauthcore_client_change", args=[obj.pk])
        if obj.is_public or obj.token_endpoint_auth_method in registration.KEY_METHODS:
            self.message_user(request, _("This client has no secret."), messages.ERROR)
            return HttpResponseRedirect(change_url)
        form = forms.RotateSecretForm(request.POST if request.method == "POST" else None)
        if not form.is_valid():
            title = _("Rotate the secret of %s") % obj
            return self.render_page(request, form=form, title=title, obj=obj)
        with transaction.atomic():
            obj = Client.objects.select_for_update().get(pk=obj.pk)
            secret = obj.set_new_secret(keep_previous_for=form.grace_period())
            obj.save(update_fields=SECRET_FIELDS)
        self.log_change(request, obj, [{"changed": {"fields": ["secret"]}}])
        signals.client_secret_rotated.send(
            Client,
            client=obj,
            by=request.user,
            previous_secret_expires_at=obj.previous_secret_expires_at,
        )
        return self.secret_page(request, obj, secret)

    @admin.action(description=_("Rotate the secret of the selected client"))
    def rotate_secret_action(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one client."), messages.WARNING)
            return None
        url = reverse("admin:oauthcore_client_rotate_secret", args=[queryset.get().pk])
        return HttpResponseRedirect(url)


@admin.register(InitialAccessToken)
class InitialAccessTokenAdmin(ListAdmin):
    """Initial access tokens (RFC 7591 3): made by `createregistrationtoken`, listed, deleted."""

    list_display = ("__str__", "created_at", "expires_at", "remaining_uses")
    readonly_fields = ("description", "created_at", "expires_at", "remaining_uses")

    def has_add_permission(self, request):
        return False  # `manage.py createregistrationtoken` prints the token, the one time

    def has_change_permission(self, request, obj=None):
        return False
