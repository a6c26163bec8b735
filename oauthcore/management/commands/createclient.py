"""Register a client: ``createclient --name NAME [--public] --grant-types T [T ...] ...``."""

import json

from django.core.management.base import BaseCommand, CommandError

from oauthcore.errors import InvalidClientMetadata
from oauthcore.models import Client
from oauthcore.server import registration


class Command(BaseCommand):
    help = "Register an OAuth client. The secret is printed once and never stored in clear."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--public", action="store_true", help="A client with no secret (method: none)."
        )
        parser.add_argument(
            "--token-endpoint-auth-method",
            choices=Client.TokenEndpointAuthMethod.values,
            default="",
            help="How the client authenticates (RFC 7591); default: none if --public, "
            "else client_secret_basic.",
        )
        parser.add_argument("--grant-types", nargs="+", required=True, metavar="GRANT_TYPE")
        parser.add_argument("--redirect-uris", nargs="+", default=[], metavar="URI")
        parser.add_argument(
            "--post-logout-redirect-uris",
            nargs="+",
            default=[],
            metavar="URI",
            help="Where OpenID Connect logout may send the user back.",
        )
        parser.add_argument("--scopes", default="", help='Allowed scopes, e.g. "s1 s2".')
        parser.add_argument("--client-id", help="Choose the client_id (default: random).")
        parser.add_argument("--skip-consent", action="store_true", help="A first-party app.")
        parser.add_argument(
            "--can-introspect",
            action="store_true",
            help="A resource server: may introspect tokens issued to other clients.",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        try:
            client, secret = registration.create_client(
                name=options["name"],
                public=options["public"],
                grant_types=options["grant_types"],
                redirect_uris=options["redirect_uris"],
                scope=options["scopes"],
                client_id=options["client_id"],
                skip_consent=options["skip_consent"],
                can_introspect=options["can_introspect"],
                post_logout_redirect_uris=options["post_logout_redirect_uris"],
                token_endpoint_auth_method=options["token_endpoint_auth_method"],
            )
        except InvalidClientMetadata as e:
            raise CommandError(str(e)) from e
        data = {
            "client_id": client.client_id,
            "client_secret": secret,
            "name": client.name,
            "client_type": client.client_type,
            "token_endpoint_auth_method": client.token_endpoint_auth_method,
            "grant_types": client.grant_types,
            "redirect_uris": client.redirect_uris,
            "post_logout_redirect_uris": client.post_logout_redirect_uris,
            "scope": " ".join(client.allowed_scopes),
        }
        if options["json"]:
            self.stdout.write(json.dumps(data))
            return
        for name, value in data.items():
            self.stdout.write(f"{name}: {value}")
        if secret:
            self.stdout.write(self.style.WARNING("Store the secret now: it is not shown again."))
