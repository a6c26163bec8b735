"""Read an RFC 7591 client metadata object into typed values, with the RFC's defaults.

``parse()`` checks each member's JSON type and fills the defaults of RFC 7591 2; whether the
values make a usable, safe client is ``oauthcore.server.registration.validate``'s question.
Unknown members are ignored (RFC 7591 2); the informational ones (``client_uri``, ``contacts``,
...) are kept to be returned, as registered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from oauthcore.errors import InvalidClientMetadata
from oauthcore.server import client_keys

MAX_STRING_LENGTH = 2000
MAX_LIST_LENGTH = 20
MAX_JWKS_KEYS = 10
MAX_DEPTH = 20
# Members that name the client's registration, not its metadata (RFC 7591 3.2.1, RFC 7592 3).
REGISTRATION_MEMBERS = frozenset(
    {
        "registration_access_token",
        "registration_client_uri",
        "client_secret_expires_at",
        "client_id_issued_at",
    }
)
# Informational members kept as registered and returned (RFC 7591 2); URLs are http(s).
KEPT_URLS = ("client_uri", "logo_uri", "tos_uri", "policy_uri")
KEPT_STRINGS = ("software_id", "software_version")
APPLICATION_TYPES = ("web", "native")  # OpenID Connect Dynamic Client Registration 1.0, 2


@dataclass
class Metadata:
    """A client metadata object's values (RFC 7591 2), defaults filled in."""

    token_endpoint_auth_method: str = "client_secret_basic"
    grant_types: list[str] = field(default_factory=lambda: ["authorization_code"])
    response_types: list[str] = field(default_factory=lambda: ["code"])
    redirect_uris: list[str] = field(default_factory=list)
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    scope: str | None = None  # None: not given
    client_name: str = ""
    application_type: str = "web"
    require_pushed_authorization_requests: bool = False  # RFC 9126 6
    dpop_bound_access_tokens: bool = False  # RFC 9449 5.2
    rotate_refresh_tokens: bool | None = None  # oauthcore's member; None: the profile's default
    # oauthcore's members (docs/token-exchange.md), staff-registered clients only; None: not given
    token_exchange_audiences: list[str] | None = None
    token_exchange_scopes: list[str] | None = None
    backchannel_logout_uri: str = ""  # OIDC Back-Channel Logout 2.2
    backchannel_logout_session_required: bool = False
    kept: dict[str, Any] = field(default_factory=dict)  # jwks, jwks_uri, client_uri, contacts...

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == "none"


