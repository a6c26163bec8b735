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
    other one is None), ``by`` (the staff user in the admin or ``endsessions``, else None).
``consent_granted``
    A user approved scopes for a client on the consent screen. ``client``, ``user``, ``scopes``
    (the newly approved names), ``consent`` (the ``Consent`` row, holding every granted scope).
``consent_revoked``
    A user withdrew a client's access on the connected-apps page (or staff did, with the admin's
    "Revoke access" action, then ``by`` is the staff user); its tokens are revoked too.
    ``client``, ``user``, ``scopes`` (what the consent had granted).
``token_denied``
    The token endpoint refused a request (sender ``Client``). ``client`` (None when client
    authentication failed), ``client_id`` (the authenticated client's, else the one the request
    claimed, or None), ``grant_type`` (as sent, or None), ``error`` (the RFC 6749 5.2 code).
``client_created``
    A client was registered (``createclient``, ``registration.create_client``, the admin).
    ``client``, ``by`` (the staff user in the admin, else None).
``client_secret_rotated``
    A client got a new secret in the admin. ``client``, ``by``, ``previous_secret_expires_at``
    (until when the old secret still works, or None).
``client_deactivated``
    A client was switched inactive (saved with ``is_active=False``): every token it holds stops
    working at once. ``client``, ``by`` (the staff user when done in the admin, else None),
    ``families`` (how many live refresh-token families were revoked).
``backchannel_logout_failed``
    A logout token could not be delivered to a client's ``backchannel_logout_uri`` (OIDC
    Back-Channel Logout 2.8); sender ``Client``. ``client``, ``user`` (None when unknown),
    ``error`` (why), ``attempt`` (1 for the first try), ``retried`` (another try is queued).
``sessions_ended``
    Staff ended all of a user's sessions (the admin's "End all sessions", ``manage.py
    endsessions``); sender the user model. ``user``, ``by`` (the staff user, None from the
    command), ``sessions`` (browser sessions deleted, None when the session backend cannot list
    them), ``families`` (refresh-token families revoked), ``clients`` (the client_ids told by a
    logout token). Each family also sends ``token_revoked``.
``signing_key_rotated``
    A new key signs from now on (``rotatekeys``, the admin); sender ``SigningKey``. ``kid``,
    ``algorithm``, ``retired`` (the kids of the keys it replaced), ``by`` (staff user or None).
"""

from django.dispatch import Signal

token_issued = Signal()
token_refreshed = Signal()
refresh_token_reused = Signal()
token_revoked = Signal()
consent_granted = Signal()
consent_revoked = Signal()
token_denied = Signal()
client_created = Signal()
client_secret_rotated = Signal()
client_deactivated = Signal()
signing_key_rotated = Signal()
backchannel_logout_failed = Signal()
sessions_ended = Signal()
