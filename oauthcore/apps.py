import importlib.util

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OAuthCoreConfig(AppConfig):
    name = "oauthcore"
    verbose_name = _("OAuth server")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.exceptions import ImproperlyConfigured

        from oauthcore import generation
        from oauthcore.contrib.rest_framework import checks as drf_checks  # noqa: F401
        from oauthcore.models import SigningKey
        from oauthcore.oidc import backchannel, logins
        from oauthcore.ops import audit as oauthcore_audit
        from oauthcore.ops import (
            checks,  # registers the system checks
            request_context,
        )
        from oauthcore.ops import logging as oauthcore_logging
        from oauthcore.server import client_auth, metadata_documents, revocation

        if found := checks.cache_error():  # Django's own cache checks would crash on it first
            raise ImproperlyConfigured(found)
        client_auth.connect()  # a saved client is read afresh by every process
        metadata_documents.connect()  # an expired client metadata document is fetched again
        generation.connect(SigningKey)  # a key saved or deleted is reread by every process
        revocation.connect()  # a deleted client or consent takes its tokens along
        logins.connect()  # each session's sign-in time, for auth_time and max_age
        backchannel.connect()  # logout tokens to the clients of a session that signs out
        request_context.connect()  # the client's address, for logs and audit rows
        oauthcore_logging.connect()  # structured logs of the signals
        oauthcore_audit.connect()  # AuditEvent rows of the signals, when AUDIT_LOG is on
        if importlib.util.find_spec("drf_spectacular") is not None:
            from oauthcore.contrib import drf_spectacular  # noqa: F401 - the OpenAPI extension
