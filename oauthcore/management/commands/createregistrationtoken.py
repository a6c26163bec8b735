"""Make an initial access token for dynamic registration: ``createregistrationtoken [--uses N]``."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from oauthcore import crypto
from oauthcore.conf import oauth_settings
from oauthcore.models import InitialAccessToken


class Command(BaseCommand):
    help = (
        "Make an initial access token (RFC 7591 3) that lets a client register itself while "
        "OAUTHCORE['REGISTRATION'] is 'token'. The token is printed once; only its hash is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--expires-in", type=int, metavar="SECONDS", help="Lifetime (default: none)."
        )
        parser.add_argument(
            "--uses", type=int, metavar="N", help="Registrations it allows (default: unlimited)."
        )
        parser.add_argument("--description", default="", help="Who it is for, for the admin.")

    def handle(self, *args, expires_in=None, uses=None, description="", **options):
        if expires_in is not None and expires_in <= 0:
            raise CommandError(_("--expires-in must be a positive number of seconds."))
        if uses is not None and uses <= 0:
            raise CommandError(_("--uses must be a positive number."))
        if len(description) > InitialAccessToken._meta.get_field("description").max_length:
            raise CommandError(_("--description is too long."))
        raw = crypto.new_token()
        expires_at = timezone.now() + timedelta(seconds=expires_in) if expires_in else None
        InitialAccessToken.objects.create(
            token_hash=crypto.hash_token(raw),
            description=description,
            expires_at=expires_at,
            remaining_uses=uses,
        )
        self.stdout.write(raw)
        if oauth_settings.REGISTRATION != "token":
            self.stderr.write(
                "Note: OAUTHCORE['REGISTRATION'] is not 'token': the token is not asked for."
            )
        self.stderr.write("Store the token now: it is not shown again.")
