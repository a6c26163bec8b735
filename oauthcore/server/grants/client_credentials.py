"""The client credentials grant (RFC 6749 4.4): a token for the client itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from oauthcore import errors, scopes, signals
from oauthcore.jose import dpop
from oauthcore.models import Client
from oauthcore.server import issuance, resources
from oauthcore.server.grants import binding, registry, shared


def issue(
    client: Client,
    params: shared.Params,
    *,
    now: datetime | None = None,
    proof: dpop.Proof | None = None,
) -> dict[str, Any]:
    """Issue an access token for the client itself (RFC 6749 4.4); confidential clients only.

    With a DPoP proof, the token is bound to its key (RFC 9449 5).
    """
    if client.is_public:
        raise errors.UnauthorizedClient("A public client cannot use client_credentials.")
    scope = scopes.for_client(scopes.parse(params.get("scope")), client)
    targets = resources.requested(client, params.get(resources.PARAMETER))
    aud = resources.audience(client, targets)
    access = issuance.issue(
        client=client, scope=scope, now=now, audience=aud, jkt=binding.jkt(proof)
    )
    issued = {"client": client, "user": None, "scopes": scope, "jti": access.jti, "family_id": None}
    signals.token_issued.send(Client, **issued, grant_type=Client.GrantType.CLIENT_CREDENTIALS)
    return shared.token_response(access)


registry.register(Client.GrantType.CLIENT_CREDENTIALS, issue)
