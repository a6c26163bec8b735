"""Admin actions that end access, and the grants summary of a consent (used by oauthcore/admin/).

- clients: "Deactivate and revoke all tokens" (``Client.save()`` does the revoking);
- consents: "Revoke access", the same as the user's connected-apps page;
- refresh tokens: "Revoke ... whole families" (``revocation.revoke_family``).
Each one sends the signals the same change sends elsewhere, with ``by`` the staff user.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Max
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from oauthcore import signals
from oauthcore.models import Client, Consent, RefreshToken
from oauthcore.server import revocation


@admin.action(
    description=_("Deactivate and revoke all tokens of the selected clients"),
    permissions=["change"],
)
def deactivate_and_revoke(modeladmin, request, queryset):
    """Deactivate each selected client: its access and refresh tokens stop working at once."""
    done = 0
    for client in queryset.filter(is_active=True):
        client.is_active = False
        client._deactivated_by = request.user  # read by Client.save() for client_deactivated
        client.save(update_fields=["is_active", "updated_at"])
        modeladmin.log_change(request, client, [{"changed": {"fields": ["is_active"]}}])
        done += 1
    message = ngettext(
        "%d client deactivated; every token it held was revoked.",
        "%d clients deactivated; every token they held was revoked.",
        done,
    )
    modeladmin.message_user(request, message % done, messages.SUCCESS)


@admin.action(description=_("Revoke access (consent, tokens and codes)"), permissions=["delete"])
def revoke_access(modeladmin, request, queryset):
    """Withdraw each selected consent as the user's connected-apps page does."""
    consents = list(queryset.select_related("client", "user"))
    modeladmin.log_deletions(request, consents)
    for consent in consents:
        client, user = consent.client, consent.user
        granted = revocation.revoke_user_client(user, client)
        signals.consent_revoked.send(
            Consent, client=client, user=user, scopes=granted, by=request.user
        )
    message = ngettext("Access of %d app revoked.", "Access of %d apps revoked.", len(consents))
    modeladmin.message_user(request, message % len(consents), messages.SUCCESS)


@admin.action(description=_("Revoke the selected tokens and their whole families"))
def revoke_families(modeladmin, request, queryset):
    """Revoke every family a selected refresh token belongs to (RFC 9700 4.14.2)."""
    rows = {row["family_id"]: row for row in queryset.values("family_id", "client_id", "user_id")}
    clients = Client.objects.in_bulk({row["client_id"] for row in rows.values()})
    users = get_user_model().objects.in_bulk({row["user_id"] for row in rows.values()})
    for family_id, row in rows.items():
        revocation.revoke_family(family_id)
        signals.token_revoked.send(
            Client,
            client=clients.get(row["client_id"]),
            user=users.get(row["user_id"]),
            token_type="refresh_token",
            jti=None,
            family_id=family_id,
            by=request.user,
        )
    revoked = ngettext("%d token family revoked.", "%d token families revoked.", len(rows))
    modeladmin.message_user(request, revoked % len(rows))


def grants_summary(consent: Consent) -> str:
    """Describe what the consent's user and client hold: live families and the last token."""
    now = timezone.now()
    rows = RefreshToken.objects.filter(user=consent.user_id, client=consent.client_id)
    live = rows.live().filter(expires_at__gt=now).values("family_id").distinct().count()
    last = rows.aggregate(last=Max("created_at"))["last"]
    return format_html(
        "{}: {}. {}: {}.",
        _("Live refresh-token families"),
        live,
        _("Tokens last issued"),
        last or _("never"),
    )
