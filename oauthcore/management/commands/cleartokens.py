"""Delete what has expired: ``cleartokens [--batch-size N]`` (safe to run from cron on many hosts)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from oauthcore.conf import oauth_settings
from oauthcore.jose import keyring
from oauthcore.models import (
    AuditEvent,
    AuthorizationCode,
    Client,
    DeviceAuthorization,
    PushedAuthorizationRequest,
    RefreshToken,
    RevokedAccessToken,
    SigningKey,
    SpentIdentifier,
    TokenExchange,
)


def delete_in_batches(queryset, batch_size: int) -> int:
    """Delete the rows of ``queryset`` a batch at a time; return how many this run deleted.

    Each batch is a short statement on primary keys, so concurrent runs only ever find fewer
    rows to delete and never wait on each other for long.
    """
    total = 0
    while True:
        batch = list(queryset.values_list("pk", flat=True)[:batch_size])
        if not batch:
            return total
        deleted, _ = queryset.filter(pk__in=batch).delete()  # its conditions checked again
        total += deleted


class Command(BaseCommand):
    help = (
        "Delete expired authorization codes, refresh-token families, pushed authorization "
        "requests, deny-list entries, token exchange records, spent one-time identifiers, "
        "retired signing keys whose tokens have all expired, audit events older than "
        "AUDIT_LOG_RETENTION, and self-registered clients never used within "
        "REGISTRATION_UNUSED_LIFETIME."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000, help="Rows per DELETE.")

    def handle(self, *args, batch_size=1000, **options):
        now = timezone.now()
        targets = {
            "authorization codes": AuthorizationCode.objects.expired(now),
            "refresh tokens": RefreshToken.objects.expired(now),
            "pushed authorization requests": PushedAuthorizationRequest.objects.expired(now),
            "revoked access tokens": RevokedAccessToken.objects.filter(expires_at__lte=now),
            "token exchanges": TokenExchange.objects.filter(issued_expires_at__lte=now),
            "signing keys": SigningKey.objects.filter(
                state=SigningKey.State.RETIRED, expires_at__lte=now
            ),
            "unused self-registered clients": Client.objects.exclude(
                origin=Client.Origin.STAFF
            ).filter(
                first_used_at__isnull=True,
                created_at__lte=now - oauth_settings.REGISTRATION_UNUSED_LIFETIME,
            ),
            "device authorizations": DeviceAuthorization.objects.filter(expires_at__lte=now),
            "spent identifiers": SpentIdentifier.objects.filter(expires_at__lte=now),
            "audit events": AuditEvent.objects.filter(
                created_at__lte=now - oauth_settings.AUDIT_LOG_RETENTION
            ),
        }
        counts = {name: delete_in_batches(qs, max(1, batch_size)) for name, qs in targets.items()}
        keyring.forget()
        self.stdout.write(
            "Deleted " + ", ".join(f"{count} {name}" for name, count in counts.items()) + "."
        )
