"""The one policy extension point. Subclass ``Adapter`` and name it in ``OAUTHCORE["ADAPTER"]``.

Every hook takes keyword arguments only, ``client=`` wherever a client is known, and
``**kwargs``: new context reaches a hook without breaking a subclass written before it existed.
A hook overridden without ``**kwargs`` (the form documented before) still works: it is called
with only the arguments it names, with a ``DeprecationWarning`` (and system check
``oauthcore.W003``) naming it.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from typing import Any

from oauthcore.conf import oauth_settings

HOOKS = (
    "get_subject",
    "get_user_by_subject",
    "get_access_token_claims",
    "get_id_token_claims",
    "get_userinfo_claims",
    "should_skip_consent",
    "is_user_allowed",
)


class Adapter:
    """Project policy: who the subject is, what extra claims a token carries, who may skip consent.

    Other context may come in ``**kwargs`` (``client_id`` where only a token names the client);
    a hook ignores what it does not need.
    """

    def get_subject(self, *, user, client=None, **kwargs) -> str:
        """Return the ``sub`` claim for ``user``: a stable string that never changes or is reused.

        ``client`` is the client the subject is issued to (None where none is known, e.g. the
        logout of a session without a client): a pairwise subject (OIDC Core 8.1) derives from
        it. Used in access tokens, ID tokens and introspection responses.
        """
        return str(user.pk)

    def get_user_by_subject(self, *, subject: str, client=None, **kwargs):
        """Return the active user a ``sub`` names, or None. Called lazily, when a view needs the user.

        ``client`` is the client the subject was issued to when the server has it; otherwise
        ``kwargs["client_id"]`` names it (the resource server knows only the token's
        ``client_id``). A pairwise ``get_subject`` reverses its mapping here.
        """
        from django.contrib.auth import get_user_model

        model = get_user_model()
        try:
            return model._default_manager.get(pk=subject, is_active=True)
        except (model.DoesNotExist, ValueError, TypeError):
            return None

    def get_access_token_claims(
        self, *, client, user, scopes: list[str], **kwargs
    ) -> dict[str, Any]:
        """Return extra claims for an access token (``user`` is None for client credentials).

        Registered claims (iss, sub, aud, exp, ...) cannot be overridden from here.
        """
        return {}

    def get_id_token_claims(self, *, client, user, scopes: list[str], **kwargs) -> dict[str, Any]:
        """Return extra claims for an ID token of ``user`` signed in to ``client`` with ``scopes``.

        Protocol claims (iss, sub, aud, exp, iat, auth_time, nonce, at_hash, sid, azp, ...)
        cannot be overridden from here. None by default: OIDC Core 5.4 releases the claims of
        ``profile`` and ``email`` from the userinfo endpoint when an access token is issued.
        """
        return {}

    def get_userinfo_claims(
        self, *, user, scopes: list[str], client=None, **kwargs
    ) -> dict[str, Any]:
        """Return the OpenID Connect claims of ``user`` that ``scopes`` release (OIDC Core 5.4).

        Served by the userinfo endpoint next to ``sub`` (which cannot be overridden from here).
        ``client`` is the token's client (None if it is gone; ``kwargs["client_id"]`` names it).
        ``profile`` gives name, given_name, family_name, preferred_username; ``email`` gives
        email and email_verified (False by default: Django does not verify addresses).
        """
        claims: dict[str, Any] = {}
        if "profile" in scopes:
            claims.update(
                name=user.get_full_name() if hasattr(user, "get_full_name") else str(user),
                given_name=getattr(user, "first_name", ""),
                family_name=getattr(user, "last_name", ""),
                preferred_username=user.get_username(),
            )
        if "email" in scopes and (email := getattr(user, "email", "")):
            claims.update(email=email, email_verified=False)
        # OIDC Core 5.3.2: a claim without a value is omitted, not sent empty.
        return {name: value for name, value in claims.items() if value not in ("", None)}

    def should_skip_consent(self, *, client, user, scopes: list[str], **kwargs) -> bool:
        """Return True when ``user`` need not be asked to approve ``scopes`` for ``client``."""
        return client.skip_consent

    def is_user_allowed(self, *, client, user, **kwargs) -> bool:
        """Return False to refuse ``user`` the use of ``client`` (the client gets access_denied)."""
        return user.is_active


@functools.cache
def legacy_parameters(cls: type, hook: str) -> frozenset[str] | None:
    """Return the argument names ``cls``'s ``hook`` accepts if it takes no ``**kwargs``, else None."""
    method = getattr(cls, hook, None)
    if method is None:
        return None
    parameters = list(inspect.signature(method).parameters.values())[1:]  # without self
    if any(parameter.kind is parameter.VAR_KEYWORD for parameter in parameters):
        return None
    named = (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return frozenset(parameter.name for parameter in parameters if parameter.kind in named)


def legacy_hooks(cls: type) -> list[str]:
    """Return the hooks of ``cls`` written without ``**kwargs``."""
    return [hook for hook in HOOKS if legacy_parameters(cls, hook) is not None]


@functools.cache
def _warn(cls: type, hook: str) -> None:  # cached: once per class and hook
    warnings.warn(
        f"{cls.__module__}.{cls.__qualname__}.{hook}() takes no **kwargs: it is called with only "
        "the arguments it names. Add **kwargs (and client=None where the hook gets a client).",
        DeprecationWarning,
        stacklevel=3,
    )


def _narrowed(adapter: Adapter, hook: str, accepted: frozenset[str]):
    method = getattr(adapter, hook)

    @functools.wraps(method)
    def call(**kwargs: Any):
        _warn(type(adapter), hook)
        return method(**{name: value for name, value in kwargs.items() if name in accepted})

    return call


def _build(cls: type) -> Adapter:
    """Instantiate ``cls``, fitting each hook it wrote without ``**kwargs`` with a narrowing call."""
    adapter = cls()
    for hook in legacy_hooks(cls):
        setattr(adapter, hook, _narrowed(adapter, hook, legacy_parameters(cls, hook)))
    return adapter


_adapter: dict[str, Adapter] = {}


def get_adapter() -> Adapter:
    """Return the configured adapter instance; call its hooks with keyword arguments."""
    path = oauth_settings.ADAPTER
    if path not in _adapter:
        _adapter.clear()
        _adapter[path] = _build(oauth_settings.get_adapter_class())
    return _adapter[path]