def _string(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidClientMetadata(f"{name} must be a string.")
    if len(value) > MAX_STRING_LENGTH or not value.isprintable():
        raise InvalidClientMetadata(f"{name} is too long or holds control characters.")
    return value


def _strings(name: str, value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_LIST_LENGTH:
        raise InvalidClientMetadata(
            f"{name} must be an array of at most {MAX_LIST_LENGTH} strings."
        )
    return list(dict.fromkeys(_string(name, item) for item in value))


def _web_url(name: str, value: Any) -> str:
    url = _string(name, value)
    try:
        parts = urlsplit(url)
    except ValueError as e:
        raise InvalidClientMetadata(f"{name} must be an http or https URL.") from e
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.username is not None:
        raise InvalidClientMetadata(f"{name} must be an http or https URL.")
    return url


def check_jwks(value: Any) -> dict[str, Any]:
    keys = value.get("keys") if isinstance(value, dict) else None
    if not isinstance(keys, list) or not keys or len(keys) > MAX_JWKS_KEYS:
        raise InvalidClientMetadata(f'jwks must be a JWK Set: {{"keys": [1 to {MAX_JWKS_KEYS}]}}.')
    if not all(isinstance(key, dict) and isinstance(key.get("kty"), str) for key in keys):
        raise InvalidClientMetadata("Each key of jwks must be a JWK object with a kty.")
    return value


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    children = (
        value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    )
    return max((_depth(child, level + 1) for child in children), default=level)


def _kept(document: dict[str, Any]) -> dict[str, Any]:
    """Return the members kept only to be returned, each checked for its type."""
    kept: dict[str, Any] = {}
    for name in KEPT_URLS:
        if name in document:
            kept[name] = _web_url(name, document[name])
    for name in KEPT_STRINGS:
        if name in document:
            kept[name] = _string(name, document[name])
    if "contacts" in document:
        kept["contacts"] = _strings("contacts", document["contacts"])
    if "jwks" in document and "jwks_uri" in document:
        raise InvalidClientMetadata("Give jwks or jwks_uri, not both (RFC 7591 2).")
    if "jwks" in document:
        kept["jwks"] = client_keys.check_jwks(check_jwks(document["jwks"]))
    if "jwks_uri" in document:
        kept["jwks_uri"] = client_keys.check_jwks_uri(_web_url("jwks_uri", document["jwks_uri"]))
    for name, value in document.items():  # human-readable members in other languages (2.2)
        if "#" in name and name.split("#", 1)[0] in ("client_name", *KEPT_URLS):
            kept[_string("a member name", name)] = _string(name, value)
    return kept


def parse(document: Any) -> Metadata:
    """Return the values of an RFC 7591 2 client metadata object, else ``InvalidClientMetadata``.

    A member given as JSON ``null`` counts as omitted (RFC 7592 2.2).
    """
    if not isinstance(document, dict):
        raise InvalidClientMetadata("The client metadata must be a JSON object.")
    if _depth(document) > MAX_DEPTH:
        raise InvalidClientMetadata("The client metadata is nested too deeply.")
    document = {name: value for name, value in document.items() if value is not None}
    values = Metadata(kept=_kept(document))
    if "token_endpoint_auth_method" in document:
        method = _string("token_endpoint_auth_method", document["token_endpoint_auth_method"])
        values.token_endpoint_auth_method = method
    if "grant_types" in document:
        values.grant_types = _strings("grant_types", document["grant_types"])
    code = "authorization_code" in values.grant_types
    if "response_types" in document:
        values.response_types = _strings("response_types", document["response_types"])
    elif not code:  # the default "code" only fits a client of the authorization_code grant
        values.response_types = []
    for name in ("redirect_uris", "post_logout_redirect_uris"):
        if name in document:
            setattr(values, name, _strings(name, document[name]))
    if "scope" in document:
        values.scope = _string("scope", document["scope"])
    if "client_name" in document:
        values.client_name = _string("client_name", document["client_name"]).strip()
    if "dpop_bound_access_tokens" in document:  # RFC 9449 5.2: a boolean, default false
        if not isinstance(document["dpop_bound_access_tokens"], bool):
            raise InvalidClientMetadata("dpop_bound_access_tokens must be true or false.")
        values.dpop_bound_access_tokens = document["dpop_bound_access_tokens"]
    if "application_type" in document:
        values.application_type = _string("application_type", document["application_type"])
        if values.application_type not in APPLICATION_TYPES:
            raise InvalidClientMetadata("application_type must be web or native.")
    if "require_pushed_authorization_requests" in document:
        values.require_pushed_authorization_requests = _pushed_required(document)
    if "rotate_refresh_tokens" in document:  # oauthcore's member (docs/fapi.md): a boolean
        if not isinstance(document["rotate_refresh_tokens"], bool):
            raise InvalidClientMetadata("rotate_refresh_tokens must be true or false.")
        values.rotate_refresh_tokens = document["rotate_refresh_tokens"]
    for name in ("token_exchange_audiences", "token_exchange_scopes"):  # RFC 8693 policy
        if name in document:
            setattr(values, name, _strings(name, document[name]))
    _backchannel(document, values)
    return values


def _backchannel(document: dict[str, Any], values: Metadata) -> None:
    """Read the Back-Channel Logout 2.2 members: a URI string and a boolean."""
    if "backchannel_logout_uri" in document:
        uri = _string("backchannel_logout_uri", document["backchannel_logout_uri"])
        values.backchannel_logout_uri = uri
    if "backchannel_logout_session_required" in document:
        required = document["backchannel_logout_session_required"]
        if not isinstance(required, bool):
            raise InvalidClientMetadata("backchannel_logout_session_required must be a boolean.")
        values.backchannel_logout_session_required = required


def _pushed_required(document: dict[str, Any]) -> bool:
    """Read ``require_pushed_authorization_requests``, a JSON boolean (RFC 9126 6)."""
    value = document["require_pushed_authorization_requests"]
    if not isinstance(value, bool):
        raise InvalidClientMetadata("require_pushed_authorization_requests must be a boolean.")
    return value


def check_stored(document: Any) -> str:
    """Check the RFC 7591 members of a client's stored ``metadata`` (the admin edits it).

    Return its ``application_type``, "" when it names none.
    """
    if not isinstance(document, dict):
        raise InvalidClientMetadata("The metadata must be a JSON object.")
    _kept({name: value for name, value in document.items() if value is not None})
    application_type = document.get("application_type") or ""
    if application_type and application_type not in APPLICATION_TYPES:
        raise InvalidClientMetadata("application_type must be web or native.")
    return application_type


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise InvalidClientMetadata("A member of the client metadata is repeated.")
    return dict(pairs)


def _no_constant(name: str) -> None:
    raise InvalidClientMetadata(f"{name} is not JSON.")


def loads(text: str | bytes) -> Any:
    """Return the JSON value of ``text``, refusing repeated members, NaN and deep nesting."""
    try:
        if isinstance(text, bytes):  # UTF-8 only (RFC 8259 8.1), no guessing of UTF-16 or 32
            text = text.decode("utf-8")
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except InvalidClientMetadata:
        raise
    except (ValueError, RecursionError) as e:  # UnicodeDecodeError is a ValueError
        raise InvalidClientMetadata("The client metadata is not a JSON object.") from e
