"""The admin action "End all sessions": a confirmation page, then ``end_sessions.end()``.

``end_sessions`` goes in a project's user admin (``actions = [end_sessions]``, re-exported as
``oauthcore.admin.end_sessions``); ``end_sessions_of_users`` in admins whose rows name a
``user`` (oauthcore's consents). Both need the permission to change users.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_permission_codename, get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from oauthcore.models import RefreshToken
from oauthcore.ops import end_sessions as ending

MAX_USERS = 100  # per action; ``manage.py endsessions`` takes any number
DESCRIPTION = gettext_lazy("End all sessions of the selected users")


def may_end_sessions(staff) -> bool:
    """Tell whether ``staff`` may end other users' sessions: the permission to change users."""
    opts = get_user_model()._meta
    return staff.has_perm(f"{opts.app_label}.{get_permission_codename('change', opts)}")


def _users(queryset):
    """Return the users the selected rows are, or name in their ``user``."""
    model = get_user_model()
    if queryset.model is model:
        return queryset
    return model._default_manager.filter(pk__in=queryset.values("user"))


def _live_families(users) -> dict:
    """Return user pk -> how many live refresh-token families they hold (one query)."""
    rows = RefreshToken.objects.filter(user__in=users, revoked_at__isnull=True)
    rows = rows.filter(expires_at__gt=timezone.now()).values("user")
    return {row["user"]: row["n"] for row in rows.annotate(n=Count("family_id", distinct=True))}


def confirm_page(modeladmin, request, queryset, users, action):
    """Show what will end and ask to confirm, like Django's "Delete selected" page."""
    families = _live_families(users)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("End all sessions?"),
        "opts": modeladmin.model._meta,
        "queryset": queryset,
        "users": [(user, families.get(user.pk, 0)) for user in users],
        "can_list_sessions": ending.can_list_sessions(),
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/oauthcore/end_sessions.html", context)


def _run(modeladmin, request, queryset, action):
    if not may_end_sessions(request.user):
        raise PermissionDenied
    users = list(_users(queryset).order_by("pk")[: MAX_USERS + 1])
    if len(users) > MAX_USERS:
        message = _("Select at most %d users at a time; manage.py endsessions takes more.")
        modeladmin.message_user(request, message % MAX_USERS, messages.ERROR)
        return None
    if request.POST.get("post") != "yes":
        return confirm_page(modeladmin, request, queryset, users, action)
    ended = ending.end(users, by=request.user)
    for user in users:
        modeladmin.log_change(request, user, _("Ended all sessions."))
    if any(user.pk == request.user.pk for user in users):
        request.session.flush()  # staff ended their own: this session's row is gone already
    modeladmin.message_user(request, summary(ended), messages.SUCCESS)
    return None


def summary(ended: ending.Ended) -> str:
    """Say what was ended: users, sessions, families, relying parties."""
    users = ngettext("Sessions of %d user ended", "Sessions of %d users ended", ended.users)
    if ended.sessions is None:
        sessions = _("browser sessions not ended (the session backend cannot list them)")
    else:
        sessions = (
            ngettext("%d browser session deleted", "%d browser sessions deleted", ended.sessions)
            % ended.sessions
        )
    families = ngettext(
        "%d refresh-token family revoked", "%d refresh-token families revoked", ended.families
    )
    notified = len(ended.clients)
    clients = ngettext("%d relying party notified", "%d relying parties notified", notified)
    return f"{users % ended.users}: {sessions}; {families % ended.families}; {clients % notified}."


@admin.action(description=DESCRIPTION, permissions=["change"])
def end_sessions(modeladmin, request, queryset):
    """End every session of the selected users (for a user admin: ``actions = [end_sessions]``)."""
    return _run(modeladmin, request, queryset, "end_sessions")


@admin.action(description=DESCRIPTION, permissions=["end_sessions"])
def end_sessions_of_users(modeladmin, request, queryset):
    """End every session of the users the selected rows name (the admin needs
    ``has_end_sessions_permission()``: ``may_end_sessions``)."""
    return _run(modeladmin, request, queryset, "end_sessions_of_users")
