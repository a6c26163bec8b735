"""The one settings object: ``oauth_settings``, read from ``settings.OAUTHCORE`` at call time.

Every key, its default and its meaning is listed in ``DEFAULTS`` below and in docs/settings.md.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

DEFAULTS: dict[str, Any] = {
    # The issuer identifier (RFC 8414): an https URL, or http on a loopback host for development.
    "ISSUER": "http://127.0.0.1:8000",
    # The `aud` of access tokens and the audience a resource server accepts; None means the issuer.
    "AUDIENCE": None,
    # The resources (RFC 8707) this server issues tokens for: absolute URIs without a fragment,
    # https unless on a loopback host. A `resource` parameter must name one; the token's `aud` is it.
    "RESOURCES": [],
    # The scope registry: scope name -> the sentence shown on the consent screen.
    "SCOPES": {},
    # Lifetime of access tokens (RFC 9068); a client may override it.
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    # Absolute lifetime of a refresh-token family, counted from the authorization.
    "REFRESH_TOKEN_LIFETIME": timedelta(days=14),
    # A refresh token unused for this long dies; None disables the idle timeout.
    "REFRESH_TOKEN_IDLE_TIMEOUT": None,
    # Lifetime of an authorization code (RFC 6749 4.1.2 recommends at most 10 minutes).
    "AUTHORIZATION_CODE_LIFETIME": timedelta(seconds=60),
    # Lifetime of OpenID Connect ID tokens (OIDC Core 2): only read once, at sign-in.
    "ID_TOKEN_LIFETIME": timedelta(minutes=5),
    # PKCE is always required for public clients; this requires it for confidential ones too.
    "PKCE_REQUIRED": True,
    # The algorithm of keys created by `rotatekeys` and on first use: RS256, PS256, ES256 or EdDSA.
    "SIGNING_ALGORITHM": "RS256",
    # Keys kept outside the database: [{"private_key": PEM} or {"private_key_file": path},
    # optional "algorithm" and "kid"]. The first one signs; the others stay published.
    "SIGNING_KEYS": [],
    # A shared secret for HS256 when one deployment both issues and verifies (never published).
    # Setting it makes HS256 the signing algorithm.
    "HS256_SECRET": None,
    # How long a server process trusts its copy of the signing keys before reading them again.
    "KEY_CACHE_TTL": timedelta(seconds=30),
    # How long a server process may use a client it read, unless the generation moves before;
    # timedelta(0) reads the client on every request.
    "CLIENT_CACHE_TTL": timedelta(seconds=60),
    # How often each process asks the database whether anything it copied changed (one query):
    # the bound within which a revocation, client or consent change, or key rotation made
    # anywhere is honoured by every process. timedelta(0) asks on every check.
    "SYNC_INTERVAL": timedelta(seconds=1),
    # Tolerated clock difference when checking exp, nbf and iat.
    "CLOCK_SKEW": timedelta(seconds=30),
    # Bearer tokens longer than this many characters are refused before any decoding.
    "MAX_TOKEN_LENGTH": 8192,
    # How many validated access tokens each process remembers, so a token used again skips its
    # signature check (its claims and the deny-list are still checked every time); 0 disables.
    "VERIFIED_TOKEN_CACHE_SIZE": 4096,
    # Resource server only: the issuer's JWKS URL, when keys are not in this project's database.
    "JWKS_URL": None,
    # How long a fetched JWKS is trusted before it is fetched again: the issuer's (resource
    # server) and clients' jwks_uri (private_key_jwt, request objects).
    "JWKS_CACHE_TTL": timedelta(minutes=10),
    # The shortest time between two fetches of one JWKS triggered by an unknown kid.
    "JWKS_MIN_REFETCH_INTERVAL": timedelta(seconds=30),
    # Timeout of one JWKS fetch.
    "JWKS_FETCH_TIMEOUT": timedelta(seconds=5),
    # Moving from django-oauth-toolkit (docs/migrating-from-dot.md): the resource server also
    # accepts DOT's opaque access tokens, looked up in DOT's table (one indexed query per call)
    # until they expire. Needs oauth2_provider installed; off once DOT's last token has expired.
    "ACCEPT_DOT_ACCESS_TOKENS": False,
    # Check the deny-list of revoked access tokens (no query per request: see SYNC_INTERVAL).
    "CHECK_REVOKED_TOKENS": True,
    # Brute-force limiter (oauthcore.server.ratelimit; docs/security.md): every request is verified
    # first, a correct one always succeeds; only failures are counted and slowed down.
    "RATE_LIMIT_ENABLED": True,
    # Failures (invalid_client, a public client's invalid_grant) of one client_id from one address
    # answered as they are in a window; later ones are throttled with a growing backoff (429).
    "RATE_LIMIT_FAILURES": 10,
    # The same, for all the failures of one address (an IPv6 address counts for its /64).
    "RATE_LIMIT_ADDRESS_FAILURES": 100,
    # A counter lives this long from its first failure; a success forgets its pair at once.
    "RATE_LIMIT_WINDOW": timedelta(minutes=1),
    # The first backoff once a counter is full; it doubles with each failure, up to the window.
    "RATE_LIMIT_BACKOFF": timedelta(seconds=1),
    # Requests each address (each signed-in user) may make to /authorize in a window; 0: no limit.
    "RATE_LIMIT_AUTHORIZE_REQUESTS": 300,
    # Addresses or networks of the reverse proxies in front of Django ("10.0.0.0/8"): a request
    # from one of them is attributed to the address they append to TRUSTED_PROXY_HEADER.
    "TRUSTED_PROXIES": [],
    # The request.META key of the header those proxies append the client's address to.
    "TRUSTED_PROXY_HEADER": "HTTP_X_FORWARDED_FOR",
    # The realm named in WWW-Authenticate challenges; None means the issuer.
    "REALM": None,
    # The policy hooks (subject, extra claims, ...): a dotted path to an Adapter subclass.
    "ADAPTER": "oauthcore.adapter.Adapter",
    # Record every oauthcore signal as an AuditEvent row (oauthcore.ops.audit).
    "AUDIT_LOG": False,
    # `cleartokens` deletes audit events older than this.
    "AUDIT_LOG_RETENTION": timedelta(days=90),
    # Dynamic client registration (RFC 7591, managed per RFC 7592): "off"; "open" to anyone;
    # "token" with an initial access token made by `createregistrationtoken`.
    "REGISTRATION": "off",
    # Registrations each address may make in REGISTRATION_RATE_WINDOW (an IPv6 address counts for
    # its /64); 0: no limit.
    "REGISTRATION_RATE_LIMIT": 10,
    "REGISTRATION_RATE_WINDOW": timedelta(hours=1),
    # `cleartokens` deletes a self-registered client that obtained nothing within this long.
    "REGISTRATION_UNUSED_LIFETIME": timedelta(days=1),
    # OAuth Client ID Metadata Documents: an https client_id is fetched as the client's metadata
    # (docs/security.md says why this is off by default).
    "CLIENT_ID_METADATA_DOCUMENTS": False,
    # Hosts whose metadata documents may be fetched ("example.com", ".example.com" for its
    # subdomains too); empty: any host with a public address. Denied hosts win.
    "CLIENT_METADATA_ALLOWED_HOSTS": [],
    "CLIENT_METADATA_DENIED_HOSTS": [],
    # Document fetches one address may cause at /authorize in RATE_LIMIT_WINDOW; 0: no limit.
    "CLIENT_METADATA_FETCHES_PER_ADDRESS": 10,
    # A metadata document is used this long at least and at most, whatever its caching headers say.
    "CLIENT_METADATA_MIN_CACHE": timedelta(minutes=5),
    "CLIENT_METADATA_MAX_CACHE": timedelta(hours=24),
    # Outbound fetches of URLs a client chose (oauthcore.fetch): the deadline of a whole fetch, the
    # most body bytes read, fetches per host per minute (0: no limit), and whether plain http to
    # and addresses on a loopback host are allowed (development only). JWKS_URL has its own.
    "FETCH_TIMEOUT": timedelta(seconds=5),
    "FETCH_MAX_BYTES": 64 * 1024,
    "FETCH_HOST_RATE_LIMIT": 30,
    "FETCH_ALLOW_LOOPBACK": False,
    # Protected resource metadata (RFC 9728)
    # Resource server only: the resource identifier (RFC 8707) of the API this project protects,
    # for every DRF view with JWTAuthentication and every @require_scopes view that names none:
    # they accept tokens for it and their challenges point at its metadata. None: no resource.
    "PROTECTED_RESOURCE": None,
    # Where one-time identifiers (DPoP proofs' and client assertions' jti) are spent, once for
    # every process: "auto" (the default cache if every process shares it: Redis, Memcached; else
    # the SpentIdentifier table), "cache" (a custom shared cache) or "database" (oauthcore.single_use).
    "SINGLE_USE_STORE": "auto",
    # --- DPoP (RFC 9449), both sides ---
    # The asymmetric algorithms a DPoP proof may use (dpop_signing_alg_values_supported); HS*
    # and "none" are never accepted, even if listed. []: DPoP off (no binding, Bearer only).
    "DPOP_SIGNING_ALGORITHMS": ["ES256", "EdDSA", "PS256", "RS256"],
    # How old a proof's iat may be (plus CLOCK_SKEW either way); its jti is spent this long
    # (plus twice CLOCK_SKEW) in the SINGLE_USE_STORE.
    "DPOP_PROOF_MAX_AGE": timedelta(seconds=60),
    # Require a server-provided nonce in proofs at the token endpoint (use_dpop_nonce).
    "DPOP_NONCES": False,
    # How long a DPoP nonce stays valid at least (at most twice as long); derived from SECRET_KEY.
    "DPOP_NONCE_LIFETIME": timedelta(minutes=5),
    # --- JWT client authentication (RFC 7523: private_key_jwt, client_secret_jwt) ---
    # The algorithms a client assertion may use (token_endpoint_auth_signing_alg_values_supported).
    "CLIENT_ASSERTION_SIGNING_ALGORITHMS": ["ES256", "EdDSA", "PS256", "RS256", "HS256"],
    # The longest an assertion may live (its exp - iat, or exp - now without iat).
    "CLIENT_ASSERTION_MAX_LIFETIME": timedelta(minutes=5),
    # Accept only the issuer as an assertion's aud (else also the token and PAR endpoint URLs).
    "CLIENT_ASSERTION_STRICT_AUDIENCE": False,
    # Keys that encrypt client_secret_jwt clients' secrets at rest (the server must read them back
    # to check an HMAC): any long random strings; the first encrypts, all decrypt (rotation).
    # Empty: keys derived from Django's SECRET_KEY and SECRET_KEY_FALLBACKS.
    "SECRET_ENCRYPTION_KEYS": [],
    # --- Pushed authorization requests (RFC 9126) and request objects (RFC 9101) ---
    # The lifetime of a pushed request's request_uri (expires_in; under 600 s).
    "PAR_LIFETIME": timedelta(seconds=60),
    # Require PAR for every client (require_pushed_authorization_requests); else per client.
    "REQUIRE_PUSHED_AUTHORIZATION_REQUESTS": False,
    # The algorithms a signed request object may use (request_object_signing_alg_values_supported).
    "REQUEST_OBJECT_SIGNING_ALGORITHMS": ["ES256", "EdDSA", "PS256", "RS256"],
    # --- Security profile ---
    # None, or "fapi2": the FAPI 2.0 Security Profile for every client (docs/fapi.md).
    "SECURITY_PROFILE": None,
    # --- Device authorization grant (RFC 8628) ---
    # How long a device code and its user code live (expires_in).
    "DEVICE_CODE_LIFETIME": timedelta(minutes=10),
    # The polling interval a device is given, in seconds; slow_down adds 5 each time.
    "DEVICE_POLL_INTERVAL": 5,
    # Wrong user codes one address (an IPv6 /64), and one user, may type in RATE_LIMIT_WINDOW
    # before waiting (a 429 until the window ends); 0: no limit.
    "DEVICE_USER_CODE_FAILURES": 10,
    # --- Token exchange (RFC 8693) ---
    # Also accept this server's ID tokens, issued to the exchanging client, as subject tokens
    # (besides its access tokens). docs/token-exchange.md
    "TOKEN_EXCHANGE_ID_TOKENS": False,
    # --- OpenID Connect Back-Channel Logout ---
    # How long a logout token is valid, the timeout of one delivery (POST), and how many times a
    # failed delivery is retried (backoff 10 s, 20 s, 40 s...; docs/backchannel-logout.md).
    "BACKCHANNEL_LOGOUT_TOKEN_LIFETIME": timedelta(minutes=2),
    "BACKCHANNEL_LOGOUT_TIMEOUT": timedelta(seconds=5),
    "BACKCHANNEL_LOGOUT_RETRIES": 5,
}


class OAuthSettings:
    """Attribute access to ``settings.OAUTHCORE`` with defaults, cached until settings change."""

    def __init__(self, defaults: dict[str, Any]) -> None:
        self._defaults = defaults
        self._cached: set[str] = set()

    @property
    def user_settings(self) -> dict[str, Any]:
        return getattr(settings, "OAUTHCORE", None) or {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self._defaults:
            raise AttributeError(f"Invalid oauthcore setting: {name!r}")
        value = self.user_settings.get(name, self._defaults[name])
        self._cached.add(name)
        setattr(self, name, value)
        return value

    @property
    def audience(self) -> str:
        return self.AUDIENCE or self.ISSUER

    @property
    def realm(self) -> str:
        return self.REALM or self.ISSUER

    def get_adapter_class(self) -> type:
        return import_string(self.ADAPTER)

    def reload(self) -> None:
        for name in self._cached:
            delattr(self, name)
        self._cached.clear()


oauth_settings = OAuthSettings(DEFAULTS)


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting == "OAUTHCORE":
        oauth_settings.reload()  # each module with a cache of its own resets it itself


setting_changed.connect(_reload)
