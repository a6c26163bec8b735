"""Register a client: ``createclient --name NAME [--public] --grant-types T [T ...] ...``.

``--metadata JSON`` takes an RFC 7591 client metadata object, validated as dynamic registration
validates it; flags given beside it win.
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from oauthcore.errors import InvalidClientMetadata
from oauthcore.models import Client
from oauthcore.server import client_metadata, registration

# Each flag and the RFC 7591 member it sets when given beside --metadata.
FLAG_MEMBERS = {
    "name": "client_name",
    "grant_types": "grant_types",
    "redirect_uris": "redirect_uris",
    "post_logout_redirect_uris": "post_logout_redirect_uris",
    "scopes": "scope",
    "token_endpoint_auth_method": "token_endpoint_auth_method",
}


def merged_metadata(options) -> dict:
    """Return the --metadata object with the flags given beside it written over it."""
    document = client_metadata.loads(options["metadata"])
    if not isinstance(document, dict):
        raise InvalidClientMetadata("--metadata must be a JSON object.")
    if options["public"]:
        document["token_endpoint_auth_method"] = "none"
    for flag, member in FLAG_MEMBERS.items():
        if options[flag] is not None:
            document[member] = options[flag]
    return document


def fields_of(options) -> dict:
    """Return ``create_client``'s arguments, from --metadata and the flags or the flags alone."""
    if options["metadata"] is not None:
        values = client_metadata.parse(merged_metadata(options))
        return registration.from_metadata(values)
    if options["name"] is None or options["grant_types"] is None:
        raise CommandError(_("--name and --grant-types are required (or give --metadata)."))
    return {
        "name": options["name"],
        "public": options["public"],
        "grant_types": options["grant_types"],
        "redirect_uris": options["redirect_uris"] or [],
        "scope": options["scopes"] or "",
        "post_logout_redirect_uris": options["post_logout_redirect_uris"] or [],
        "token_endpoint_auth_method": options["token_endpoint_auth_method"] or "",
    }


class Command(BaseCommand):
    help = "Register an OAuth client. The secret is printed once and never stored in clear."

    def add_arguments(self, parser):
        parser.add_argument(
            "--metadata",
            metavar="JSON",
            help="An RFC 7591 client metadata object; flags given beside it win.",
        )
        parser.add_argument("--name")
        parser.add_argument(
            "--public", action="store_true", help="A client with no secret (method: none)."
        )
        parser.add_argument(
            "--token-endpoint-auth-method",
            choices=Client.TokenEndpointAuthMethod.values,
            help="How the client authenticates (RFC 7591); default: none if --public, "
            "else client_secret_basic.",
        )
        parser.add_argument("--grant-types", nargs="+", metavar="GRANT_TYPE")
        parser.add_argument("--redirect-uris", nargs="+", metavar="URI")
        parser.add_argument(
            "--post-logout-redirect-uris",
            nargs="+",
            metavar="URI",
            help="Where OpenID Connect logout may send the user back.",
        )
        parser.add_argument("--scopes", help='Allowed scopes, e.g. "s1 s2".')
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
                **fields_of(options),
                client_id=options["client_id"],
                skip_consent=options["skip_consent"],
                can_introspect=options["can_introspect"],
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
            **({"metadata": client.metadata} if client.metadata else {}),
            **(
                {"require_pushed_authorization_requests": True}
                if client.require_pushed_authorization_requests
                else {}
            ),
        }
        if client.dpop_bound_access_tokens:  # RFC 9449 5.2
            data["dpop_bound_access_tokens"] = True
        if not client.rotate_refresh_tokens:  # oauthcore's member (docs/fapi.md)
            data["rotate_refresh_tokens"] = False
        for policy in ("token_exchange_audiences", "token_exchange_scopes"):  # RFC 8693
            if getattr(client, policy):
                data[policy] = getattr(client, policy)
        if client.backchannel_logout_uri:  # OIDC Back-Channel Logout 2.2
            data["backchannel_logout_uri"] = client.backchannel_logout_uri
            data["backchannel_logout_session_required"] = client.backchannel_logout_session_required
        if options["json"]:
            self.stdout.write(json.dumps(data))
            return
        for name, value in data.items():
            self.stdout.write(f"{name}: {value}")
        if secret:
            self.stdout.write(self.style.WARNING(_("Store the secret now: it is not shown again.")))
