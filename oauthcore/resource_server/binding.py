"""DPoP on the resource server (RFC 9449 7): a bound token needs the DPoP scheme and a proof.

``check()`` runs after the access token is validated: a token with ``cnf.jkt`` sent as Bearer
is refused (7.2); one sent as DPoP needs a ``DPoP`` proof of this request, with ``ath`` the
token's hash, signed by the key the token is bound to (4.3, 7.1). No database query: the cost
is the proof's signature and one ``cache.add`` for its ``jti``.

The proof's ``htu`` must be this request's URL as Django sees it,
``request.build_absolute_uri(request.path)``: behind a proxy, set ``USE_X_FORWARDED_HOST`` and
``SECURE_PROXY_SSL_HEADER`` so that it is the URL the client called.
"""

from __future__ import annotations

import hmac
from http import HTTPStatus
from typing import Any

from oauthcore import errors
from oauthcore.jose import dpop
from oauthcore.resource_server import access_tokens

BEARER, DPOP = "Bearer", "DPoP"


def bound_key(token: access_tokens.AccessToken) -> str | None:
    """Return the thumbprint the token is bound to (``cnf.jkt``, RFC 9449 6.1), or None."""
    cnf = token.claims.get("cnf")
    if cnf is None:
        return None
    jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
    if not isinstance(jkt, str) or not jkt:
        raise errors.InvalidToken("The access token's cnf is not a DPoP key binding.")
    return jkt


def request_url(request) -> str:
    """Return the URL a proof's ``htu`` must name: this request's, without its query."""
    return request.build_absolute_uri(request.path)


def on_dpop_scheme(error: errors.OAuthError) -> errors.OAuthError:
    """Mark an error to be answered in the DPoP challenge, a proof error with 401 (RFC 9449 7.1)."""
    error.scheme = DPOP
    if isinstance(error, errors.InvalidDPoPProof | errors.UseDPoPNonce):
        error.status = HTTPStatus.UNAUTHORIZED
    return error


def _check_proof(request, raw: str, jkt: str | None) -> None:
    proof = dpop.header_value(request.META)
    if proof is None:
        raise errors.InvalidDPoPProof("A DPoP proof is required with the DPoP scheme.")
    if jkt is None:
        raise errors.InvalidToken("The access token is not bound to a DPoP key.")
    checked = dpop.check(
        proof, method=request.method, urls=[request_url(request)], access_token=raw
    )
    if not hmac.compare_digest(checked.jkt, jkt):
        raise errors.InvalidDPoPProof("The DPoP proof's key is not the access token's key.")


def check(request, scheme: str, raw: str, token: access_tokens.AccessToken) -> None:
    """Check that ``token`` was presented as its binding requires (RFC 9449 7.1, 7.2)."""
    if scheme == BEARER:
        if bound_key(token) is not None:
            raise errors.InvalidToken(
                "The access token is bound to a DPoP key: send it with the DPoP scheme and a proof."
            )
        return
    _check_proof(request, raw, bound_key(token))


def scheme_of(error: Any) -> str:
    """Return the scheme whose challenge carries ``error``: DPoP if marked so, else Bearer."""
    return getattr(error, "scheme", BEARER)
