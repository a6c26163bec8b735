"""Request objects passed by value: the ``request`` parameter (RFC 9101, JAR).

The object is a JWT signed by one of the keys the client registered (``jwks`` or ``jwks_uri``,
``client_keys``) with an algorithm of ``REQUEST_OBJECT_SIGNING_ALGORITHMS``: never ``none``,
never HMAC, never unsigned, never encrypted (RFC 9101 6.1, 6.2; RFC 8725 3.1). Its ``aud`` must
name the issuer, ``exp`` is required, ``nbf`` and ``iat`` must not be in the future
(``CLOCK_SKEW``), its ``iss`` (if any) and ``client_id`` must be the request's client_id
(RFC 9101 4, 6.3). Then only the parameters inside the object count: those sent beside it,
``client_id`` aside, are ignored (RFC 9101 5). Every failure is ``invalid_request_object``.
"""

from __future__ import annotations

from typing import Any

from oauthcore import errors, profiles
from oauthcore.conf import oauth_settings
from oauthcore.models import Client
from oauthcore.server import client_keys
from oauthcore.server.authorization import params as parameters
from oauthcore.server.authorization.params import Params

PARAMETER = "request"
# JWT claims that describe the object itself, not the authorization request (RFC 9101 4).
JWT_CLAIMS = frozenset({"iss", "aud", "exp", "nbf", "iat", "jti", "sub"})
NESTED = frozenset({"request", "request_uri"})  # RFC 9101 4: not inside a request object
MAX_OBJECT_LENGTH = 16 * 1024
TYPES = frozenset({"jwt", "oauth-authz-req+jwt"})  # RFC 9101 10.8: never another JWT's typ


def algorithms() -> list[str]:
    """Return the algorithms a request object may be signed with (asymmetric only)."""
    allowed = oauth_settings.REQUEST_OBJECT_SIGNING_ALGORITHMS
    return profiles.active().narrow(alg for alg in allowed if alg in client_keys.KEY_TYPES)


def metadata() -> dict[str, Any]:
    """Return the RFC 9101 10.5 (and OpenID Discovery) members this module makes true."""
    return {
        "request_parameter_supported": True,
        "request_object_signing_alg_values_supported": algorithms(),
        "require_signed_request_object": False,
    }


def _values(name: str, value: Any) -> list[str]:
    """Return a claim as parameter values: a string, a number, or a list of strings."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, int) and not isinstance(value, bool):
        return [str(value)]  # max_age, as a JSON number
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)  # resource (RFC 8707) may be sent more than once
    raise errors.InvalidRequestObject(f"Its {name} claim must be a string.")


def _claims(token: str, client: Client) -> dict[str, Any]:
    if token.count(".") == 4:
        raise errors.InvalidRequestObject("Encrypted request objects are not supported.")
    if len(token) > MAX_OBJECT_LENGTH:
        raise errors.InvalidRequestObject("The request object is too large.")
    if not client_keys.has_keys(client):
        raise errors.InvalidRequestObject("The client registered no keys (jwks or jwks_uri).")
    try:
        return client_keys.decode(
            token,
            client,
            algorithms=algorithms(),
            types=TYPES,
            audience=oauth_settings.ISSUER,
            leeway=oauth_settings.CLOCK_SKEW.total_seconds(),
            options={"require": ["aud", "exp"]},
        )
    except client_keys.Refused as e:
        raise errors.InvalidRequestObject(f"The request object is refused: {e.reason}") from e


def expand(params: Params, client: Client) -> Params:
    """Return the parameters of the request object ``params`` carries (RFC 9101 5, 6.3), or
    ``params`` themselves when they carry none."""
    if PARAMETER not in params:
        return params
    token = parameters.one(params, PARAMETER)
    if token is None:
        raise errors.InvalidRequestObject("The request parameter is empty.")
    claims = _claims(token, client)
    if "iss" in claims and claims["iss"] != client.client_id:
        raise errors.InvalidRequestObject("Its iss must be the client_id.")
    if claims.get("client_id") != client.client_id:
        raise errors.InvalidRequestObject("Its client_id must be the request's client_id.")
    if nested := sorted(NESTED & claims.keys()):
        raise errors.InvalidRequestObject(f"A request object cannot hold {', '.join(nested)}.")
    return {name: _values(name, value) for name, value in claims.items() if name not in JWT_CLAIMS}
