"""Client registration rules shared by ``createclient``, ``seeddemo`` and the admin."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError

from oauthcore import crypto, errors, scopes, signals
from oauthcore.errors import InvalidClientMetadata, InvalidRedirectUri
from oauthcore.hosts import is_loopback_host
from oauthcore.models import Client
from oauthcore.server import client_auth, grants

# RFC 8252 7.1: a private-use scheme is a reverse domain name, so it contains a dot.
PRIVATE_USE_SCHEME = re.compile(r"[a-z][a-z0-9+\-]*(\.[a-z0-9+\-]+)+")
MAX_REDIRECT_URI_LENGTH = 2000
# DNS labels (RFC 1123 2.1): letters, digits and inner hyphens, 1-63 characters each.
HOSTNAME = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.?")


def _is_host(host: str) -> bool:
    """Tell whether ``host`` is a DNS name or an IP literal (RFC 3986 3.2.2)."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return bool(HOSTNAME.fullmatch(host))


def validate_redirect_uri(uri: str) -> str:
    """Return ``uri`` if it may be registered (RFC 6749 3.1.2, RFC 8252 7, RFC 9700 2.1)."""
    if len(uri) > MAX_REDIRECT_URI_LENGTH or not uri.isprintable() or " " in uri or "\\" in uri:
        raise InvalidRedirectUri(f"Invalid redirect URI: {uri!r}.")
    try:
        parts = urlsplit(uri)
        host, port = parts.hostname, parts.port  # port: ValueError when not 0-65535
    except ValueError as e:
        raise InvalidRedirectUri(f"Invalid redirect URI: {uri!r}.") from e
    if port == 0 or (host is not None and not _is_host(host)):
        raise InvalidRedirectUri(f"Invalid redirect URI: {uri!r}.")
    if parts.fragment or "#" in uri:
        raise InvalidRedirectUri(f"A redirect URI must not have a fragment: {uri!r}.")
    web = parts.scheme == "https" and host
    loopback = parts.scheme == "http" and is_loopback_host(host)
    native = PRIVATE_USE_SCHEME.fullmatch(parts.scheme) and not parts.netloc
    if not (web or loopback or native):
        raise InvalidRedirectUri(
            f"A redirect URI must be https (http only on a loopback host): {uri!r}."
        )
    if parts.username is not None or parts.password is not None or "*" in uri:
        raise InvalidRedirectUri(f"Invalid redirect URI: {uri!r}.")
    if any(_is_dot_segment(segment) for segment in parts.path.split("/")):
        raise InvalidRedirectUri(f"A redirect URI must not have dot-segments: {uri!r}.")
    return uri


def _is_dot_segment(segment: str) -> bool:
    """Tell whether a path segment is ``.`` or ``..``, even percent-encoded (RFC 3986 5.2.4).

    A server that decodes once more, or reads ``..;x`` as ``..`` (path parameters), would
    resolve it, so ``%2e``, ``%252e`` and ``..;x`` count too.
    """
    segment = segment.split(";", 1)[0]
    for _ in range(4):  # each round undoes one layer of percent-encoding
        segment, before = unquote(segment), segment
        if segment == before:
            break
    return segment in (".", "..")


def validate_client_id(client_id: str) -> str:
    """Return ``client_id`` if it can never be taken for a user's ``sub`` (RFC 9700 4.15)."""
    if not client_id or not client_id.isprintable() or len(client_id) > 100:
        raise InvalidClientMetadata(f"Invalid client_id: {client_id!r}.")
    if client_id.isdigit():  # the default subject of a user is its numeric primary key
        raise InvalidClientMetadata(
            "A client_id must not be all digits: it could equal a user's sub."
        )
    return client_id


def validate_auth_method(client_type: str, method: str = "") -> str:
    """Return the token endpoint auth method of a client of ``client_type`` (RFC 7591 2).

    Empty means the default: ``none`` for a public client, ``client_secret_basic`` otherwise.
    A public client authenticates with ``none``, a confidential client never does.
    """
    if method and method not in client_auth.METHODS:
        raise InvalidClientMetadata(
            f"Unknown token_endpoint_auth_method: {method} "
            f"(choose from {', '.join(client_auth.supported())})."
        )
    client = Client(client_type=client_type, token_endpoint_auth_method=method)
    try:
        client.match_auth_method()
    except ValidationError as e:
        raise InvalidClientMetadata(
            "A public client authenticates with none; a confidential client never does."
        ) from e
    return client.token_endpoint_auth_method


