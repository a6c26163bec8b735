"""Rotate the signing key: ``rotatekeys [--alg ALG]``."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from oauthcore.conf import oauth_settings
from oauthcore.jose import keyring
from oauthcore.models import SigningKey


class Command(BaseCommand):
    help = (
        "Make a new signing key sign from now on. The old key stays in the JWKS until every "
        "token it signed has expired; running servers pick the change up within KEY_CACHE_TTL."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--alg", choices=SigningKey.Algorithm.values, help="Default: SIGNING_ALGORITHM."
        )
        parser.add_argument(
            "--stage", action="store_true", help="Publish a `next` key now without signing with it."
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, alg=None, stage=False, **options):
        if oauth_settings.HS256_SECRET or oauth_settings.SIGNING_KEYS:
            raise CommandError(
                _("Keys come from settings (HS256_SECRET or SIGNING_KEYS): rotate them there.")
            )
        row = keyring.create_key(alg, state=SigningKey.State.NEXT) if stage else keyring.rotate(alg)
        if options["json"]:
            self.stdout.write(
                json.dumps({"kid": row.kid, "algorithm": row.algorithm, "state": row.state})
            )
        else:
            self.stdout.write(f"{row.state} key {row.kid} ({row.algorithm})")
