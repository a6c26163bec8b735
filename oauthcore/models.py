"""What the authorization server stores. Bearer secrets are stored as hashes naming their algorithm."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oauthcore import crypto, signals
from oauthcore.conf import oauth_settings

# A client_id may be the https URL of its metadata document; a URL of 2000 characters still fits.
MAX_CLIENT_ID_LENGTH = 2000


def _one(queryset):
    """Return the one row of ``queryset`` or None: [:1], not first(), which adds an ORDER BY."""
    return next(iter(queryset[:1]), None)


class ClientQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def lookup(self, client_id: str) -> Client | None:
        """Return the client named ``client_id`` in this queryset, or None (one query)."""
        return _one(self.filter(client_id=client_id))


class Client(models.Model):
    """A registered application (RFC 6749 2)."""

    class ClientType(models.TextChoices):
        CONFIDENTIAL = "confidential", _("Confidential")
        PUBLIC = "public", _("Public")

    class GrantType(models.TextChoices):
        AUTHORIZATION_CODE = "authorization_code", _("Authorization code")
        REFRESH_TOKEN = "refresh_token", _("Refresh token")
        CLIENT_CREDENTIALS = "client_credentials", _("Client credentials")
        DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code", _("Device code (RFC 8628)")
        TOKEN_EXCHANGE = (
            "urn:ietf:params:oauth:grant-type:token-exchange",
            _("Token exchange (RFC 8693)"),
        )

    class TokenEndpointAuthMethod(models.TextChoices):
        """How a client authenticates at the token endpoint (RFC 7591 2)."""

        CLIENT_SECRET_BASIC = "client_secret_basic", _("Client secret, HTTP Basic")
        CLIENT_SECRET_POST = "client_secret_post", _("Client secret, in the form")
        CLIENT_SECRET_JWT = "client_secret_jwt", _("JWT signed with the client secret (HS256)")
        PRIVATE_KEY_JWT = "private_key_jwt", _("JWT signed with the client's private key")
        NONE = "none", _("None (public client)")

    class Origin(models.TextChoices):
        """Who registered the client: only staff-registered clients may ever be pre-trusted."""

        STAFF = "staff", _("Staff (admin or createclient)")
        DYNAMIC = "dynamic", _("Dynamic registration (RFC 7591)")
        METADATA_DOCUMENT = "metadata_document", _("Client ID metadata document")

    # An https URL for a client identified by its metadata document, hence the length.
    client_id = models.CharField(_("client ID"), max_length=MAX_CLIENT_ID_LENGTH, unique=True)
    name = models.CharField(_("name"), max_length=200, help_text=_("Shown on the consent screen."))
    client_type = models.CharField(
        _("client type"), max_length=20, choices=ClientType.choices, default=ClientType.CONFIDENTIAL
    )
    token_endpoint_auth_method = models.CharField(
        _("token endpoint authentication method"),
        max_length=40,
        choices=TokenEndpointAuthMethod.choices,
        blank=True,
        help_text=_(
            "Public clients use none; confidential ones a secret. Empty: the default for the type."
        ),
    )
    # ``<algorithm>$<digest>`` (crypto.py); room for a longer algorithm than sha256.
    secret_hash = models.CharField(_("secret hash"), max_length=128, blank=True, editable=False)
    # client_secret_jwt (RFC 7523) needs the secret itself: kept encrypted, only for that method.
    secret_ciphertext = models.TextField(blank=True, editable=False)
    previous_secret_hash = models.CharField(max_length=128, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    redirect_uris = models.JSONField(
        _("redirect URIs"), default=list, blank=True, help_text=_("Matched exactly.")
    )
    post_logout_redirect_uris = models.JSONField(
        _("post-logout redirect URIs"),
        default=list,
        blank=True,
        help_text=_("Where RP-initiated logout may send the user back (OIDC). Matched exactly."),
    )
    grant_types = models.JSONField(_("grant types"), default=list, blank=True)
    allowed_scopes = models.JSONField(_("allowed scopes"), default=list, blank=True)
    default_scopes = models.JSONField(
        _("default scopes"),
        default=list,
        blank=True,
        help_text=_("Granted when a request names no scope; empty means all allowed scopes."),
    )
    jwks = models.JSONField(
        _("JWK Set"),
        default=dict,
        blank=True,
        help_text=_("The client's public keys (private_key_jwt, signed request objects)."),
    )
    jwks_uri = models.URLField(
        _("JWK Set URL"),
        max_length=MAX_CLIENT_ID_LENGTH,
        blank=True,
        help_text=_("Where its public keys are published, instead of a JWK Set here."),
    )
    dpop_bound_access_tokens = models.BooleanField(
        _("DPoP-bound access tokens"),
        default=False,
        help_text=_("Refuse token requests without a DPoP proof (RFC 9449 5.2)."),
    )
    require_pushed_authorization_requests = models.BooleanField(
        _("require pushed authorization requests"),
        default=False,
        help_text=_("Accept authorization requests only through PAR (RFC 9126 6)."),
    )
    rotate_refresh_tokens = models.BooleanField(
        _("rotate refresh tokens"),
        default=True,
        help_text=_("Issue a new refresh token at each use (FAPI 2.0 discourages it)."),
    )
    backchannel_logout_uri = models.URLField(
        _("back-channel logout URI"),
        max_length=2000,
        blank=True,
        help_text=_(
            "Where a logout token is POSTed when a user signs out (OIDC Back-Channel Logout)."
        ),
    )
    backchannel_logout_session_required = models.BooleanField(
        _("back-channel logout needs sid"), default=False
    )
    # RFC 8693 policy: the audiences (resources) and scopes it may obtain by exchange; empty
    # lists mean none (a client holding the grant still needs them named).
    token_exchange_audiences = models.JSONField(
        _("token exchange audiences"), default=list, blank=True
    )
    token_exchange_scopes = models.JSONField(_("token exchange scopes"), default=list, blank=True)
    allowed_resources = models.JSONField(
        _("allowed resources"),
        default=list,
        blank=True,
        help_text=_("Resources (RFC 8707) it may ask for; empty means every registered one."),
    )
    audience = models.CharField(
        _("audience"), max_length=255, blank=True, help_text=_("Empty means the global audience.")
    )
    access_token_lifetime = models.DurationField(_("access token lifetime"), null=True, blank=True)
    refresh_token_lifetime = models.DurationField(
        _("refresh token lifetime"), null=True, blank=True
    )
    skip_consent = models.BooleanField(
        _("skip consent"), default=False, help_text=_("For first-party apps only.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    deactivated_at = models.DateTimeField(
        _("last deactivated"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Access tokens issued until then stay refused, even after reactivation."),
    )
    can_introspect = models.BooleanField(
        _("may introspect"),
        default=False,
        help_text=_("A resource server: may introspect tokens issued to other clients."),
    )
    origin = models.CharField(
        _("registered by"),
        max_length=20,
        choices=Origin.choices,
        default=Origin.STAFF,
        editable=False,
        help_text=_("A client that registered itself is never pre-trusted."),
    )
    # RFC 7592: the hash of the token that reads, updates and deletes a dynamically registered client.
    registration_access_token_hash = models.CharField(max_length=128, blank=True, editable=False)
    # A self-registered client never used by then is deleted (REGISTRATION_UNUSED_LIFETIME).
    first_used_at = models.DateTimeField(_("first used"), null=True, blank=True, editable=False)
    # A client metadata document is fetched again after this (its HTTP caching, within bounds).
    metadata_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The client metadata (RFC 7591 2) as registered or fetched, including members kept only to
    # be returned (client_uri, logo_uri, contacts, ...).
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        indexes = [
            # The admin's filters and exact searches (ops/admin_lists.py).
            models.Index(fields=["name"], name="oauthcore_client_name"),
            models.Index(fields=["origin"], name="oauthcore_client_origin"),
            models.Index(fields=["client_type"], name="oauthcore_client_type"),
            models.Index(fields=["token_endpoint_auth_method"], name="oauthcore_client_auth"),
            models.Index(fields=["is_active"], name="oauthcore_client_active"),
            # Partial, so nearly empty: without them each query reads every client.
            # Every process reads these rows whenever the generation moves (deny-list).
            models.Index(
                fields=["client_id"],
                condition=Q(is_active=False) | Q(deactivated_at__isnull=False),
                name="oauthcore_client_cutoffs",
            ),
            # cleartokens walks the self-registered clients never used, oldest first.
            models.Index(
                fields=["created_at"],
                condition=Q(first_used_at__isnull=True) & ~Q(origin="staff"),
                name="oauthcore_client_unused",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        """Save in one transaction with what it revokes; every process honours it (generation.py).

        Switching ``is_active`` off refuses the client's tokens (``resource_server/denylist.py``);
        the conditional UPDATE detects the switch once, even with concurrent saves. A queryset ``update()``
        bypasses this: use ``save()`` or the admin.
        """
        self.match_auth_method()
        if self.is_self_registered:
            self.skip_consent = False  # only staff may vouch for a client
        now = timezone.now()
        with transaction.atomic():
            switched = bool(self.pk and not self.is_active) and (
                Client.objects.filter(pk=self.pk, is_active=True).update(
                    is_active=False, deactivated_at=now
                )
            )
            if switched:
                self.deactivated_at = now
            super().save(*args, **kwargs)
            if switched:
                self._withdraw_grants(now, by=getattr(self, "_deactivated_by", None))

    def clean(self) -> None:
        self.match_auth_method()

    def match_auth_method(self) -> None:
        """Fill an empty ``token_endpoint_auth_method`` from the client type, or check it fits.

        A public client authenticates with ``none``; a confidential one never does (RFC 6749 2.1).
        """
        none = self.TokenEndpointAuthMethod.NONE
        if not self.token_endpoint_auth_method:
            basic = self.TokenEndpointAuthMethod.CLIENT_SECRET_BASIC
            self.token_endpoint_auth_method = none if self.is_public else basic
        elif self.is_public != (self.token_endpoint_auth_method == none):
            message = _(
                "A public client authenticates with none, a confidential client never does."
            )
            raise ValidationError({"token_endpoint_auth_method": message})

    def _withdraw_grants(self, now: datetime, *, by=None) -> None:
        """Revoke the refresh tokens and spend the codes of a client just switched inactive.

        Its access tokens need no row: they are refused because the client is inactive (the
        save moved the generation, and every process's deny-list copy reads it).
        """
        tokens = RefreshToken.objects.filter(client=self)
        families = tokens.unrevoked_families()
        tokens.revoke(now)
        AuthorizationCode.objects.filter(client=self).spend(now)
        signals.client_deactivated.send(Client, client=self, by=by, families=len(families))

    @property
    def is_public(self) -> bool:
        return self.client_type == self.ClientType.PUBLIC

    @property
    def is_self_registered(self) -> bool:
        """Registered by the client itself (RFC 7591, or a metadata document): never pre-trusted."""
        return self.origin != self.Origin.STAFF

    @property
    def document_host(self) -> str:
        """The host serving the client's metadata document (its client_id URL), or ""."""
        if self.origin != self.Origin.METADATA_DOCUMENT:
            return ""
        return urlsplit(self.client_id).hostname or ""

    def allows_grant(self, grant_type: str) -> bool:
        return grant_type in self.grant_types

    def set_new_secret(self, *, keep_previous_for: timedelta | None = None) -> str:
        """Give the client a new secret and return it (the only time it is readable).

        With ``keep_previous_for``, the old secret keeps working that long, for rolling deployments.
        """
        raw = crypto.new_token()
        if keep_previous_for and self.secret_hash:
            self.previous_secret_hash = self.secret_hash
            self.previous_secret_expires_at = timezone.now() + keep_previous_for
        else:
            self.previous_secret_hash = ""
            self.previous_secret_expires_at = None
        self.secret_hash = crypto.hash_token(raw)
        # client_secret_jwt: the server computes the HMAC, so it must read the secret back.
        jwt_method = (
            self.token_endpoint_auth_method == self.TokenEndpointAuthMethod.CLIENT_SECRET_JWT
        )
        self.secret_ciphertext = crypto.encrypt_secret(raw) if jwt_method else ""
        return raw

    def check_secret(self, raw: str, *, now: datetime | None = None) -> bool:
        """Tell, in constant time, whether ``raw`` is this client's current (or rolling) secret.

        A secret that matches a hash stored under an older algorithm is stored again under the
        preferred one (``upgrade_secret_hash``).
        """
        current = crypto.matches(raw, self.secret_hash)
        previous = crypto.matches(raw, self.previous_secret_hash)
        expires = self.previous_secret_expires_at
        rolling = previous and expires is not None and (now or timezone.now()) < expires
        if current or rolling:
            self.upgrade_secret_hash("secret_hash" if current else "previous_secret_hash", raw)
        return current or rolling

    def upgrade_secret_hash(self, field: str, raw: str) -> bool:
        """Store ``raw`` again in ``field`` under the preferred algorithm if it names an older one.

        One conditional UPDATE, only then: a secret rotated meanwhile is never overwritten.
        Return whether the row changed.
        """
        stored = getattr(self, field)
        if self.pk is None or not crypto.needs_upgrade(stored):
            return False
        upgraded = crypto.hash_token(raw)
        if not Client.objects.filter(pk=self.pk, **{field: stored}).update(**{field: upgraded}):
            return False
        setattr(self, field, upgraded)
        return True

    def token_lifetime(self) -> timedelta:
        return self.access_token_lifetime or oauth_settings.ACCESS_TOKEN_LIFETIME

    def token_audience(self) -> str:
        return self.audience or oauth_settings.audience


class GrantQuerySet(models.QuerySet):
    def by_value(self, raw: str):
        """Rows whose hash is the hash of ``raw`` under any registered algorithm (or legacy hex)."""
        return self.filter(token_hash__in=crypto.stored_forms(raw))

    def lookup(self, raw: str, *related: str):
        """Return the row whose hash is the hash of the raw value ``raw``, or None (one query)."""
        return _one(self.by_value(raw).select_related(*related))

    def expired(self, now: datetime | None = None):
        return self.filter(expires_at__lte=now or timezone.now())


class AuthorizationCodeQuerySet(GrantQuerySet):
    def spend(self, now: datetime) -> int:
        """Mark the unused codes used, so none can be exchanged any more; return how many."""
        return self.filter(used_at__isnull=True).update(used_at=now)


class AuthorizationCode(models.Model):
    """A one-time code (RFC 6749 4.1.2) bound to client, user, redirect URI, scope and PKCE."""

    token_hash = models.CharField(max_length=128, unique=True)
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="+", verbose_name=_("client")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    redirect_uri = models.TextField(
        _("redirect URI"), blank=True, help_text=_("As sent; empty if the request named none.")
    )
    scope = models.TextField(_("scope"), blank=True)
    resources = models.JSONField(default=list, blank=True)  # granted (RFC 8707 2.1)
    code_challenge = models.CharField(max_length=128, blank=True)
    # RFC 9449 10: the JWK thumbprint the token request's DPoP proof must match; empty: any.
    dpop_jkt = models.CharField(max_length=64, blank=True)
    nonce = models.CharField(max_length=255, blank=True)
    auth_time = models.DateTimeField(null=True, blank=True)
    # The OpenID Connect session (``sid``) the user signed in with; empty without openid.
    session_id = models.CharField(max_length=64, blank=True, db_index=True)  # back-channel logout
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), db_index=True)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    # The refresh-token family and access token issued from this code, revoked if it is replayed.
    family_id = models.UUIDField(null=True, blank=True)
    access_token_jti = models.CharField(max_length=64, blank=True)
    access_token_expires_at = models.DateTimeField(null=True, blank=True)

    objects = AuthorizationCodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("authorization code")
        # Revoking a user's access to a client finds its codes by user and client.
        indexes = [models.Index(fields=["user", "client"], name="oauthcore_code_user_client")]

    def __str__(self) -> str:
        return f"code for {self.client_id} / user {self.user_id}"