def validate(
    *,
    client_type: str,
    grant_types: list[str],
    redirect_uris: list[str],
    scope_names: list[str],
    post_logout_redirect_uris: list[str] | None = None,
    token_endpoint_auth_method: str = "",
) -> None:
    """Raise ``InvalidClientMetadata`` unless these settings make a usable, safe client."""
    validate_auth_method(client_type, token_endpoint_auth_method)
    supported = grants.supported()
    if unknown := [g for g in grant_types if g not in supported]:
        raise InvalidClientMetadata(
            f"Unknown grant type: {' '.join(unknown)} (choose from {', '.join(supported)})."
        )
    if not grant_types:
        raise InvalidClientMetadata("A client needs at least one grant type.")
    has_code = Client.GrantType.AUTHORIZATION_CODE in grant_types
    if has_code and not redirect_uris:
        raise InvalidClientMetadata("The authorization_code grant needs a redirect URI.")
    if Client.GrantType.REFRESH_TOKEN in grant_types and not has_code:
        raise InvalidClientMetadata("The refresh_token grant needs the authorization_code grant.")
    is_public = client_type == Client.ClientType.PUBLIC
    if is_public and Client.GrantType.CLIENT_CREDENTIALS in grant_types:
        raise InvalidClientMetadata("A public client cannot use the client_credentials grant.")
    for uri in [*redirect_uris, *(post_logout_redirect_uris or [])]:
        validate_redirect_uri(uri)
    if bad := scopes.unknown(scope_names):
        raise InvalidClientMetadata(f"Unregistered scope: {' '.join(bad)}.")


def create_client(
    *,
    name: str,
    public: bool = False,
    grant_types: list[str],
    redirect_uris: list[str] | None = None,
    scope: str = "",
    client_id: str | None = None,
    skip_consent: bool = False,
    can_introspect: bool = False,
    post_logout_redirect_uris: list[str] | None = None,
    token_endpoint_auth_method: str = "",
) -> tuple[Client, str | None]:
    """Validate and store a new client; return it with its secret (None for a public client).

    ``token_endpoint_auth_method`` empty: ``none`` if public, else ``client_secret_basic``.
    """
    client_type = Client.ClientType.PUBLIC if public else Client.ClientType.CONFIDENTIAL
    redirect_uris = list(dict.fromkeys(redirect_uris or []))
    grant_types = list(dict.fromkeys(grant_types))
    post_logout_redirect_uris = list(dict.fromkeys(post_logout_redirect_uris or []))
    try:
        scope_names = scopes.parse(scope)
    except errors.InvalidScope as e:
        raise InvalidClientMetadata(f"Invalid scope list: {scope!r}.") from e
    validate(
        client_type=client_type,
        grant_types=grant_types,
        redirect_uris=redirect_uris,
        scope_names=scope_names,
        post_logout_redirect_uris=post_logout_redirect_uris,
        token_endpoint_auth_method=token_endpoint_auth_method,
    )
    if not name.strip():
        raise InvalidClientMetadata("A client needs a name.")
    client_id = validate_client_id(client_id or crypto.new_client_id())
    if Client.objects.filter(client_id=client_id).exists():
        raise InvalidClientMetadata(f"A client with client_id {client_id!r} already exists.")
    client = Client(
        client_id=client_id,
        name=name.strip(),
        client_type=client_type,
        token_endpoint_auth_method=validate_auth_method(client_type, token_endpoint_auth_method),
        grant_types=grant_types,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout_redirect_uris,
        allowed_scopes=scope_names,
        skip_consent=skip_consent,
        can_introspect=can_introspect,
    )
    secret = None if public else client.set_new_secret()
    client.save()
    signals.client_created.send(Client, client=client, by=None)
    return client, secret
