"""Signals of the authorization server, for audit logs, metrics and notifications.

Connect a receiver as with any Django signal::

    from django.dispatch import receiver
    from oauthcore import signals

    @receiver(signals.token_revoked)
    def log_revocation(sender, *, client, user, token_type, jti, family_id, **kwargs): ...

``sender`` is the ``Client`` model class for token signals and the ``Consent`` model class for
consent signals. Keyword arguments never include a raw token or secret: only identifiers.
Receivers run synchronously, after oauthcore's own transaction; always accept ``**kwargs``.

``token_issued``
    A grant at the token endpoint issued an access token (every grant, refresh included).
    ``client``, ``user`` (None for client credentials), ``scopes`` (list of names), ``jti`` (of
    the access token), ``family_id`` (of the refresh token issued with it, else None),
    ``grant_type`` (the RFC name).
``token_refreshed``
    A refresh token was rotated (RFC 6749 6), after ``token_issued``. ``client``, ``user``,
    ``scopes`` (of the new access token), ``jti`` (of the new access token), ``family_id``.
``refresh_token_reused``
    A refresh token was used twice, so its family was revoked (RFC 9700 4.14.2). ``client``,
    ``user``, ``family_id``.
``token_revoked``
    A token was revoked: at the revocation endpoint (RFC 7009) or from the connected-apps page.
    ``client``, ``user`` (None for client-credentials tokens), ``token_type``
    (``"access_token"`` with its ``jti``, or ``"refresh_token"`` with its whole ``family_id``; the
    other one is None).
``consent_granted``
    A user approved scopes for a client on the consent screen. ``client``, ``user``, ``scopes``
    (the newly approved names), ``consent`` (the ``Consent`` row, holding every granted scope).
``consent_revoked``
    A user withdrew a client's access on the connected-apps page; its tokens are revoked too.
    ``client``, ``user``, ``scopes`` (what the consent had granted).
"""

from django.dispatch import Signal

token_issued = Signal()
token_refreshed = Signal()
refresh_token_reused = Signal()
token_revoked = Signal()
consent_granted = Signal()
consent_revoked = Signal()
