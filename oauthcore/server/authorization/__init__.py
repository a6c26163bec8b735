"""The authorization request (RFC 6749 4.1.1) and what it yields (RFC 6749 4.1.2).

``resolve`` reads the parameters a request really has (pushed: RFC 9126; a request object:
RFC 9101); ``find_target`` verifies the client and redirect URI (errors: the error page);
``validate`` runs the table of checks in ``checks.py`` (errors: to the client); then the consent
it needs and the one-time code; ``complete`` consumes a pushed request when it is answered.
Parameters arrive as ``dict[str, list[str]]``, so repetitions show.
"""

from oauthcore.server.authorization.checks import AUTHORIZE, DEVICE, PAR, STEPS, Context, Step
from oauthcore.server.authorization.codes import issue_code
from oauthcore.server.authorization.consent import (
    CONSENT_MAX_AGE,
    CONSENT_SALT,
    consent_needed,
    record_consent,
    seal,
    unseal,
)
from oauthcore.server.authorization.params import Params
from oauthcore.server.authorization.request import AuthorizationRequest, validate
from oauthcore.server.authorization.resolution import Resolved, complete, resolve
from oauthcore.server.authorization.target import Target, find_target

__all__ = [
    "AUTHORIZE",
    "CONSENT_MAX_AGE",
    "CONSENT_SALT",
    "DEVICE",
    "PAR",
    "STEPS",
    "AuthorizationRequest",
    "Context",
    "Params",
    "Resolved",
    "Step",
    "Target",
    "complete",
    "consent_needed",
    "find_target",
    "issue_code",
    "record_consent",
    "resolve",
    "seal",
    "unseal",
    "validate",
]
