"""Who ``request.user`` is for a bearer token: the subject's user, loaded only when touched,
or a ``TokenUser`` built from the token alone (client-credentials tokens, APIs without users)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.utils.functional import SimpleLazyObject

from oauthcore.adapter import get_adapter
from oauthcore.resource_server.access_tokens import AccessToken


class TokenUser:
    """An authenticated user made from the access token alone: no database row, no permissions."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = id = None

    def __init__(self, token: AccessToken) -> None:
        self.token = token
        self.username = token.subject

    def __str__(self) -> str:
        return self.username

    @property
    def is_client(self) -> bool:
        """True when the token acts for a client (client credentials), not for a person."""
        return self.token.is_client_token

    def get_username(self) -> str:
        return self.username

    def has_perm(self, perm, obj=None) -> bool:
        return False

    def has_perms(self, perm_list, obj=None) -> bool:
        return False

    def has_module_perms(self, app_label) -> bool:
        return False


def _load(token: AccessToken, on_missing: Callable[[], Exception]):
    # The resource server has no client rows: only the token's client_id names the client.
    adapter = get_adapter()
    user = adapter.get_user_by_subject(subject=token.subject, client_id=token.client_id)
    if user is None:
        raise on_missing()
    return user


def for_token(token: AccessToken, *, load: bool, on_missing: Callable[[], Exception]):
    """Return the user of ``token``: lazy (no query until touched) or a ``TokenUser``.

    ``on_missing`` makes the exception raised when the subject has no (active) user any more.
    """
    if not load or token.is_client_token:
        return TokenUser(token)
    return SimpleLazyObject(partial(_load, token, on_missing))
