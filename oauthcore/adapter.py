"""The one policy extension point. Subclass ``Adapter`` and name it in ``OAUTHCORE["ADAPTER"]``."""

from __future__ import annotations

from typing import Any

from oauthcore.conf import oauth_settings


class Adapter:
    """Project policy: who the subject is, what extra claims a token carries, who may skip consent."""

    def get_subject(self, *, user) -> str:
        """Return the ``sub`` claim for ``user``: a stable string that never changes or is reused."""
        return str(user.pk)

    def get_user_by_subject(self, *, subject: str):
        """Return the user a ``sub`` names, or None. Called lazily, only when a view needs the user."""
        from django.contrib.auth import get_user_model

        model = get_user_model()
        try:
            return model._default_manager.get(pk=subject, is_active=True)
        except (model.DoesNotExist, ValueError, TypeError):
            return None

    def get_access_token_claims(self, *, client, user, scopes: list[str]) -> dict[str, Any]:
        """Return extra claims for an access token (``user`` is None for client credentials).

        Registered claims (iss, sub, aud, exp, ...) cannot be overridden from here.
        """
        return {}

    def get_userinfo_claims(self, *, user, scopes: list[str]) -> dict[str, Any]:
        """Return the OpenID Connect claims of ``user`` that ``scopes`` release (OIDC Core 5.4).

        Served by the userinfo endpoint next to ``sub`` (which cannot be overridden from here).
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

    def should_skip_consent(self, *, client, user, scopes: list[str]) -> bool:
        """Return True when ``user`` need not be asked to approve ``scopes`` for ``client``."""
        return client.skip_consent

    def is_user_allowed(self, *, client, user) -> bool:
        """Return False to refuse ``user`` the use of ``client`` (the client gets access_denied)."""
        return user.is_active


_adapter: dict[str, Adapter] = {}


def get_adapter() -> Adapter:
    """Return the configured adapter instance."""
    path = oauth_settings.ADAPTER
    if path not in _adapter:
        _adapter.clear()
        _adapter[path] = oauth_settings.get_adapter_class()()
    return _adapter[path]
