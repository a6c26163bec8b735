"""DOT applications become oauthcore clients, client_id and secret kept.

A secret DOT hashed with Django's password hashers is stored as ``django$<hash>`` and verified
with them until its first successful use stores it as ``sha256$`` (``crypto``,
``Client.check_secret``); a plaintext one (``hash_client_secret=False``) is hashed now.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth import hashers

from oauthcore import crypto, errors, scopes, signals
from oauthcore.models import Client
from oauthcore.ops.dot_import.report import Report
from oauthcore.server import registration

Grant = Client.GrantType
# DOT's one grant type per application -> the client's grant types (refresh tokens came with
# the code and device grants in DOT, so they keep working here).
GRANT_TYPES = {
    "authorization-code": [Grant.AUTHORIZATION_CODE, Grant.REFRESH_TOKEN],
    "openid-hybrid": [Grant.AUTHORIZATION_CODE, Grant.REFRESH_TOKEN],
    "client-credentials": [Grant.CLIENT_CREDENTIALS],
    "urn:ietf:params:oauth:grant-type:device_code": [Grant.DEVICE_CODE, Grant.REFRESH_TOKEN],
}
UNSUPPORTED_GRANTS = {
    "implicit": "the implicit grant is gone from OAuth 2.1: move the app to authorization_code "
    "with PKCE",
    "password": "the password grant is gone from OAuth 2.1: move the app to authorization_code",
}
ORIGINS = {"manual": Client.Origin.STAFF, "dcr": Client.Origin.DYNAMIC}


def import_applications(report: Report) -> dict[str, Client]:
    """Import every DOT application not yet a client; return every client by client_id."""
    from oauth2_provider.models import get_application_model
    from oauth2_provider.scopes import get_scopes_backend

    dot_scopes = list(get_scopes_backend().get_all_scopes())
    if missing := scopes.unknown(dot_scopes):
        report.note(
            f"DOT scopes not in OAUTHCORE['SCOPES'] (add them to keep them): {' '.join(missing)}."
        )
    allowed = [name for name in dot_scopes if name in scopes.registered()]
    applications = get_application_model().objects.select_related("user").order_by("pk")
    found: dict[str, Client] = {}
    for chunk in report.rows("applications", applications):
        existing = {c.client_id: c for c in Client.objects.filter(client_id__in=_ids(chunk))}
        for application in chunk:
            client = existing.get(application.client_id)
            if client is not None:
                report.count("applications", "already clients")
            else:
                client = _import(application, allowed, report)
            if client is not None:
                found[client.client_id] = client
    return found


def _ids(applications) -> list[str]:
    return [application.client_id for application in applications]


def _import(application, allowed: list[str], report: Report) -> Client | None:
    """Store ``application`` as a client, or note why it cannot be one."""
    label = f"application {application.client_id!r}"
    reason = _unmappable(application)
    if reason:
        report.count("applications", "skipped")
        report.note(f"{label} not imported: {reason}.")
        return None
    client = Client(
        client_id=application.client_id,
        origin=ORIGINS[application.registration_source],
        skip_consent=application.skip_authorization,
        secret_hash=_stored_secret(application),
        metadata={"dot_application": _kept(application)},
    )
    try:
        registration.validate_client_id(client.client_id)
        registration.replace(
            client,
            name=(application.name or application.client_id)[:200],
            public=application.client_type == "public",
            grant_types=GRANT_TYPES[application.authorization_grant_type],
            redirect_uris=application.redirect_uris.split(),
            post_logout_redirect_uris=application.post_logout_redirect_uris.split(),
            scope=" ".join(allowed),
        )
    except errors.OAuthError as e:
        report.count("applications", "skipped")
        report.note(f"{label} not imported: {e.description}")
        return None
    client.save()
    signals.client_created.send(Client, client=client, by=None)
    report.count("applications", "imported")
    _note_differences(application, client, label, report)
    return client


def _unmappable(application) -> str:
    """Say why ``application`` cannot become a client, or ""."""
    grant = application.authorization_grant_type
    if grant in UNSUPPORTED_GRANTS:
        return UNSUPPORTED_GRANTS[grant]
    if grant not in GRANT_TYPES:
        return f"unknown grant type {grant!r}"
    if application.registration_source not in ORIGINS:
        return "a Client ID Metadata Document client: turn CLIENT_ID_METADATA_DOCUMENTS on instead"
    if application.client_type != "public" and not application.client_secret:
        return "a confidential application without a secret"
    if application.client_type != "public" and not _fits(application.client_secret):
        return "its hashed secret is longer than oauthcore's hash column"
    return ""


def _is_django_hash(secret: str) -> bool:
    try:
        hashers.identify_hasher(secret)
    except ValueError:
        return False
    return True


def _fits(secret: str) -> bool:
    if not _is_django_hash(secret):
        return True  # plaintext: hashed now
    try:
        crypto.foreign_hash(crypto.DJANGO.algorithm, secret)
    except ValueError:
        return False
    return True


def _stored_secret(application) -> str:
    """Return the client's stored secret: DOT's hash as is, or a plaintext one hashed now."""
    secret = application.client_secret
    if application.client_type == "public" or not secret:
        return ""
    if _is_django_hash(secret):
        return crypto.foreign_hash(crypto.DJANGO.algorithm, secret)
    return crypto.hash_token(secret)


def _kept(application) -> dict[str, Any]:
    """What of the application has no column here, kept in the client's metadata."""
    return {
        "id": application.pk,
        "owner": application.user_id,
        "owner_username": application.user.get_username() if application.user else None,
        "allowed_origins": application.allowed_origins.split(),
        "algorithm": application.algorithm,
        "grant_type": application.authorization_grant_type,
        "registration_source": application.registration_source,
    }


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _note_differences(application, client: Client, label: str, report: Report) -> None:
    """Note what the client does differently from the application."""
    if len(application.name) > 200:
        report.note(f"{label}: name shortened to 200 characters.")
    if application.authorization_grant_type == "openid-hybrid":
        report.note(f"{label}: hybrid response types are not supported; the code flow is.")
    if application.algorithm:
        report.note(
            f"{label}: ID tokens were {application.algorithm}; they are now signed with "
            "oauthcore's keys (SIGNING_ALGORITHM), published in its JWKS."
        )
    redirect_origins = {_origin(uri) for uri in client.redirect_uris}
    if extra := [
        o for o in application.allowed_origins.split() if o.lower() not in redirect_origins
    ]:
        report.note(
            f"{label}: allowed origins kept in the client's metadata only (CORS follows the "
            f"origins of its redirect URIs): {' '.join(extra)}."
        )
    if application.skip_authorization and not client.skip_consent:
        report.note(f"{label}: skip-authorization dropped (a self-registered client).")
    if client.origin == Client.Origin.DYNAMIC:
        report.note(f"{label}: its DCR registration access token is not carried over.")
