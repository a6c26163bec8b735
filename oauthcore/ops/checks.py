"""System checks for misconfiguration, with stable ids (oauthcore.E001, oauthcore.W001, ...)."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from oauthcore import adapter, client_address, profiles, scopes, single_use
from oauthcore.conf import DEFAULTS, oauth_settings
from oauthcore.hosts import is_loopback_host, is_secure_url
from oauthcore.jose import keys
from oauthcore.server import resources

ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")
MIN_HS256_SECRET_LENGTH = 32


def _settings_errors() -> list:
    found = []
    unknown = sorted(set(oauth_settings.user_settings) - set(DEFAULTS))
    if unknown:
        found.append(
            Error(
                _("Unknown OAUTHCORE settings: %(names)s.") % {"names": ", ".join(unknown)},
                hint=_("See docs/settings.md for the supported keys."),
                id="oauthcore.E001",
            )
        )
    for name, default in DEFAULTS.items():
        value = getattr(oauth_settings, name)
        if isinstance(default, timedelta) and not isinstance(value, timedelta):
            found.append(
                Error(
                    _("OAUTHCORE[%(name)r] must be a timedelta.") % {"name": name},
                    id="oauthcore.E002",
                )
            )
    return found


def _issuer_errors() -> list:
    issuer = oauth_settings.ISSUER
    parts = urlsplit(issuer or "")
    secure = parts.scheme == "https" or (
        parts.scheme == "http" and is_loopback_host(parts.hostname)
    )
    if secure and not (parts.query or parts.fragment or issuer.endswith("/")):
        return []
    return [
        Error(
            _("OAUTHCORE['ISSUER'] is not a valid issuer: %(issuer)r.") % {"issuer": issuer},
            hint=_(
                "Use an https URL with no query, fragment or trailing slash (RFC 8414 2); "
                "http is accepted on loopback hosts only."
            ),
            id="oauthcore.E003",
        )
    ]


def _jwks_url_errors() -> list:
    url = oauth_settings.JWKS_URL
    if url is None or is_secure_url(url):
        return []
    return [
        Error(
            _("OAUTHCORE['JWKS_URL'] is not an https URL: %(url)r.") % {"url": url},
            hint=_(
                "The keys that verify every token must come over TLS: use the issuer's https "
                "jwks_uri; plain http is accepted on loopback hosts only."
            ),
            id="oauthcore.E012",
        )
    ]


def _key_errors() -> list:
    found = []
    secret = oauth_settings.HS256_SECRET
    if secret is not None and len(secret) < MIN_HS256_SECRET_LENGTH:
        found.append(
            Error(
                _("OAUTHCORE['HS256_SECRET'] is too short."),
                hint=_("Use at least %(count)d random characters (RFC 7518 3.2).")
                % {"count": MIN_HS256_SECRET_LENGTH},
                id="oauthcore.E004",
            )
        )
    if oauth_settings.SIGNING_ALGORITHM == "HS256" and not secret:
        found.append(
            Error(
                _("HS256 is selected but OAUTHCORE['HS256_SECRET'] is not set."),
                id="oauthcore.E005",
            )
        )
    elif oauth_settings.SIGNING_ALGORITHM not in (*ALGORITHMS, "HS256"):
        found.append(
            Error(
                _("Unsupported OAUTHCORE['SIGNING_ALGORITHM']: %(alg)s.")
                % {"alg": oauth_settings.SIGNING_ALGORITHM},
                hint=_("Use one of %(names)s.") % {"names": ", ".join(ALGORITHMS)},
                id="oauthcore.E006",
            )
        )
    for index, spec in enumerate(oauth_settings.SIGNING_KEYS):
        if not isinstance(spec, dict) or not (
            spec.get("private_key") or spec.get("private_key_file")
        ):
            found.append(
                Error(
                    _(
                        "OAUTHCORE['SIGNING_KEYS'][%(index)d] has no private_key or private_key_file."
                    )
                    % {"index": index},
                    id="oauthcore.E007",
                )
            )
    return found


def _other_errors() -> list:
    found = []
    try:
        import_string(oauth_settings.ADAPTER)
    except ImportError:
        found.append(
            Error(
                _("OAUTHCORE['ADAPTER'] cannot be imported: %(path)s.")
                % {"path": oauth_settings.ADAPTER},
                id="oauthcore.E008",
            )
        )
    invalid = [name for name in oauth_settings.SCOPES if not scopes.SCOPE_TOKEN.fullmatch(name)]
    if invalid:
        found.append(
            Error(
                _("Invalid scope names in OAUTHCORE['SCOPES']: %(names)s.") % {"names": invalid},
                id="oauthcore.E009",
            )
        )
    return found + _proxy_errors() + _resource_errors() + _registration_errors() + _dot_errors()


def _dot_errors() -> list:
    """The transition from django-oauth-toolkit needs DOT 3's indexed token checksum."""
    if not oauth_settings.ACCEPT_DOT_ACCESS_TOKENS:
        return []
    if not apps.is_installed("oauth2_provider"):
        return [
            Error(
                "OAUTHCORE['ACCEPT_DOT_ACCESS_TOKENS'] is on but django-oauth-toolkit "
                "(oauth2_provider) is not installed.",
                hint="Turn the setting off once DOT's last access token has expired "
                "(docs/migrating-from-dot.md).",
                id="oauthcore.E020",
            )
        ]
    from oauth2_provider.models import get_access_token_model

    fields = {field.name for field in get_access_token_model()._meta.get_fields()}
    if "token_checksum" not in fields:
        return [
            Error(
                "OAUTHCORE['ACCEPT_DOT_ACCESS_TOKENS'] needs django-oauth-toolkit 3's "
                "token_checksum column on its access token model.",
                hint="Upgrade django-oauth-toolkit to 3.x and migrate it first.",
                id="oauthcore.E021",
            )
        ]
    return []


