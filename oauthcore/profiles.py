"""Security profiles (``SECURITY_PROFILE``): one setting that narrows what the server accepts.

A profile is one row of ``PROFILES``: what it requires. Each place that enforces a rule asks
``active()`` for it (the authorization request checks, client authentication, the grant
registry, DPoP, request objects, the validator of client metadata, the metadata document, the
system checks); none compares the setting's value itself. ``None`` (the default) is ``NO_PROFILE``,
which narrows nothing. ``"fapi2"`` is the FAPI 2.0 Security Profile (docs/fapi.md).

This module sits beside ``conf`` (it reads nothing else), so every room may consult it:
``jose.dpop`` narrows the proof algorithms of the token endpoint and the resource server alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from oauthcore.conf import oauth_settings


@dataclass(frozen=True)
class Profile:
    """What a security profile requires; each field's default narrows nothing."""

    name: str = ""
    confidential_clients_only: bool = False
    pushed_authorization_requests: bool = False  # as if REQUIRE_PUSHED_AUTHORIZATION_REQUESTS
    redirect_uri_pushed: bool = False  # a pushed request names its redirect_uri
    pkce_required: bool = False  # for every client, not only public ones
    sender_constrained: bool = False  # a DPoP proof with every token request
    client_auth_methods: frozenset[str] | None = None  # None: every method of the table
    algorithms: frozenset[str] | None = None  # JWS algorithms, of every JWT made or read
    curves: frozenset[str] | None = None  # the curves an EC or OKP key may be on
    max_code_lifetime: timedelta | None = None
    strict_assertion_audience: bool = False  # aud is the issuer, as a string
    rotate_refresh_tokens: bool = True  # the default of a newly registered client
    clock_skew: tuple[timedelta, timedelta] | None = None  # the CLOCK_SKEW it allows
    max_par_lifetime: timedelta | None = None  # PAR_LIFETIME must stay below it

    def narrow(self, algorithms: Iterable[str]) -> list[str]:
        """Return ``algorithms`` (in order) the profile allows."""
        return [alg for alg in algorithms if self.algorithms is None or alg in self.algorithms]

    def allows_key(self, jwk: dict) -> bool:
        """Tell whether a public JWK's curve (if it has one) is one the profile allows."""
        return self.curves is None or "crv" not in jwk or jwk["crv"] in self.curves

    def allows_auth_method(self, method: str) -> bool:
        """Tell whether clients may authenticate with ``method`` (RFC 7591 2)."""
        return self.client_auth_methods is None or method in self.client_auth_methods


NO_PROFILE = Profile()
# FAPI 2.0 Security Profile (final), 5.3.2 and 5.4; docs/fapi.md maps each field to its item.
FAPI2 = Profile(
    name="fapi2",
    confidential_clients_only=True,  # 5.3.2.1 3
    pushed_authorization_requests=True,  # 5.3.2.2 3
    redirect_uri_pushed=True,  # 5.3.2.2 6
    pkce_required=True,  # 5.3.2.2 5 (S256 is the only method oauthcore knows)
    sender_constrained=True,  # 5.3.2.1 4-5: DPoP (MTLS is not offered)
    client_auth_methods=frozenset({"private_key_jwt"}),  # 5.3.2.1 6
    algorithms=frozenset({"PS256", "ES256", "EdDSA"}),  # 5.4.1 1
    curves=frozenset({"P-256", "Ed25519"}),  # 5.4.1 1: EdDSA with Ed25519 only
    max_code_lifetime=timedelta(seconds=60),  # 5.3.2.1 11
    strict_assertion_audience=True,  # 5.3.2.1 8
    rotate_refresh_tokens=False,  # 5.3.2.1 9 and its Note 1
    clock_skew=(timedelta(seconds=10), timedelta(seconds=60)),  # 5.3.2.1 13
    max_par_lifetime=timedelta(seconds=600),  # 5.3.2.2 12
)
PROFILES = {profile.name: profile for profile in [FAPI2]}


def active() -> Profile:
    """Return the profile ``SECURITY_PROFILE`` names (``NO_PROFILE`` for None).

    An unknown name is refused here too (not only by the system check oauthcore.E015): a typo
    must never serve the weaker defaults.
    """
    name = oauth_settings.SECURITY_PROFILE
    if not name:
        return NO_PROFILE
    profile = PROFILES.get(name) if isinstance(name, str) else None
    if profile is None:
        raise ImproperlyConfigured(f"Unknown OAUTHCORE['SECURITY_PROFILE']: {name!r}.")
    return profile
