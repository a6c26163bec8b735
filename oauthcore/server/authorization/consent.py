"""The user's consent: which scopes still need asking, recording it, and the sealed form."""

from __future__ import annotations

from django.core import signing
from django.db import transaction

from oauthcore import adapter, errors, signals
from oauthcore.models import Client, Consent
from oauthcore.server.authorization.params import Params
from oauthcore.server.authorization.request import AuthorizationRequest

CONSENT_SALT = "oauthcore.authorization.consent"  # unchanged by the move: forms stay valid
CONSENT_MAX_AGE = 600  # seconds a consent form stays valid


def consent_needed(request: AuthorizationRequest, user) -> tuple[list[str], list[str]]:
    """Return (already granted, to ask) among the requested scopes; nothing to ask skips the screen.

    A self-registered client is never pre-trusted, whatever its row or the adapter say.
    """
    client, names = request.client, request.scopes
    trusted = not client.is_self_registered
    if trusted and adapter.get_adapter().should_skip_consent(
        client=client, user=user, scopes=names
    ):
        return names, []
    if "consent" in request.prompt:
        return [], names
    consent = Consent.objects.lookup(user=user, client=client)
    known = set(consent.scopes) if consent else set()
    return [n for n in names if n in known], [n for n in names if n not in known]


def record_consent(*, user, client: Client, names: list[str]) -> None:
    """Merge ``names`` into the user's consent for ``client``."""
    if not names:
        return
    with transaction.atomic():
        consent, created = Consent.objects.select_for_update().get_or_create(
            user=user, client=client, defaults={"scopes": list(dict.fromkeys(names))}
        )
        if not created:
            consent.scopes = list(dict.fromkeys([*consent.scopes, *names]))
            consent.save(update_fields=["scopes", "updated_at"])
    signals.consent_granted.send(Consent, client=client, user=user, scopes=names, consent=consent)


def seal(params: Params, user) -> str:
    """Sign the request parameters for the consent form, bound to ``user`` (never trust the browser)."""
    return signing.dumps({"p": params, "u": str(user.pk)}, salt=CONSENT_SALT, compress=True)


def unseal(blob: str, user) -> Params:
    """Return the parameters sealed for ``user``, or raise ``InvalidRequest`` if altered or expired."""
    try:
        data = signing.loads(blob, salt=CONSENT_SALT, max_age=CONSENT_MAX_AGE)
    except (signing.BadSignature, ValueError, UnicodeError) as e:
        raise errors.InvalidRequest("This consent form has expired or was altered.") from e
    if not isinstance(data, dict) or data.get("u") != str(user.pk):
        raise errors.InvalidRequest("This consent form belongs to another session.")
    return data["p"]