def _registration_errors() -> list:
    if oauth_settings.REGISTRATION in ("off", "open", "token"):
        return []
    return [
        Error(
            _("OAUTHCORE['REGISTRATION'] is invalid: %(value)r.")
            % {"value": oauth_settings.REGISTRATION},
            hint=_(
                '"off" (no dynamic registration), "open" (anyone may register, RFC 7591) or '
                '"token" (an initial access token from `manage.py createregistrationtoken`).'
            ),
            id="oauthcore.E014",
        )
    ]


def _resource_errors() -> list:
    value = oauth_settings.RESOURCES
    if isinstance(value, list | tuple):
        bad = [name for name in value if not resources.is_registrable(name)]
    else:
        bad = [value]
    if not bad:
        return []
    return [
        Error(
            _("OAUTHCORE['RESOURCES'] has invalid resource identifiers: %(bad)s.") % {"bad": bad},
            hint=_(
                "A list of absolute URIs without a fragment (RFC 8707 2), https unless on a "
                "loopback host, e.g. 'https://api.example.com/'."
            ),
            id="oauthcore.E013",
        )
    ]


def _proxy_errors() -> list:
    proxies = oauth_settings.TRUSTED_PROXIES
    bad = [proxies] if isinstance(proxies, str) else client_address.invalid_proxies(proxies or [])
    if not bad and isinstance(oauth_settings.TRUSTED_PROXY_HEADER, str):
        return []
    return [
        Error(
            _("OAUTHCORE['TRUSTED_PROXIES'] or TRUSTED_PROXY_HEADER is invalid: %(bad)s.")
            % {"bad": bad},
            hint=_(
                "TRUSTED_PROXIES is a list of IP addresses or networks ('10.0.0.0/8'); "
                "TRUSTED_PROXY_HEADER a request.META key ('HTTP_X_FORWARDED_FOR')."
            ),
            id="oauthcore.E010",
        )
    ]


def _profile_errors() -> list:
    """Check the settings against the security profile (oauthcore.E015, E016, E017)."""
    name = oauth_settings.SECURITY_PROFILE
    if name and (not isinstance(name, str) or name not in profiles.PROFILES):
        return [
            Error(
                _("Unknown OAUTHCORE['SECURITY_PROFILE']: %(name)r.") % {"name": name},
                hint=_("Use None or one of %(names)s (docs/fapi.md).")
                % {"names": ", ".join(profiles.PROFILES)},
                id="oauthcore.E015",
            )
        ]
    profile = profiles.active()
    return _profile_algorithm_errors(profile) + _profile_lifetime_errors(profile)


def _configured_signing_algorithms() -> list[str]:
    """Return the algorithms of the keys the settings make: SIGNING_ALGORITHM, HS256, SIGNING_KEYS."""
    used = [oauth_settings.SIGNING_ALGORITHM]
    if oauth_settings.HS256_SECRET:
        used.append("HS256")
    for spec in oauth_settings.SIGNING_KEYS:
        with contextlib.suppress(KeyError, OSError, TypeError, ValueError):  # see E007
            used.append(keys.from_setting(spec).algorithm)
    return used