class RefreshTokenQuerySet(GrantQuerySet):
    def live(self):
        return self.filter(rotated_at__isnull=True, revoked_at__isnull=True)

    def family(self, family_id):
        return self.filter(family_id=family_id)

    def unrevoked_families(self) -> set[uuid.UUID]:
        return set(self.filter(revoked_at__isnull=True).values_list("family_id", flat=True))

    def revoke(self, now: datetime) -> None:
        """Mark these refresh tokens revoked (each once: revoked_at keeps the first time)."""
        while self.filter(revoked_at__isnull=True).update(revoked_at=now):
            pass  # again: a rotation committing meanwhile may have added a member


class RefreshToken(models.Model):
    """One refresh token of a rotation family; a used one is kept to detect reuse (RFC 9700 4.14)."""

    token_hash = models.CharField(max_length=128, unique=True)
    family_id = models.UUIDField(_("family ID"), default=uuid.uuid4, db_index=True)
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="+", verbose_name=_("client")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    scope = models.TextField(_("scope"), blank=True)
    resources = models.JSONField(default=list, blank=True)  # granted (RFC 8707 2.2)
    auth_time = models.DateTimeField(null=True, blank=True)
    session_id = models.CharField(max_length=64, blank=True, db_index=True)  # OpenID Connect sid
    # RFC 9449 5: a public client's refresh token is bound to its DPoP key's thumbprint.
    dpop_jkt = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(
        _("expires"), db_index=True, help_text=_("End of the whole family.")
    )
    rotated_at = models.DateTimeField(_("rotated"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # The access token issued together with this refresh token, deny-listed if the family dies.
    access_token_jti = models.CharField(max_length=64, blank=True)
    access_token_expires_at = models.DateTimeField(null=True, blank=True)

    objects = RefreshTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("refresh token")
        # The connected-apps page and revoking a user's access find tokens by user and client;
        # the admin filters on revoked_at.
        indexes = [
            models.Index(fields=["user", "client"], name="oauthcore_rt_user_client"),
            models.Index(fields=["revoked_at"], name="oauthcore_rt_revoked_at"),
        ]

    def __str__(self) -> str:
        return f"refresh token of family {self.family_id}"


class PushedAuthorizationRequestQuerySet(models.QuerySet):
    def by_reference(self, reference: str):
        """Rows whose hash is the hash of ``reference`` (a request_uri's random part)."""
        return self.filter(reference_hash__in=crypto.stored_forms(reference))

    def usable(self, now: datetime):
        """Rows neither used nor expired at ``now``."""
        return self.filter(used_at__isnull=True, expires_at__gt=now)

    def expired(self, now: datetime | None = None):
        return self.filter(expires_at__lte=now or timezone.now())


class PushedAuthorizationRequest(models.Model):
    """An authorization request a client pushed (RFC 9126 2), until it is used or expires."""

    # The hash of the random part of its request_uri (urn:ietf:params:oauth:request_uri:...).
    reference_hash = models.CharField(max_length=128, unique=True)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    parameters = models.JSONField(help_text=_("The pushed parameters, each a list of values."))
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    objects = PushedAuthorizationRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("pushed authorization request")

    def __str__(self) -> str:
        return f"pushed request of {self.client_id}"


class DeviceAuthorization(models.Model):
    """A device authorization request (RFC 8628 3.1-3.5), until its device code is redeemed."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        DENIED = "denied", _("Denied")

    device_code_hash = models.CharField(max_length=128, unique=True)
    # The user code as people type it, normalized (no separator, upper case); unique while live.
    user_code = models.CharField(max_length=32, db_index=True)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    scope = models.TextField(blank=True)
    resources = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    interval = models.PositiveIntegerField(default=5)  # seconds between polls; grows on slow_down
    last_polled_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    redeemed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("device authorization")

    def __str__(self) -> str:
        return f"device authorization of {self.client_id}"


class TokenExchange(models.Model):
    """An access token issued by token exchange (RFC 8693), and the token it was exchanged from,
    so that revoking the subject token's family revokes it too."""

    issued_jti = models.CharField(max_length=64, unique=True)
    issued_expires_at = models.DateTimeField(db_index=True)
    subject_jti = models.CharField(max_length=64, db_index=True)
    # The refresh-token family the subject token came from, when it came from one.
    subject_family_id = models.UUIDField(null=True, blank=True, db_index=True)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("token exchange")

    def __str__(self) -> str:
        return f"exchange {self.subject_jti} -> {self.issued_jti}"


class ConsentQuerySet(models.QuerySet):
    def lookup(self, *, user, client) -> Consent | None:
        """Return what ``user`` granted ``client``, or None (one query)."""
        return _one(self.filter(user=user, client=client))


class Consent(models.Model):
    """The scopes a user granted a client; the consent screen asks only for what is new."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="oauth_consents",
        verbose_name=_("user"),
    )
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="consents", verbose_name=_("client")
    )
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent")
        constraints = [
            models.UniqueConstraint(fields=["user", "client"], name="oauthcore_consent_user_client")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.client}"

    def covers(self, names: list[str]) -> bool:
        return set(names) <= set(self.scopes)


class RevokedAccessToken(models.Model):
    """A deny-listed access token ``jti``, kept until the token would have expired anyway."""

    jti = models.CharField(_("JWT ID"), max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires"), db_index=True)
    revoked_at = models.DateTimeField(_("revoked"), default=timezone.now)
    # The ``Generation`` that recorded it: processes load only rows newer than their copy.
    generation = models.BigIntegerField(default=0, db_index=True)

    class Meta:
        verbose_name = _("revoked access token")

    def __str__(self) -> str:
        return self.jti


class SpentIdentifier(models.Model):
    """A one-time identifier already used (a DPoP proof's or a client assertion's ``jti``).

    Kept until the proof or assertion it came from can no longer be accepted anyway. Used when
    the default cache is not shared by every process (``single_use.py``); the primary key is a
    digest of the namespace and the value, so a second insert of the same one fails.
    """

    key = models.CharField(max_length=64, primary_key=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("spent identifier")

    def __str__(self) -> str:
        return self.key


class InitialAccessTokenQuerySet(models.QuerySet):
    def usable(self, now: datetime | None = None) -> InitialAccessTokenQuerySet:
        now = now or timezone.now()
        unexpired = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        uses_left = Q(remaining_uses__isnull=True) | Q(remaining_uses__gt=0)
        return self.filter(unexpired & uses_left)

    def by_value(self, raw: str) -> InitialAccessTokenQuerySet:
        return self.filter(token_hash=crypto.hash_token(raw))


class InitialAccessToken(models.Model):
    """A token that lets a client register itself when REGISTRATION is "token" (RFC 7591 3)."""

    token_hash = models.CharField(max_length=128, unique=True, editable=False)
    description = models.CharField(_("description"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    remaining_uses = models.PositiveIntegerField(
        _("remaining uses"), null=True, blank=True, help_text=_("Empty means unlimited.")
    )

    objects = InitialAccessTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("initial access token")
        verbose_name_plural = _("initial access tokens")

    def __str__(self) -> str:
        return self.description or f"#{self.pk}"


class DeletedClient(models.Model):
    """The client_id of a deleted client, kept until every access token it got has expired."""

    client_id = models.CharField(max_length=MAX_CLIENT_ID_LENGTH, db_index=True)
    deleted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("deleted client")

    def __str__(self) -> str:
        return self.client_id


class Generation(models.Model):
    """A counter moved by every change each server process must honour (``generation.py``).

    One row: a revocation, a client saved or deleted, a consent deleted, a signing key changed.
    """

    value = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("generation")

    def __str__(self) -> str:
        return str(self.value)


class SigningKeyQuerySet(models.QuerySet):
    def published(self, now: datetime | None = None):
        """Keys whose public half belongs in the JWKS: next, active, and retired until they expire."""
        now = now or timezone.now()
        return self.filter(
            Q(state__in=["next", "active"]) | Q(state="retired", expires_at__gt=now)
        ).order_by("-created_at")


class SigningKey(models.Model):
    """A private key that signs tokens. ``next`` is published before it signs; ``retired`` after."""

    class State(models.TextChoices):
        NEXT = "next", _("Next (published, not signing yet)")
        ACTIVE = "active", _("Active (signing)")
        RETIRED = "retired", _("Retired (published until its tokens expire)")

    class Algorithm(models.TextChoices):
        RS256 = "RS256", "RS256"
        PS256 = "PS256", "PS256"
        ES256 = "ES256", "ES256"
        EDDSA = "EdDSA", "EdDSA"

    kid = models.CharField(_("key ID"), max_length=64, unique=True)
    algorithm = models.CharField(_("algorithm"), max_length=10, choices=Algorithm.choices)
    private_key = models.TextField(help_text=_("PEM, PKCS#8."), editable=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ACTIVE)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)
    expires_at = models.DateTimeField(
        _("expires"), null=True, blank=True, help_text=_("When a retired key leaves the JWKS.")
    )

    objects = SigningKeyQuerySet.as_manager()

    class Meta:
        verbose_name = _("signing key")
        constraints = [
            models.UniqueConstraint(
                fields=["state"], condition=Q(state="active"), name="oauthcore_one_active_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kid} ({self.algorithm}, {self.state})"


class AuditEvent(models.Model):
    """One security event, recorded from oauthcore's signals when ``AUDIT_LOG`` is on (audit.py)."""

    event = models.CharField(_("event"), max_length=50, db_index=True)
    client = models.ForeignKey(
        Client,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("client"),
    )
    client_identifier = models.CharField(
        _("client ID"),
        max_length=MAX_CLIENT_ID_LENGTH,
        blank=True,
        help_text=_("Kept if the client is deleted."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The user the event concerns, or the staff user who acted."),
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("audit event")
        # The admin's exact searches (ops/admin_lists.py).
        indexes = [
            models.Index(fields=["client_identifier"], name="oauthcore_audit_client"),
            models.Index(fields=["ip"], name="oauthcore_audit_ip"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.client_identifier}".strip()
