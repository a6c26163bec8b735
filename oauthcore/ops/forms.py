"""Admin forms: a client edited as checkboxes and lines, validated by ``oauthcore.server.registration``."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from oauthcore import crypto, profiles, scopes
from oauthcore.errors import InvalidClientMetadata
from oauthcore.models import Client, SigningKey
from oauthcore.server import client_metadata, registration, resources


class RedirectURIsField(forms.CharField):
    """Redirect URIs as a textarea, one per line; each one checked for registration."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 80})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(value)
        return value

    def to_python(self, value) -> list[str]:
        if isinstance(value, list | tuple):
            return list(value)
        lines = (line.strip() for line in (value or "").splitlines())
        return list(dict.fromkeys(line for line in lines if line))

    def validate(self, value) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        errors = []
        for uri in value:
            try:
                registration.validate_redirect_uri(uri)
            except InvalidClientMetadata as e:
                errors.append(forms.ValidationError(str(e), code="invalid"))
        if errors:
            raise forms.ValidationError(errors)


def scope_choices(current: list[str]) -> list[tuple[str, str]]:
    """Return the registered scopes, plus stored ones no longer registered (to be unticked)."""
    registered = scopes.registered()
    choices = [(name, f"{name} — {text}") for name, text in registered.items()]
    stale = [name for name in current if name not in registered]
    return choices + [(name, f"{name} — {_('not registered')}") for name in stale]


def resource_choices(current: list[str]) -> list[tuple[str, str]]:
    """Return the registered resources (RFC 8707), plus stored ones no longer registered."""
    registered = resources.registered()
    stale = [name for name in current if name not in registered]
    return [(name, name) for name in registered] + [
        (name, f"{name} — {_('not registered')}") for name in stale
    ]