def _profile_algorithm_errors(profile: profiles.Profile) -> list:
    if profile.algorithms is None:
        return []
    allowed = ", ".join(sorted(profile.algorithms))
    used = _configured_signing_algorithms()
    found = []
    if bad := sorted({alg for alg in used if alg not in profile.algorithms}):
        found.append(
            Error(
                _("The security profile %(profile)s forbids the signing algorithm %(algs)s.")
                % {"profile": profile.name, "algs": ", ".join(bad)},
                hint=_(
                    "Set SIGNING_ALGORITHM (and each SIGNING_KEYS algorithm) to one of %(allowed)s, "
                    "then run `manage.py rotatekeys`."
                )
                % {"allowed": allowed},
                id="oauthcore.E016",
            )
        )
    if not profile.narrow(oauth_settings.DPOP_SIGNING_ALGORITHMS):
        found.append(
            Error(
                _(
                    "The security profile %(profile)s needs DPoP, but no algorithm of "
                    "DPOP_SIGNING_ALGORITHMS is allowed."
                )
                % {"profile": profile.name},
                hint=_("Add one of %(allowed)s to DPOP_SIGNING_ALGORITHMS.") % {"allowed": allowed},
                id="oauthcore.E016",
            )
        )
    return found


def _profile_lifetime_errors(profile: profiles.Profile) -> list:
    found = []
    longest = profile.max_code_lifetime
    if longest is not None and longest < oauth_settings.AUTHORIZATION_CODE_LIFETIME:
        found.append(
            _("AUTHORIZATION_CODE_LIFETIME is over %(seconds)d seconds")
            % {"seconds": longest.total_seconds()}
        )
    par = profile.max_par_lifetime
    if par is not None and par <= oauth_settings.PAR_LIFETIME:
        found.append(
            _("PAR_LIFETIME is not under %(seconds)d seconds") % {"seconds": par.total_seconds()}
        )
    if profile.clock_skew is not None:
        low, high = profile.clock_skew
        if not low <= oauth_settings.CLOCK_SKEW <= high:
            found.append(
                _("CLOCK_SKEW is not between %(low)d and %(high)d seconds")
                % {"low": low.total_seconds(), "high": high.total_seconds()}
            )
    return [
        Error(
            _("The security profile %(profile)s forbids this setting: %(problem)s.")
            % {"profile": profile.name, "problem": problem},
            hint=_("See docs/fapi.md."),
            id="oauthcore.E017",
        )
        for problem in found
    ]


def _single_use_errors() -> list:
    """Name a one-time identifier store that would let a replay through (oauthcore.single_use)."""
    forced = oauth_settings.SINGLE_USE_STORE
    if forced not in single_use.STORES:
        return [
            Error(
                _(
                    'OAUTHCORE[\'SINGLE_USE_STORE\'] is not "auto", "cache" or "database": %(value)s.'
                )
                % {"value": repr(forced)},
                hint=_(
                    'Leave it "auto" (the default); DPoP proofs and client assertions are '
                    "refused until it is valid."
                ),
                id="oauthcore.E018",
            )
        ]
    try:
        unfit = forced == "cache" and single_use.is_unfit(single_use.cache_class())
    except ImportError:  # oauthcore.E011
        return []
    if not unfit:
        return []
    return [
        Error(
            _(
                "OAUTHCORE['SINGLE_USE_STORE'] is \"cache\" but the default cache (%(backend)s) "
                "is not one every process shares with an atomic add: a DPoP proof or client "
                "assertion could be replayed at another process."
            )
            % {"backend": settings.CACHES["default"]["BACKEND"]},
            hint=_(
                'Leave SINGLE_USE_STORE "auto" (the database then keeps them), or use Redis or '
                "Memcached as the default cache."
            ),
            id="oauthcore.E019",
        )
    ]


@register(Tags.security, "oauthcore")
def check_settings(app_configs=None, **kwargs) -> list:
    """Check the OAUTHCORE settings."""
    found = _settings_errors()
    if found:
        return found
    found = _issuer_errors() + _jwks_url_errors() + _key_errors() + _other_errors()
    return found + _profile_errors() + _single_use_errors()


