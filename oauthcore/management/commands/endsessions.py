"""End all sessions of users: ``endsessions USERNAME [USERNAME ...]`` (docs/backchannel-logout.md)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from oauthcore.ops import end_sessions


class Command(BaseCommand):
    help = (
        "End every session of the named users: their browser sessions on this site, their "
        "refresh-token families and live access tokens; queue a back-channel logout token for "
        "each relying party those sessions signed in to."
    )

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="+", metavar="USERNAME")

    def handle(self, *args, usernames, **options):
        model = get_user_model()
        field = model.USERNAME_FIELD
        users = model._default_manager.filter(**{f"{field}__in": usernames})
        missing = sorted(set(usernames) - {user.get_username() for user in users})
        if missing:
            raise CommandError(f"No such user: {', '.join(missing)}.")
        ended = end_sessions.end(users)
        self.stdout.write(summary(ended))


def summary(ended: end_sessions.Ended) -> str:
    """Say what was ended, in the order the summary of the admin action says it."""
    sessions = "not listable" if ended.sessions is None else ended.sessions
    clients = ", ".join(sorted(ended.clients)) or "none"
    return (
        f"Users: {ended.users}. Browser sessions ended: {sessions}. "
        f"Refresh-token families revoked: {ended.families}. "
        f"Relying parties notified: {len(ended.clients)} ({clients})."
    )
