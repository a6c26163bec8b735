"""Seed the example project: ``seeddemo [--force]``. Running it again gives the same state."""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from oauthcore import crypto
from oauthcore.conf import oauth_settings
from oauthcore.errors import InvalidClientMetadata
from oauthcore.jose import keyring
from oauthcore.models import Client
from oauthcore.server import registration

DEMO_SCOPES = ["read:profile", "write:profile", "read:email", "read:contacts", "publish"]
DEMO_SCOPES += ["openid", "profile", "email"]
CODE_GRANTS = ["authorization_code", "refresh_token"]
DEMO_CLIENTS = {
    "demo-web": {
        "name": "Demo Web App",
        "client_type": "confidential",
        "grant_types": CODE_GRANTS,
        # The example site's own callback page (on the issuer) and a local native-app style URI.
        "redirect_uris": ["{issuer}/demo/callback/", "http://127.0.0.1:8765/callback"],
        "allowed_scopes": DEMO_SCOPES,
        "secret": "demo-web-secret",
    },
    "demo-spa": {
        "name": "Demo Single-Page App",
        "client_type": "public",
        "grant_types": CODE_GRANTS,
        "redirect_uris": ["http://127.0.0.1:8765/callback"],
        "allowed_scopes": DEMO_SCOPES,
        "secret": None,
    },
    "demo-rp": {
        "name": "MyApp (demo relying party)",
        "client_type": "confidential",
        "grant_types": CODE_GRANTS,
        # The example site's /demo/ pages: a relying party served by the issuer itself.
        "redirect_uris": ["{issuer}/demo/rp/callback/"],
        "post_logout_redirect_uris": ["{issuer}/demo/"],
        "allowed_scopes": ["openid", "profile", "email", "read:profile", "read:contacts"],
        "secret": "demo-rp-secret",
    },
    "demo-service": {
        "name": "Demo Publishing Service",
        "client_type": "confidential",
        "grant_types": ["client_credentials"],
        "redirect_uris": [],
        "allowed_scopes": ["publish"],
        "secret": "demo-service-secret",
    },
}


class Command(BaseCommand):
    help = "Create the demo users and clients (development only: needs DEBUG, or --force)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is False.")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(_("seeddemo creates known passwords: it runs only with DEBUG=True."))
        alice_password = os.environ.get("DEMO_PASSWORD", "alice-demo-password")
        admin_password = os.environ.get("DEMO_ADMIN_PASSWORD", "admin-demo-password")
        self.seed_user("alice", alice_password)
        self.seed_user("admin", admin_password, superuser=True)
        for client_id, spec in DEMO_CLIENTS.items():
            self.seed_client(client_id, **spec)
        keyring.signing_key()  # make sure a key exists before the first request
        self.report(alice_password, admin_password)

    def seed_user(self, username, password, *, superuser=False):
        user, _ = get_user_model().objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.com"}
        )
        user.is_staff = user.is_superuser = superuser
        user.is_active = True
        user.set_password(password)
        user.save()

    def seed_client(self, client_id, *, secret, **fields):
        issuer = oauth_settings.ISSUER
        fields["redirect_uris"] = [uri.format(issuer=issuer) for uri in fields["redirect_uris"]]
        logout_uris = fields.get("post_logout_redirect_uris", [])
        fields["post_logout_redirect_uris"] = [uri.format(issuer=issuer) for uri in logout_uris]
        try:
            registration.validate(
                client_type=fields["client_type"],
                grant_types=fields["grant_types"],
                redirect_uris=fields["redirect_uris"],
                scope_names=fields["allowed_scopes"],
                post_logout_redirect_uris=fields["post_logout_redirect_uris"],
            )
        except InvalidClientMetadata as e:
            raise CommandError(f"{client_id}: {e}") from e
        Client.objects.update_or_create(
            client_id=client_id,
            defaults={
                **fields,
                "secret_hash": crypto.hash_token(secret) if secret else "",
                "previous_secret_hash": "",
                "previous_secret_expires_at": None,
                "default_scopes": [],
                "is_active": True,
                "skip_consent": False,
            },
        )

    def report(self, alice_password, admin_password):
        issuer = oauth_settings.ISSUER
        lines = [
            "Demo data is ready.",
            f"  Site:      {issuer}/",
            f"  Admin:     {issuer}/admin/   (admin / {admin_password})",
            f"  Metadata:  {issuer}/.well-known/oauth-authorization-server",
            f"  User:      alice / {alice_password}",
            "  Clients:",
        ]
        for client_id, spec in DEMO_CLIENTS.items():
            secret = spec["secret"] or "(public: no secret, PKCE)"
            grants = " ".join(spec["grant_types"])
            lines.append(f"    {client_id:<13} secret {secret:<26} {grants}")
        self.stdout.write("\n".join(lines))
