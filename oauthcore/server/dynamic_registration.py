"""Dynamic client registration (RFC 7591 3) and its management (RFC 7592 2).

``REGISTRATION`` says who may register: nobody (``off``), anyone (``open``), or whoever holds an
initial access token made by ``createregistrationtoken`` (``token``). A registered client gets a
registration access token, stored hashed, that reads, replaces and deletes it. Registered
clients are ``Client.Origin.DYNAMIC``: never pre-trusted, refused the client_credentials grant,
counted per address, and deleted by ``cleartokens`` if they never obtain a token.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import F
from django.urls import reverse

from oauthcore import crypto, errors
from oauthcore.conf import oauth_settings
from oauthcore.models import Client, InitialAccessToken
from oauthcore.server import client_metadata, ratelimit, registration

POLICIES = ("off", "open", "token")
NO_TOKEN_HASH = crypto.hash_token("oauthcore: no registration access token")


def is_enabled() -> bool:
    return oauth_settings.REGISTRATION in ("open", "token")


def bearer_token(request) -> str | None:
    """Return the token of an ``Authorization: Bearer`` header (RFC 6750 2.1), or None."""
    scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token and token.isprintable() else None


def refused(description: str) -> errors.InvalidToken:
    """Return the 401 of a missing or bad bearer token, with its challenge (RFC 6750 3)."""
    challenge = f'Bearer realm="{oauth_settings.realm}", error="invalid_token"'
    return errors.InvalidToken(description, headers={"WWW-Authenticate": challenge})


def spend_rate(request, *, now: float | None = None) -> None:
    """Count a registration for its address (an IPv6 /64); past the window's budget, 429."""
    ratelimit.spend(
        "registration",
        ratelimit.address_group(request),
        oauth_settings.REGISTRATION_RATE_LIMIT,
        window=oauth_settings.REGISTRATION_RATE_WINDOW,
        now=now,
        description="Too many registrations from this address",
    )


def initial_token(request) -> InitialAccessToken | None:
    """Return the usable initial access token the request needs under ``token``, else raise."""
    if oauth_settings.REGISTRATION != "token":
        return None
    raw = bearer_token(request)
    found = InitialAccessToken.objects.usable().by_value(raw).first() if raw else None
    if found is None:
        raise refused("An initial access token is required to register.")
    return found


def _spend(token: InitialAccessToken | None) -> None:
    """Use up one use of ``token`` with a conditional UPDATE: no race spends a use twice."""
    if token is None or token.remaining_uses is None:
        return
    spent = (
        InitialAccessToken.objects.usable()
        .filter(pk=token.pk, remaining_uses__gt=0)
        .update(remaining_uses=F("remaining_uses") - 1)
    )
    if not spent:
        raise refused("The initial access token is used up.")


def read_metadata(body: bytes) -> client_metadata.Metadata:
    """Return the values of a registration request's JSON body (RFC 7591 3.1)."""
    return client_metadata.parse(client_metadata.loads(body))


def register(
    values: client_metadata.Metadata, *, token: InitialAccessToken | None = None
) -> dict[str, Any]:
    """Register a client (RFC 7591 3.1); return its information response (3.2.1)."""
    raw = crypto.new_token()
    with transaction.atomic():
        _spend(token)
        client, secret = registration.create_client(
            **registration.from_metadata(values), origin=Client.Origin.DYNAMIC
        )
        client.registration_access_token_hash = crypto.hash_token(raw)
        client.save(update_fields=["registration_access_token_hash"])
    return information(client, registration_token=raw, secret=secret)


def managed_client(client_id: str, raw: str | None) -> Client:
    """Return the dynamically registered client ``raw`` manages (RFC 7592 2), else 401.

    An unknown client and a wrong token look the same; the comparison is constant time.
    """
    client = Client.objects.filter(client_id=client_id, origin=Client.Origin.DYNAMIC).first()
    stored = client.registration_access_token_hash if client else ""
    valid = crypto.matches(raw or "", stored or NO_TOKEN_HASH)  # the same work either way
    if client is None or not stored or not raw or not valid:
        raise refused("The registration access token is not valid for this client.")
    return client


def update(client: Client, document: Any, *, registration_token: str) -> dict[str, Any]:
    """Replace a client's metadata with ``document`` (RFC 7592 2.2); return its information."""
    if not isinstance(document, dict):
        raise errors.InvalidClientMetadata("The client metadata must be a JSON object.")
    if document.get("client_id") != client.client_id:
        raise errors.InvalidRequest("client_id must be given and be this client's.")
    if named := sorted(client_metadata.REGISTRATION_MEMBERS & document.keys()):
        raise errors.InvalidRequest(f"Do not send {', '.join(named)} in an update.")
    presented = document.get("client_secret")
    if presented is not None and not (
        isinstance(presented, str) and client.check_secret(presented)
    ):
        raise errors.InvalidRequest("client_secret is not this client's secret.")
    values = client_metadata.parse(document)
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        secret = registration.replace(client, **registration.from_metadata(values))
        client.save()
    return information(client, registration_token=registration_token, secret=secret)


def delete(client: Client) -> None:
    """Delete a client and refuse everything it holds (RFC 7592 2.3; ``revocation``)."""
    client.delete()


def configuration_uri(client: Client) -> str:
    """Return the client configuration endpoint of ``client`` (RFC 7592 3), on the issuer."""
    parts = urlsplit(oauth_settings.ISSUER)
    path = reverse("oauthcore:register-client", args=[client.client_id])
    return f"{parts.scheme}://{parts.netloc}{path}"


def information(
    client: Client, *, registration_token: str, secret: str | None = None
) -> dict[str, Any]:
    """Return the client information response (RFC 7591 3.2.1, RFC 7592 3).

    The secret is returned only when it was just issued: only its hash is stored.
    """
    metadata = dict(client.metadata or {})
    body: dict[str, Any] = {
        "client_id": client.client_id,
        "client_id_issued_at": int(client.created_at.timestamp()),
        **metadata,
        "client_name": client.name,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "grant_types": client.grant_types,
        "response_types": ["code"] if client.allows_grant("authorization_code") else [],
        "redirect_uris": client.redirect_uris,
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "scope": " ".join(client.allowed_scopes),
        "application_type": metadata.get("application_type", "web"),
        "registration_access_token": registration_token,
        "registration_client_uri": configuration_uri(client),
    }
    if client.require_pushed_authorization_requests:  # RFC 9126 6
        body["require_pushed_authorization_requests"] = True
    if client.dpop_bound_access_tokens:  # RFC 9449 5.2
        body["dpop_bound_access_tokens"] = True
    if not client.rotate_refresh_tokens:  # oauthcore's member (docs/fapi.md)
        body["rotate_refresh_tokens"] = False
    if client.backchannel_logout_uri:  # OIDC Back-Channel Logout 2.2
        body["backchannel_logout_uri"] = client.backchannel_logout_uri
        body["backchannel_logout_session_required"] = client.backchannel_logout_session_required
    if not client.is_public:
        body["client_secret_expires_at"] = 0  # never expires (RFC 7591 3.2.1)
    if secret is not None:
        body["client_secret"] = secret
    return body
