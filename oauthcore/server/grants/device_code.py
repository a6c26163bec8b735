"""The device code grant (RFC 8628 3.4, 3.5): the device polls until the user decides.

Each poll answers ``authorization_pending``, ``slow_down`` (polling faster than the interval: the
stored interval grows by 5 seconds), ``access_denied`` or ``expired_token``; once approved, the
device code is redeemed exactly once (a conditional UPDATE) for tokens of the approving user.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from oauthcore import errors, signals
from oauthcore.jose import dpop
from oauthcore.models import Client, DeviceAuthorization
from oauthcore.server import device, issuance, resources
from oauthcore.server.grants import binding, registry, shared

Status = DeviceAuthorization.Status


def _find(client: Client, params: shared.Params) -> DeviceAuthorization:
    """Return the authorization of the request's device code if it was issued to ``client``."""
    raw = shared.required(params, "device_code")
    authorization = device.by_device_code(raw)
    if authorization is None or authorization.client_id != client.pk:
        raise errors.InvalidGrant("The device code is invalid.")
    if authorization.redeemed_at is not None:
        raise errors.InvalidGrant("The device code was already used.")
    return authorization


def _check_pace(authorization: DeviceAuthorization, now: datetime) -> None:
    """Record this poll; raise ``slow_down`` if it came sooner than the interval (RFC 8628 3.5)."""
    rows = DeviceAuthorization.objects.filter(pk=authorization.pk)
    last = authorization.last_polled_at
    if last is not None and now - last < timedelta(seconds=authorization.interval):
        rows.update(last_polled_at=now, interval=F("interval") + device.SLOW_DOWN_SECONDS)
        raise errors.SlowDown(
            f"Poll at most every {authorization.interval + device.SLOW_DOWN_SECONDS} seconds."
        )
    rows.update(last_polled_at=now)


def _redeem(
    client: Client,
    authorization: DeviceAuthorization,
    now: datetime,
    proof: dpop.Proof | None,
) -> dict[str, Any]:
    """Claim the approved authorization and store its tokens in one transaction."""
    user, scope = authorization.user, authorization.scope.split()
    grant = {"client": client, "user": user, "auth_time": authorization.decided_at}
    aud = resources.audience(client, authorization.resources)
    access = issuance.issue(**grant, scope=scope, now=now, audience=aud, jkt=binding.jkt(proof))
    family_id = uuid.uuid4()
    with transaction.atomic():
        claimed = DeviceAuthorization.objects.filter(
            pk=authorization.pk, status=Status.APPROVED, redeemed_at__isnull=True
        ).update(redeemed_at=now)
        if not claimed:
            raise errors.InvalidGrant("The device code was already used.")
        refresh = None
        if client.allows_grant(Client.GrantType.REFRESH_TOKEN):
            expires_at = now + shared.refresh_lifetime(client)
            fields = {**grant, "scope": authorization.scope, "expires_at": expires_at}
            fields["resources"] = authorization.resources
            fields["dpop_jkt"] = binding.refresh_token_jkt(client, proof)
            refresh = shared.add_to_family(family_id, access=access, now=now, **fields)
    issued = {"client": client, "user": user, "scopes": scope, "jti": access.jti}
    issued["family_id"] = family_id if refresh else None
    signals.token_issued.send(Client, **issued, grant_type=Client.GrantType.DEVICE_CODE)
    return shared.with_id_token(shared.token_response(access, refresh), grant, now=now)


def poll(
    client: Client,
    params: shared.Params,
    *,
    now: datetime | None = None,
    proof: dpop.Proof | None = None,
) -> dict[str, Any]:
    """Answer a device's poll (RFC 8628 3.4, 3.5): an error until approved, then tokens once."""
    now = now or timezone.now()
    authorization = _find(client, params)
    if authorization.expires_at <= now:
        raise errors.ExpiredToken("The device code has expired; start again.")
    if authorization.status == Status.DENIED:
        raise errors.DeviceAccessDenied("The user denied the authorization.")
    if authorization.status == Status.PENDING:
        _check_pace(authorization, now)
        raise errors.AuthorizationPending("The user has not decided yet.")
    shared.check_user(client, authorization.user)
    return _redeem(client, authorization, now, proof)


registry.register(Client.GrantType.DEVICE_CODE, poll)