@register(Tags.compatibility, "oauthcore")
def check_adapter(app_configs=None, **kwargs) -> list:
    """Name the adapter hooks written without ``**kwargs`` (called with fewer arguments)."""
    try:
        cls = oauth_settings.get_adapter_class()
    except ImportError:  # oauthcore.E008
        return []
    return [
        Warning(
            _("%(hook)s() takes no **kwargs: it gets only the arguments it names.")
            % {"hook": f"{cls.__qualname__}.{hook}"},
            hint=_(
                "Add **kwargs (and client=None where the hook gets a client) so new context "
                "reaches it; see docs/adapter.md."
            ),
            obj=cls,
            id="oauthcore.W003",
        )
        for hook in adapter.legacy_hooks(cls)
    ]


def cache_error() -> str | None:
    """Load the default cache; return why it cannot be loaded (a backend not installed), if so."""
    try:
        caches["default"]
    except Exception as e:  # InvalidCacheBackendError (no django-redis), ImproperlyConfigured
        return _(
            "The default cache cannot be loaded (oauthcore.E011): %(error)s. Install its package: "
            "pip install 'oauthcore[redis]' for CACHE_URL=redis://..."
        ) % {"error": e}
    return None


@register(Tags.caches)
def check_cache(app_configs=None, **kwargs) -> list:
    """Name a default cache that cannot be loaded (``AppConfig.ready()`` refuses to start too)."""
    found = cache_error()
    return [Error(found, id="oauthcore.E011")] if found else []


def _stored_key_errors(model) -> list:
    """Name the published signing keys the security profile forbids (oauthcore.E016)."""
    try:
        profile = profiles.active()
    except ImproperlyConfigured:  # an unknown profile: oauthcore.E015 says so
        return []
    if profile.algorithms is None:
        return []
    published = model.objects.published().exclude(algorithm__in=profile.algorithms)
    return [
        Error(
            _("The security profile %(profile)s forbids the %(alg)s signing key %(kid)s.")
            % {"profile": profile.name, "alg": row.algorithm, "kid": row.kid},
            hint=_(
                "Set SIGNING_ALGORITHM to one the profile allows, run `manage.py rotatekeys` "
                "and wait until the old key's tokens expire (docs/fapi.md)."
            ),
            id="oauthcore.E016",
        )
        for row in published
    ]


@register(Tags.database)
def check_stored_configuration(app_configs=None, databases=None, **kwargs) -> list:
    """Check stored clients and keys (runs with ``check --database default`` and ``migrate``)."""
    from oauthcore.models import Client, SigningKey

    if not databases:
        return []
    found = []
    try:
        for client in Client.objects.active().only("client_id", "allowed_scopes"):
            if bad := scopes.unknown(client.allowed_scopes):
                found.append(
                    Warning(
                        _("Client %(client_id)s allows unregistered scopes: %(scopes)s.")
                        % {"client_id": client.client_id, "scopes": bad},
                        hint=_("Add them to OAUTHCORE['SCOPES'] or remove them from the client."),
                        id="oauthcore.W001",
                    )
                )
        found += _stored_key_errors(SigningKey)
        no_key = not (oauth_settings.HS256_SECRET or oauth_settings.SIGNING_KEYS)
        if no_key and not settings.DEBUG and not SigningKey.objects.filter(state="active").exists():
            found.append(
                Warning(
                    _("There is no active signing key; one will be created on first use."),
                    hint=_("Run `manage.py rotatekeys` or set OAUTHCORE['SIGNING_KEYS']."),
                    id="oauthcore.W002",
                )
            )
    except DatabaseError:  # tables not migrated yet
        return []
    return found


MAX_ACCESS_TOKEN_LIFETIME = timedelta(hours=1)
MAX_REFRESH_TOKEN_LIFETIME = timedelta(days=90)
MAX_CLOCK_SKEW = timedelta(minutes=5)
MIN_DEPLOY_HS256_SECRET_LENGTH = 64
LOCMEM_CACHE = "django.core.cache.backends.locmem.LocMemCache"
DUMMY_CACHE = "django.core.cache.backends.dummy.DummyCache"


def _unknown_single_use_cache() -> bool:
    """Tell whether SINGLE_USE_STORE forces a cache oauthcore knows neither as shared nor unfit."""
    if oauth_settings.SINGLE_USE_STORE != "cache":
        return False
    try:
        cls = single_use.cache_class()
    except ImportError:  # oauthcore.E011
        return False
    return not single_use.is_shared(cls) and not single_use.is_unfit(cls)


