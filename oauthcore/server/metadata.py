"""What the server publishes about itself: RFC 8414 metadata and OpenID Connect Discovery 1.0."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.urls import NoReverseMatch, reverse

from oauthcore import profiles
from oauthcore.conf import oauth_settings
from oauthcore.jose import dpop, keyring
from oauthcore.server import client_auth, grants
from oauthcore.server.authorization import request_objects

ENDPOINTS = {
    "authorization_endpoint": "oauthcore:authorize",
    "token_endpoint": "oauthcore:token",
    "pushed_authorization_request_endpoint": "oauthcore:par",  # RFC 9126 5
    "revocation_endpoint": "oauthcore:revoke",
    "introspection_endpoint": "oauthcore:introspect",
    "jwks_uri": "oauthcore:jwks",
    "userinfo_endpoint": "oauthcore:userinfo",
    "end_session_endpoint": "oauthcore:end-session",
    "device_authorization_endpoint": "oauthcore:device-authorization",  # RFC 8628 4
}
# OIDC Core 2, 5.1: the ID token's claims and the standard claims the default adapter releases.
CLAIMS_SUPPORTED = [
    *("iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "sid"),
    *("name", "given_name", "family_name", "preferred_username", "email", "email_verified"),
]


def signing_algorithms() -> list[str]:
    """Return the algorithms of the keys that sign or may verify tokens, the signing one first."""
    ring = keyring.ring()
    found = [key.algorithm for key in ring.by_kid.values()]
    if ring.signing:
        found.insert(0, ring.signing.algorithm)
    return profiles.active().narrow(dict.fromkeys(found))


def openid_metadata() -> dict:
    """Return what OpenID Connect Discovery 1.0 (3) adds to RFC 8414 metadata."""
    return {
        "claims_supported": CLAIMS_SUPPORTED,
        "claim_types_supported": ["normal"],
        "prompt_values_supported": ["none", "login", "consent"],
        "claims_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "require_request_uri_registration": False,
        "backchannel_logout_supported": True,  # OIDC Back-Channel Logout 2.1
        "backchannel_logout_session_supported": True,
    }


def endpoint_urls() -> dict[str, str]:
    """Return the absolute URL of every routed endpoint, on the issuer's origin."""
    parts = urlsplit(oauth_settings.ISSUER)
    origin = f"{parts.scheme}://{parts.netloc}"
    urls = {}
    for name, route in ENDPOINTS.items():
        try:
            urls[name] = origin + reverse(route)
        except NoReverseMatch:
            continue  # not routed in this project, so not advertised
    return urls


def registration_endpoint() -> dict[str, str]:
    """Return the registration endpoint (RFC 7591 3) while ``REGISTRATION`` lets clients register."""
    if oauth_settings.REGISTRATION not in ("open", "token"):
        return {}
    parts = urlsplit(oauth_settings.ISSUER)
    try:
        return {
            "registration_endpoint": f"{parts.scheme}://{parts.netloc}{reverse('oauthcore:register')}"
        }
    except NoReverseMatch:
        return {}


def document() -> dict:
    """Return the authorization server metadata (RFC 8414 2) of what this server really does."""
    urls = endpoint_urls()
    document = {
        "issuer": oauth_settings.ISSUER,
        **urls,
        **registration_endpoint(),
        "scopes_supported": list(oauth_settings.SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": grants.supported(),
        "token_endpoint_auth_methods_supported": client_auth.supported(),
        "token_endpoint_auth_signing_alg_values_supported": client_auth.signing_algorithms(),
        **request_objects.metadata(),
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": signing_algorithms(),
        **openid_metadata(),
    }
    if dpop.algorithms():  # RFC 9449 5.1
        document["dpop_signing_alg_values_supported"] = dpop.algorithms()
    if oauth_settings.CLIENT_ID_METADATA_DOCUMENTS:  # draft-ietf-oauth-client-id-metadata-document
        document["client_id_metadata_document_supported"] = True
    if "pushed_authorization_request_endpoint" in urls:  # RFC 9126 5: server-wide only
        document["require_pushed_authorization_requests"] = bool(
            oauth_settings.REQUIRE_PUSHED_AUTHORIZATION_REQUESTS
            or profiles.active().pushed_authorization_requests
        )
    if "revocation_endpoint" in urls:  # public clients revoke their own tokens (RFC 7009 2.1)
        document["revocation_endpoint_auth_methods_supported"] = client_auth.supported()
        document["revocation_endpoint_auth_signing_alg_values_supported"] = (
            client_auth.signing_algorithms()
        )
    if "introspection_endpoint" in urls:  # callers must hold credentials (RFC 7662 2.1)
        document["introspection_endpoint_auth_methods_supported"] = client_auth.supported(
            authenticating=True
        )
        document["introspection_endpoint_auth_signing_alg_values_supported"] = (
            client_auth.signing_algorithms()
        )
    return document