class ClientForm(forms.ModelForm):
    """Edit a client; the secret is never a field (see ``ClientAdmin``)."""

    client_id = forms.CharField(
        label=_("client ID"),
        required=False,
        max_length=100,
        help_text=_("Leave empty to generate one."),
    )
    grant_types = forms.MultipleChoiceField(
        label=_("grant types"),
        choices=Client.GrantType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    redirect_uris = RedirectURIsField(
        label=_("redirect URIs"),
        required=False,
        help_text=_("One per line, matched exactly. https, or http on a loopback host only."),
    )
    post_logout_redirect_uris = RedirectURIsField(
        label=_("post-logout redirect URIs"),
        required=False,
        help_text=_("OpenID Connect logout: one per line, matched exactly."),
    )
    jwks_uri = forms.URLField(
        label=_("JWK Set URL"),
        required=False,
        max_length=2000,
        assume_scheme="https",
        help_text=_("Where its public keys are published, instead of a JWK Set here."),
    )
    allowed_scopes = forms.MultipleChoiceField(
        label=_("allowed scopes"), required=False, widget=forms.CheckboxSelectMultiple
    )
    default_scopes = forms.MultipleChoiceField(
        label=_("default scopes"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Granted when a request names no scope; empty means all allowed scopes."),
    )
    allowed_resources = forms.MultipleChoiceField(
        label=_("allowed resources"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Resources (RFC 8707) it may ask for; none ticked means every registered one."),
    )
    token_exchange_audiences = forms.MultipleChoiceField(
        label=_("token exchange audiences"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Resources it may obtain tokens for by token exchange (RFC 8693); none: none."),
    )
    token_exchange_scopes = forms.MultipleChoiceField(
        label=_("token exchange scopes"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Scopes an exchanged token may carry (within the subject token's); none: none."
        ),
    )

    class Meta:
        model = Client
        fields = [
            "name",
            "client_id",
            "client_type",
            "token_endpoint_auth_method",
            "jwks",
            "jwks_uri",
            "grant_types",
            "redirect_uris",
            "post_logout_redirect_uris",
            "backchannel_logout_uri",
            "backchannel_logout_session_required",
            "allowed_scopes",
            "default_scopes",
            "allowed_resources",
            "token_exchange_audiences",
            "token_exchange_scopes",
            "skip_consent",
            "can_introspect",
            "require_pushed_authorization_requests",
            "dpop_bound_access_tokens",
            "rotate_refresh_tokens",
            "is_active",
            "audience",
            "access_token_lifetime",
            "refresh_token_lifetime",
            "metadata",
        ]
        # Checked by the registration rules in clean(), like dynamic registration's member.
        field_classes = {"backchannel_logout_uri": forms.CharField}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        stored = self.instance.allowed_scopes + self.instance.default_scopes
        choices = scope_choices(list(dict.fromkeys(stored)))
        self.fields["allowed_scopes"].choices = choices
        self.fields["default_scopes"].choices = choices
        self.fields["allowed_resources"].choices = resource_choices(self.instance.allowed_resources)
        exchange = self.fields["token_exchange_audiences"]
        exchange.choices = resource_choices(self.instance.token_exchange_audiences)
        self.fields["token_exchange_scopes"].choices = scope_choices(
            self.instance.token_exchange_scopes
        )
        self.fields["token_endpoint_auth_method"].choices = [
            ("", _("The default for the client type")),
            *Client.TokenEndpointAuthMethod.choices,
        ]
        if self.instance.is_self_registered:  # Client.save() forces it off anyway
            self.fields["skip_consent"].disabled = True
            self.fields["skip_consent"].help_text = _("Never for a client that registered itself.")
        if not self.instance.pk:  # a new client: the security profile's default (FAPI 2.0: off)
            self.initial.setdefault(
                "rotate_refresh_tokens", profiles.active().rotate_refresh_tokens
            )
        if self.instance.pk:
            self.fields["client_id"].disabled = True
            self.fields["client_id"].help_text = ""

    def clean_client_id(self) -> str:
        client_id = self.cleaned_data["client_id"].strip() or crypto.new_client_id()
        if not self.instance.pk:
            try:
                registration.validate_client_id(client_id)
            except InvalidClientMetadata as e:
                raise forms.ValidationError(str(e)) from e
        taken = Client.objects.filter(client_id=client_id).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("A client with this client ID already exists."))
        return client_id

    def clean_allowed_resources(self) -> list[str]:
        names = self.cleaned_data["allowed_resources"]
        registered = resources.registered()
        if unknown := [name for name in names if name not in registered]:
            message = _("Not registered in OAUTHCORE['RESOURCES']: %s.") % " ".join(unknown)
            raise forms.ValidationError(message)
        return names

    def clean(self) -> dict:
        data = super().clean()
        allowed = data.get("allowed_scopes") or []
        if extra := [s for s in data.get("default_scopes") or [] if s not in allowed]:
            self.add_error("default_scopes", _("Not allowed: %s.") % " ".join(extra))
        if self.errors:
            return data
        if "client_type" in self.changed_data and (
            "token_endpoint_auth_method" not in self.changed_data
        ):
            data["token_endpoint_auth_method"] = ""  # the new type's default, not the old type's
        try:  # the rules of dynamic registration and createclient (RFC 7591 2)
            application_type = client_metadata.check_stored(data.get("metadata") or {})
            registration.validate(
                client_type=data["client_type"],
                token_endpoint_auth_method=data.get("token_endpoint_auth_method") or "",
                grant_types=data["grant_types"],
                redirect_uris=data["redirect_uris"],
                scope_names=allowed,
                post_logout_redirect_uris=data.get("post_logout_redirect_uris") or [],
                application_type=application_type,
                self_registered=self.instance.is_self_registered,
                token_exchange_audiences=data.get("token_exchange_audiences") or [],
                token_exchange_scopes=data.get("token_exchange_scopes") or [],
            )
            method = data.get("token_endpoint_auth_method") or ""
            jwks, jwks_uri = data.get("jwks") or {}, data.get("jwks_uri") or ""
            registration.validate_keys(method, jwks, jwks_uri)  # RFC 7523 private_key_jwt
            data["jwks"], data["jwks_uri"] = jwks, jwks_uri
            data["backchannel_logout_uri"] = registration.validate_backchannel_logout_uri(
                data.get("backchannel_logout_uri") or ""
            )  # OIDC Back-Channel Logout 2.2
        except InvalidClientMetadata as e:
            raise forms.ValidationError(str(e)) from e
        return data


KEEP_PREVIOUS_CHOICES = [
    ("0", _("No: the old secret stops working now")),
    ("3600", _("1 hour")),
    ("86400", _("1 day")),
    ("604800", _("7 days")),
]


class RotateSecretForm(forms.Form):
    """Ask how long the old secret keeps working after a rotation."""

    keep_previous_for = forms.TypedChoiceField(
        label=_("Keep the old secret valid for"),
        choices=KEEP_PREVIOUS_CHOICES,
        coerce=int,
        initial="0",
    )

    def grace_period(self) -> timedelta | None:
        seconds = self.cleaned_data["keep_previous_for"]
        return timedelta(seconds=seconds) if seconds else None


class RotateKeyForm(forms.Form):
    """Choose the algorithm of the new signing key."""

    algorithm = forms.ChoiceField(
        label=_("Algorithm"),
        choices=[("", _("Default (SIGNING_ALGORITHM)")), *SigningKey.Algorithm.choices],
        required=False,
    )
