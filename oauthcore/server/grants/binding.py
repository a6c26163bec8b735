"""DPoP at the token and PAR endpoints (RFC 9449 5, 8, 10): read the proof, check a grant's
key binding.

The proof's ``htu`` may name the endpoint as published in the metadata (the issuer's origin),
or as this request reached Django: ``request.build_absolute_uri()``, which follows the
project's ``USE_X_FORWARDED_HOST`` and ``SECURE_PROXY_SSL_HEADER`` behind a proxy.
"""

from __future__ import annotations

import contextlib
import hmac
from urllib.parse import urlsplit

from django.urls import NoReverseMatch, reverse

from oauthcore import errors
from oauthcore.conf import oauth_settings
from oauthcore.jose import dpop
from oauthcore.models import Client


def endpoint_urls(request, endpoint: str = "token") -> list[str]:
    """Return the URLs a proof's ``htu`` may name for this request to ``endpoint`` (a URL name)."""
    urls = [request.build_absolute_uri(request.path)]
    parts = urlsplit(oauth_settings.ISSUER)
    with contextlib.suppress(NoReverseMatch):
        urls.append(f"{parts.scheme}://{parts.netloc}{reverse(f'oauthcore:{endpoint}')}")
    return urls


def read_proof(request, endpoint: str = "token") -> dpop.Proof | None:
    """Return the checked DPoP proof of a request to the token (or PAR) endpoint, None without
    one (RFC 9449 4.3, 5, 10.1)."""
    raw = dpop.header_value(request.META)
    if raw is None:
        return None
    return dpop.check(
        raw,
        method=request.method,
        urls=endpoint_urls(request, endpoint),
        nonce_required=oauth_settings.DPOP_NONCES,
    )


def bind_pushed_request(params: dict[str, list[str]], proof: dpop.Proof | None) -> None:
    """Bind a pushed request's code to the key of the proof sent to the PAR endpoint (RFC 9449
    10.1): its thumbprint becomes ``dpop_jkt``; a ``dpop_jkt`` sent too must name that key."""
    if proof is None:
        return
    sent = params.get("dpop_jkt")
    if sent is not None and sent != [proof.jkt]:
        raise errors.InvalidDPoPProof("dpop_jkt does not match the key of the DPoP proof.")
    params["dpop_jkt"] = [proof.jkt]


def with_nonce(response):
    """Give the client a fresh nonce for its next proof when nonces are on (RFC 9449 8.2)."""
    if oauth_settings.DPOP_NONCES:
        response[dpop.NONCE_HEADER] = dpop.new_nonce()
    return response


def require_key(jkt: str, proof: dpop.Proof | None, *, what: str) -> None:
    """Refuse unless ``proof`` is signed by the key ``jkt`` names, when ``what`` is bound to one."""
    if not jkt:
        return
    if proof is None:
        raise errors.InvalidDPoPProof(f"The {what} is bound to a DPoP key: send a DPoP proof.")
    if not hmac.compare_digest(proof.jkt, jkt):
        raise errors.InvalidDPoPProof(f"The {what} is bound to another DPoP key.")


def refresh_token_jkt(client: Client, proof: dpop.Proof | None) -> str:
    """Return the key a new refresh token is bound to: a public client's proof key (RFC 9449 5)."""
    return proof.jkt if proof is not None and client.is_public else ""


def jkt(proof: dpop.Proof | None) -> str | None:
    """Return the thumbprint an access token is bound to (``cnf.jkt``, RFC 9449 6.1), or None."""
    return proof.jkt if proof is not None else None