def _deploy_risks() -> list[tuple[bool, str, str, str]]:
    """Return (found, id, message, hint) for each setting that is unsafe in production."""
    conf = oauth_settings
    cache = settings.CACHES.get("default", {}).get("BACKEND", "")
    secret = conf.HS256_SECRET
    # fmt: off
    return [
        (urlsplit(conf.ISSUER or "").scheme != "https", "W010",
         _("OAUTHCORE['ISSUER'] is not an https URL."),
         _("Tokens, codes and secrets must travel over TLS (RFC 6749 1.6); http is for development.")),
        (conf.ACCESS_TOKEN_LIFETIME > MAX_ACCESS_TOKEN_LIFETIME, "W011",
         _("OAUTHCORE['ACCESS_TOKEN_LIFETIME'] is longer than one hour."),
         _("A stolen access token works until it expires; keep it short (RFC 9700 4.14).")),
        (not conf.PKCE_REQUIRED, "W012",
         _("OAUTHCORE['PKCE_REQUIRED'] is off: confidential clients may skip PKCE."),
         _("PKCE stops code injection for every client (RFC 9700 2.1.1).")),
        (secret is not None and len(secret) < MIN_DEPLOY_HS256_SECRET_LENGTH, "W013",
         _("OAUTHCORE['HS256_SECRET'] is shorter than %(count)d characters.")
         % {"count": MIN_DEPLOY_HS256_SECRET_LENGTH},
         _("Use a long random secret, or an asymmetric algorithm (RFC 8725 3.5).")),
        (conf.CLOCK_SKEW > MAX_CLOCK_SKEW, "W014",
         _("OAUTHCORE['CLOCK_SKEW'] is longer than five minutes."),
         _("Synchronise the clocks (NTP) instead: expired tokens are accepted this much longer.")),
        (conf.REFRESH_TOKEN_LIFETIME > MAX_REFRESH_TOKEN_LIFETIME, "W015",
         _("OAUTHCORE['REFRESH_TOKEN_LIFETIME'] is longer than 90 days."),
         _("Long-lived refresh tokens widen the damage of a leak (RFC 9700 4.14).")),
        (not conf.CHECK_REVOKED_TOKENS, "W016",
         _("OAUTHCORE['CHECK_REVOKED_TOKENS'] is off: revoked access tokens work until they expire."),
         _("Keep the deny-list check on (no query per request: SYNC_INTERVAL).")),
        (not conf.RATE_LIMIT_ENABLED, "W017",
         _("OAUTHCORE['RATE_LIMIT_ENABLED'] is off: client secrets and codes can be guessed freely."),
         _("Keep rate limiting on; tune RATE_LIMIT_FAILURES and RATE_LIMIT_WINDOW instead.")),
        (conf.RATE_LIMIT_ENABLED and cache == LOCMEM_CACHE, "W018",
         _("The default cache is local memory: each process counts failed attempts on its own "
           "(revocations and client changes do not depend on the cache)."),
         _("Use a shared cache such as Redis when several processes serve requests "
           "(pip install 'oauthcore[redis]').")),
        (conf.RATE_LIMIT_ENABLED and cache == DUMMY_CACHE, "W019",
         _("The default cache stores nothing: failed attempts are not counted."),
         _("Use a real shared cache such as Redis.")),
        (bool(getattr(settings, "SECURE_PROXY_SSL_HEADER", None)) and not conf.TRUSTED_PROXIES,
         "W020",
         _("SECURE_PROXY_SSL_HEADER is set but OAUTHCORE['TRUSTED_PROXIES'] is not: behind a proxy "
           "every request has the proxy's address, in failure counters, audit rows and logs."),
         _("Set TRUSTED_PROXIES to your proxies' addresses (and TRUSTED_PROXY_HEADER if it is not "
           "X-Forwarded-For); see docs/deployment.md.")),
        (_unknown_single_use_cache(), "W021",
         _("OAUTHCORE['SINGLE_USE_STORE'] is \"cache\" on a cache backend oauthcore does not know: "
           "unless every process shares it and its add is atomic, a DPoP proof or client assertion "
           "can be replayed at another process."),
         _("Once sure, silence oauthcore.W021 (SILENCED_SYSTEM_CHECKS); else leave the store "
           "\"auto\" (see docs/settings.md).")),
    ]
    # fmt: on


@register(Tags.security, deploy=True)
def check_deployment(app_configs=None, **kwargs) -> list:
    """Warn about settings fit for development only (``manage.py check --deploy``)."""
    if _settings_errors():
        return []
    return [
        Warning(message, hint=hint, id=f"oauthcore.{code}")
        for found, code, message, hint in _deploy_risks()
        if found
    ]
