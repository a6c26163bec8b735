from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OAuthCoreConfig(AppConfig):
    name = "oauthcore"
    verbose_name = _("OAuth server")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from oauthcore import checks  # noqa: F401 - registers the system checks
        from oauthcore.contrib.rest_framework import checks as drf_checks  # noqa: F401
