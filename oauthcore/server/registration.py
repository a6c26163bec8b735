"""Client registration rules shared by dynamic registration, ``createclient``, ``seeddemo`` and the admin.

An RFC 7591 metadata object is read by ``client_metadata.parse``; ``validate`` says whether the
values make a usable, safe client, the same rules wherever a client comes from.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError

from oauthcore import crypto, errors, fetch, profiles, scopes, signals
from oauthcore.conf import oauth_settings
from oauthcore.errors import InvalidClientMetadata, InvalidRedirectUri
from oauthcore.hosts import is_loopback_host
from oauthcore.models import Client
from oauthcore.server import client_auth, client_keys, client_metadata, grants, resources

# RFC 8252 7.1: a private-use scheme is a reverse domain name, so it contains a dot.
PRIVATE_USE_SCHEME = re.compile(r"[a-z][a-z0-9+\-]*(\.[a-z0-9+\-]+)+")
MAX_REDIRECT_URI_LENGTH = 2000
# DNS labels (RFC 1123 2.1): letters, digits and inner hyphens, 1-63 characters each.
# RFC 7591 2 names these; each is accepted once ``client_auth.METHODS`` has an entry for it.
RFC_AUTH_METHODS = (
    "none",
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
)
# Methods that authenticate with the client's own keys (RFC 7523): such a client has no secret.
KEY_METHODS = frozenset({"private_key_jwt"})
# Methods whose secret the server must read back (RFC 7523 2.2): it is kept encrypted too.
RECOVERABLE_SECRET_METHODS = frozenset({"client_secret_jwt"})
RESPONSE_TYPES = {"code": Client.GrantType.AUTHORIZATION_CODE}  # response type -> its grant
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
    if method in RFC_AUTH_METHODS and method not in client_auth.METHODS:
        raise InvalidClientMetadata(
            f"token_endpoint_auth_method {method} is not supported yet "
            f"(choose from {', '.join(client_auth.supported())})."
        )
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
    return _check_profile(client_type, client.token_endpoint_auth_method)


def _check_profile(client_type: str, method: str) -> str:
    """Refuse what the security profile forbids: public clients, other methods (FAPI 2.0 5.3.2.1)."""
    profile = profiles.active()
    if profile.confidential_clients_only and client_type == Client.ClientType.PUBLIC:
        raise InvalidClientMetadata(
            f"The security profile {profile.name} admits confidential clients only."
        )
    if not profile.allows_auth_method(method):
        raise InvalidClientMetadata(
            f"token_endpoint_auth_method {method} is not allowed by the security profile "
            f"{profile.name} (choose from {', '.join(client_auth.supported())})."
        )
    return method


def _validate_response_types(response_types: list[str], grant_types: list[str]) -> None:
    """Check each response type is supported and matches a grant type (RFC 7591 2.1)."""
    if unknown := [name for name in response_types if name not in RESPONSE_TYPES]:
        raise InvalidClientMetadata(
            f"Unsupported response type: {' '.join(unknown)} (choose from code)."
        )
    wanted = {RESPONSE_TYPES[name] for name in response_types}
    code = Client.GrantType.AUTHORIZATION_CODE
    if wanted != ({code} if code in grant_types else set()):
        raise InvalidClientMetadata(
            "grant_types and response_types do not match: authorization_code goes with code."
        )


def _validate_application_type(application_type: str, redirect_uris: list[str]) -> None:
    """A web client's redirect URIs are https (http on loopback); a native app's may be its own
    scheme (OpenID Connect Registration 2, RFC 8252 7)."""
    if application_type != "web":
        return
    for uri in redirect_uris:
        if urlsplit(uri).scheme not in ("https", "http"):
            raise InvalidRedirectUri(
                f"A web client's redirect URI is https; register a native app for {uri!r}."
            )


def validate(
    *,
    client_type: str,
    grant_types: list[str],
    redirect_uris: list[str],
    scope_names: list[str],
    post_logout_redirect_uris: list[str] | None = None,
    token_endpoint_auth_method: str = "",
    response_types: list[str] | None = None,
    application_type: str = "",
    self_registered: bool = False,
    token_exchange_audiences: list[str] | None = None,
    token_exchange_scopes: list[str] | None = None,
) -> None:
    """Raise ``InvalidClientMetadata`` unless these settings make a usable, safe client.

    ``response_types`` and ``application_type`` are checked when given (RFC 7591 2.1); a
    ``self_registered`` client may not use the client_credentials grant, which no user approves.
    """
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
        raise InvalidRedirectUri("The authorization_code grant needs a redirect URI.")
    user_grants = {Client.GrantType.AUTHORIZATION_CODE, Client.GrantType.DEVICE_CODE}
    if Client.GrantType.REFRESH_TOKEN in grant_types and not user_grants & set(grant_types):
        raise InvalidClientMetadata(
            "The refresh_token grant needs the authorization_code or device_code grant."
        )
    is_public = client_type == Client.ClientType.PUBLIC
    if is_public and Client.GrantType.CLIENT_CREDENTIALS in grant_types:
        raise InvalidClientMetadata("A public client cannot use the client_credentials grant.")
    if self_registered and Client.GrantType.CLIENT_CREDENTIALS in grant_types:
        raise InvalidClientMetadata(
            "A self-registered client cannot use the client_credentials grant: "
            "no user approves what it gets."
        )
    if response_types is not None:
        _validate_response_types(response_types, grant_types)
    for uri in [*redirect_uris, *(post_logout_redirect_uris or [])]:
        validate_redirect_uri(uri)
    _validate_application_type(application_type, redirect_uris)
    if bad := scopes.unknown(scope_names):
        raise InvalidClientMetadata(f"Unregistered scope: {' '.join(bad)}.")
    _validate_token_exchange(
        is_public or self_registered,
        grant_types,
        scope_names,
        token_exchange_audiences or [],
        token_exchange_scopes or [],
    )


def _validate_token_exchange(
    untrusted: bool, grant_types: list[str], scope_names: list[str], audiences, scope_policy
) -> None:
    """Check a client's token exchange policy (RFC 8693, docs/token-exchange.md): staff-registered
    confidential clients only; audiences among ``RESOURCES``, scopes among its allowed scopes."""
    if untrusted and (Client.GrantType.TOKEN_EXCHANGE in grant_types or audiences or scope_policy):
        raise InvalidClientMetadata(
            "Token exchange is for confidential clients registered by staff only."
        )
    if unknown := [name for name in audiences if name not in resources.registered()]:
        raise InvalidClientMetadata(
            f"token_exchange_audiences: not in OAUTHCORE['RESOURCES']: {' '.join(unknown)}."
        )
    if extra := [name for name in scope_policy if name not in scope_names]:
        raise InvalidClientMetadata(
            f"token_exchange_scopes: not among the client's scopes: {' '.join(extra)}."
        )


def validate_backchannel_logout_uri(uri: str) -> str:
    """Return a ``backchannel_logout_uri`` the server may POST to, else raise (Back-Channel Logout
    2.2, 4): https, or http to a loopback host with ``FETCH_ALLOW_LOOPBACK``; no fragment; an IP
    address must be public (a name is checked again at each delivery)."""
    if not uri:
        return ""
    try:
        _, _, host = fetch.check_url(uri)
        has_fragment = bool(urlsplit(uri).fragment) or "#" in uri
    except fetch.FetchError as e:
        raise InvalidClientMetadata(f"backchannel_logout_uri: {e.reason}") from e
    if has_fragment:
        raise InvalidClientMetadata("backchannel_logout_uri must not have a fragment.")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return uri  # a name: resolved and checked when a logout token is sent
    if not fetch.is_public(address, allow_loopback=oauth_settings.FETCH_ALLOW_LOOPBACK):
        raise InvalidClientMetadata("backchannel_logout_uri must not be a private address.")
    return uri


def parse_scope(scope: str) -> list[str]:
    """Return the scope names of a space-separated ``scope`` (RFC 7591 2), else raise."""
    try:
        return scopes.parse(scope)
    except errors.InvalidScope as e:
        raise InvalidClientMetadata(f"Invalid scope list: {scope!r}.") from e


def from_metadata(values: client_metadata.Metadata) -> dict[str, Any]:
    """Return ``create_client``'s keyword arguments for RFC 7591 metadata values.

    An omitted ``scope`` is every registered scope (RFC 7591 2: the server's default set); the
    user still approves each one.
    """
    scope = values.scope if values.scope is not None else " ".join(scopes.registered())
    return {
        "name": values.client_name,
        "public": values.is_public,
        "token_endpoint_auth_method": values.token_endpoint_auth_method,
        "grant_types": values.grant_types,
        "response_types": values.response_types,
        "redirect_uris": values.redirect_uris,
        "post_logout_redirect_uris": values.post_logout_redirect_uris,
        "scope": scope,
        "application_type": values.application_type,
        "dpop_bound_access_tokens": values.dpop_bound_access_tokens,
        "metadata": values.kept,
        "require_pushed_authorization_requests": values.require_pushed_authorization_requests,
        "rotate_refresh_tokens": values.rotate_refresh_tokens,
        "token_exchange_audiences": values.token_exchange_audiences,
        "token_exchange_scopes": values.token_exchange_scopes,
        "backchannel_logout_uri": values.backchannel_logout_uri,
        "backchannel_logout_session_required": values.backchannel_logout_session_required,
    }


def replace(client: Client, *, name: str, public: bool = False, **fields: Any) -> str | None:
    """Validate ``fields`` (``create_client``'s) and set them on ``client``, unsaved.

    Return a new secret when the client needs one (it had none), else None. A client that
    becomes public loses its secret.
    """
    client_type = Client.ClientType.PUBLIC if public else Client.ClientType.CONFIDENTIAL
    scope_names = parse_scope(fields.get("scope", ""))
    values = {
        "grant_types": list(dict.fromkeys(fields["grant_types"])),
        "redirect_uris": list(dict.fromkeys(fields.get("redirect_uris") or [])),
        "post_logout_redirect_uris": list(
            dict.fromkeys(fields.get("post_logout_redirect_uris") or [])
        ),
    }
    method = fields.get("token_endpoint_auth_method", "")
    application_type = fields.get("application_type", "")
    validate(
        client_type=client_type,
        scope_names=scope_names,
        token_endpoint_auth_method=method,
        response_types=fields.get("response_types"),
        application_type=application_type,
        self_registered=client.is_self_registered,
        token_exchange_audiences=fields.get("token_exchange_audiences"),
        token_exchange_scopes=fields.get("token_exchange_scopes"),
        **values,
    )
    client.name = _checked_name(client, name)
    for attribute, value in values.items():
        setattr(client, attribute, value)
    client.client_type, client.allowed_scopes = client_type, scope_names
    client.token_endpoint_auth_method = validate_auth_method(client_type, method)
    if "require_pushed_authorization_requests" in fields:  # RFC 9126 6
        client.require_pushed_authorization_requests = fields[
            "require_pushed_authorization_requests"
        ]
    if "dpop_bound_access_tokens" in fields:  # RFC 9449 5.2: token requests need a proof
        client.dpop_bound_access_tokens = bool(fields["dpop_bound_access_tokens"])
    if fields.get("rotate_refresh_tokens") is not None:  # FAPI 2.0 5.3.2.1 9
        client.rotate_refresh_tokens = bool(fields["rotate_refresh_tokens"])
    elif client.pk is None:  # a new client: the security profile's default
        client.rotate_refresh_tokens = profiles.active().rotate_refresh_tokens
    for policy in ("token_exchange_audiences", "token_exchange_scopes"):  # RFC 8693
        if fields.get(policy) is not None:
            setattr(client, policy, list(dict.fromkeys(fields[policy])))
    if "backchannel_logout_uri" in fields:  # OIDC Back-Channel Logout 2.2
        client.backchannel_logout_uri = validate_backchannel_logout_uri(
            fields["backchannel_logout_uri"] or ""
        )
    if "backchannel_logout_session_required" in fields:
        required = bool(fields["backchannel_logout_session_required"])
        client.backchannel_logout_session_required = required
    metadata = fields.get("metadata")
    if metadata is not None:
        client.metadata = {**metadata, "application_type": application_type or "web"}
        client.jwks = client.metadata.get("jwks") or {}
        client.jwks_uri = client.metadata.get("jwks_uri") or ""
    validate_keys(client.token_endpoint_auth_method, client.jwks, client.jwks_uri)
    return secret_for(client)


def validate_keys(method: str, jwks: dict[str, Any], jwks_uri: str) -> None:
    """Check a client's keys (RFC 7591 2): public keys only, a fetchable ``jwks_uri``, not both;
    a ``private_key_jwt`` client needs one of them."""
    if jwks and jwks_uri:
        raise InvalidClientMetadata("Give jwks or jwks_uri, not both (RFC 7591 2).")
    if jwks:
        client_keys.check_jwks(client_metadata.check_jwks(jwks))
    if jwks_uri:
        client_keys.check_jwks_uri(jwks_uri)
    if method in KEY_METHODS and not (jwks or jwks_uri):
        raise InvalidClientMetadata(f"{method} needs the client's keys: jwks or jwks_uri.")


def _checked_name(client: Client, name: str) -> str:
    """Return the client's name; a self-registered client without one is called by its id."""
    name = (name or "").strip() or ("" if not client.is_self_registered else client.client_id)
    if not name:
        raise InvalidClientMetadata("A client needs a name.")
    if len(name) > Client._meta.get_field("name").max_length:
        raise InvalidClientMetadata("The client's name is too long.")
    return name


def secret_for(client: Client) -> str | None:
    """Give a new secret to a client whose method uses one and has none; take it from others.

    A ``client_secret_jwt`` client needs its secret encrypted too (RFC 7523 2.2: the server
    computes the HMAC): one that has only a hash gets a new secret. Return the new secret.
    """
    method = client.token_endpoint_auth_method
    if client.is_public or method in KEY_METHODS:
        client.secret_hash = client.previous_secret_hash = client.secret_ciphertext = ""
        client.previous_secret_expires_at = None
        return None
    if method in RECOVERABLE_SECRET_METHODS:
        return None if client.secret_ciphertext else client.set_new_secret()
    client.secret_ciphertext = ""
    return None if client.secret_hash else client.set_new_secret()


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
    response_types: list[str] | None = None,
    application_type: str = "",
    metadata: dict[str, Any] | None = None,
    origin: str = Client.Origin.STAFF,
    require_pushed_authorization_requests: bool = False,
    dpop_bound_access_tokens: bool = False,
    rotate_refresh_tokens: bool | None = None,
    token_exchange_audiences: list[str] | None = None,
    token_exchange_scopes: list[str] | None = None,
    backchannel_logout_uri: str = "",
    backchannel_logout_session_required: bool = False,
) -> tuple[Client, str | None]:
    """Validate and store a new client; return it with its secret (None for a public client).

    ``token_endpoint_auth_method`` empty: ``none`` if public, else ``client_secret_basic``.
    ``rotate_refresh_tokens`` None: the security profile's default (on without a profile).
    ``metadata`` (RFC 7591 members kept to be returned) comes from ``from_metadata``; a client of
    another ``origin`` than staff registered itself and is never pre-trusted.
    """
    client = Client(origin=origin, skip_consent=skip_consent, can_introspect=can_introspect)
    client.client_id = validate_client_id(client_id or crypto.new_client_id())
    secret = replace(
        client,
        name=name,
        public=public,
        grant_types=grant_types,
        redirect_uris=redirect_uris,
        scope=scope,
        post_logout_redirect_uris=post_logout_redirect_uris,
        token_endpoint_auth_method=token_endpoint_auth_method,
        response_types=response_types,
        application_type=application_type,
        metadata=metadata,
        require_pushed_authorization_requests=require_pushed_authorization_requests,
        dpop_bound_access_tokens=dpop_bound_access_tokens,
        rotate_refresh_tokens=rotate_refresh_tokens,
        token_exchange_audiences=token_exchange_audiences,
        token_exchange_scopes=token_exchange_scopes,
        backchannel_logout_uri=backchannel_logout_uri,
        backchannel_logout_session_required=backchannel_logout_session_required,
    )
    if Client.objects.filter(client_id=client.client_id).exists():
        raise InvalidClientMetadata(f"A client with client_id {client.client_id!r} already exists.")
    client.save()
    signals.client_created.send(Client, client=client, by=None)
    return client, secret
