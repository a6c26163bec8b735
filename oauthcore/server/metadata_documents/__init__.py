"""OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, as MCP uses it).

With ``CLIENT_ID_METADATA_DOCUMENTS`` on, a client_id that is an https URL (``identifiers``) is
a client that describes itself: /authorize fetches the document through ``oauthcore.fetch``,
checks it (``documents``) and stores it as a ``Client`` row (public, or private_key_jwt) of origin
``METADATA_DOCUMENT`` (one row per URL: two processes fetching at once store one). The row is used
until ``metadata_expires_at`` (``caching``); then /authorize and the token endpoint fetch the
document again. A failed fetch is never cached and never kept: the client is refused until a
fetch succeeds (draft 4.2, 4.3), its row, consents and tokens untouched. The token endpoint
renews a stored client and never creates one.

A row registered by staff with an https client_id is a pre-registered client (draft 6.2): it is
never fetched. A document client deactivated by staff stays refused.
"""

from __future__ import annotations

import logging
from dataclasses import asdict

from django.db import IntegrityError, transaction
from django.utils import timezone

from oauthcore import errors, fetch, signals
from oauthcore.models import Client
from oauthcore.server import client_auth, ratelimit
from oauthcore.server.metadata_documents import caching, documents, identifiers
from oauthcore.server.metadata_documents.identifiers import applies, enabled

__all__ = ["applies", "connect", "enabled", "find", "renew"]

logger = logging.getLogger(__name__)
ACCEPT = "application/json"


def _refusal(client_id: str, reason: str) -> errors.InvalidClient:
    logger.info("Client metadata document %s refused: %s", client_id, reason)
    return errors.InvalidClient(
        f"The client metadata document at {client_id} cannot be used: {reason}"
    )


def _load(client_id: str, request=None) -> tuple[dict, documents.Settings, fetch.Response]:
    """Fetch and check the document at ``client_id``, or raise ``InvalidClient`` saying why.

    A fetch caused by ``request`` counts against its address first (``TooManyAttempts``).
    """
    if reason := identifiers.host_refusal(client_id):
        raise _refusal(client_id, reason)
    if request is not None:
        ratelimit.spend_document_fetch(request)
    try:
        response = fetch.get(client_id, accept=ACCEPT)
        document, settings = documents.parse(client_id, response.body)
    except fetch.FetchError as e:
        raise _refusal(client_id, e.reason) from e
    except documents.InvalidDocument as e:
        raise _refusal(client_id, str(e)) from e
    return document, settings, response


def _apply(client: Client, document: dict, settings: documents.Settings, response) -> None:
    now = timezone.now()
    for name, value in asdict(settings).items():
        setattr(client, name, value)
    client.metadata = document
    client.metadata_expires_at = caching.expires_at(response.headers, now)


def _create(client_id: str, request=None) -> Client:
    """Fetch a new client's document and store it; one row even when two processes race."""
    document, settings, response = _load(client_id, request)
    client = Client(client_id=client_id, origin=Client.Origin.METADATA_DOCUMENT)
    _apply(client, document, settings, response)
    try:
        with transaction.atomic():
            client.save(force_insert=True)
    except IntegrityError:  # another process stored it meanwhile: use theirs
        stored = Client.objects.active().lookup(client_id)
        if stored is None or stored.origin != Client.Origin.METADATA_DOCUMENT:
            raise errors.InvalidClient("Unknown or inactive client.") from None
        return stored
    signals.client_created.send(Client, client=client, by=None)
    return client


def renew(client: Client, *, request=None) -> Client:
    """Return ``client``, its metadata document fetched again first if it has expired.

    Only document clients are touched; the host policy is checked on every use, so a host
    denied later is refused at once. Raise ``InvalidClient`` when it cannot be used.
    """
    if client.origin != Client.Origin.METADATA_DOCUMENT:
        return client
    if not applies(client.client_id):  # turned off, or loopback http no longer allowed
        raise errors.InvalidClient("Client ID metadata documents are not accepted here.")
    if reason := identifiers.host_refusal(client.client_id):
        raise _refusal(client.client_id, reason)
    expires = client.metadata_expires_at
    if expires is not None and timezone.now() < expires:
        return client
    document, settings, response = _load(client.client_id, request)
    fresh = Client.objects.active().filter(pk=client.pk).first()  # not a stale remembered copy
    if fresh is None:
        raise errors.InvalidClient("Unknown or inactive client.")
    _apply(fresh, document, settings, response)
    fields = [*documents.Settings.__dataclass_fields__, "metadata", "metadata_expires_at"]
    fresh.save(update_fields=[*fields, "updated_at"])
    return fresh


def find(client_id: str, *, request=None) -> Client:
    """Return the client of a Client Identifier URL at /authorize: stored, renewed or new."""
    stored = client_auth.find(client_id)
    if stored is not None:
        return renew(stored, request=request)
    if Client.objects.filter(client_id=client_id).exists():  # deactivated: never fetched again
        raise errors.InvalidClient("Unknown or inactive client.")
    return _create(client_id, request)


def connect() -> None:
    """Renew expired document clients wherever clients authenticate (token, revoke, ...)."""
    client_auth.add_renewer(renew)
