"""What the protocol made, read-only: codes, refresh tokens, consents, the deny-list, the audit log."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from oauthcore.admin.base import ReadOnlyAdmin
from oauthcore.models import (
    AuditEvent,
    AuthorizationCode,
    Consent,
    RefreshToken,
    RevokedAccessToken,
)
from oauthcore.ops import admin_actions, admin_lists, session_actions


@admin.register(AuthorizationCode)
class AuthorizationCodeAdmin(ReadOnlyAdmin):
    list_display = ("client", "user", "scope", "created_at", "expires_at", "used_at")
    list_select_related = ("client", "user")
    raw_id_fields = ("client", "user")
    fields = ("client", "user", "redirect_uri", "scope", "created_at", "expires_at", "used_at")
    search_fields = ("user", "client")
    search_help_text = _("An exact username or client ID.")
    sortable_by = ("expires_at",)


@admin.register(RefreshToken)
class RefreshTokenAdmin(ReadOnlyAdmin):
    list_display = (
        "family_id",
        "client",
        "user",
        "scope",
        "created_at",
        "expires_at",
        "rotated_at",
        "revoked_at",
    )
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    list_select_related = ("client", "user")
    raw_id_fields = ("client", "user")
    fields = list_display
    search_fields = ("user", "client", "family_id")
    search_help_text = _("An exact username, client ID or family ID.")
    sortable_by = ("expires_at",)
    actions = [admin_actions.revoke_families]

    def has_delete_permission(self, request, obj=None):
        return False  # rotated tokens are kept to detect reuse; revoke instead


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    """A user's grants: filter by user; each consent shows its live tokens; "Revoke access"."""

    list_display = ("user", "client", "scopes", "updated_at")
    list_filter = (admin_lists.UserFilter, admin_lists.ClientFilter)  # ?user=<pk>, ?client=<pk>
    list_select_related = ("client", "user")
    raw_id_fields = ("client", "user")
    fields = ("user", "client", "scopes", "grants", "created_at", "updated_at")
    readonly_fields = ("grants",)
    search_fields = ("user", "client")
    search_help_text = _("An exact username or client ID.")
    sortable_by = ()
    actions = [admin_actions.revoke_access, session_actions.end_sessions_of_users]

    @admin.display(description=_("tokens"))
    def grants(self, obj):
        return admin_actions.grants_summary(obj)

    def has_end_sessions_permission(self, request):
        return session_actions.may_end_sessions(request.user)


@admin.register(RevokedAccessToken)
class RevokedAccessTokenAdmin(ReadOnlyAdmin):
    list_display = ("jti", "revoked_at", "expires_at")
    fields = list_display
    search_fields = ("jti",)
    search_help_text = _("An exact jti.")
    sortable_by = ("expires_at",)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit log (``AUDIT_LOG``): to read only; ``cleartokens`` ages rows out."""

    list_display = ("created_at", "event", "client_identifier", "user", "ip")
    list_filter = (admin_lists.EventFilter,)
    list_select_related = ("user",)
    raw_id_fields = ("client", "user")
    fields = ("created_at", "event", "client", "client_identifier", "user", "ip", "details")
    search_fields = ("client_identifier", "user", "ip")
    search_help_text = _("An exact client ID, username or IP address.")
    sortable_by = ("created_at",)
    ordering = ("-created_at", "-pk")  # no date_hierarchy: it reads every row's date

    def has_delete_permission(self, request, obj=None):
        return False
