"""Indexes for the admin's filters and exact searches, so its lists stay fast on big tables."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('oauthcore', '0011_spent_identifiers'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['client_identifier'], name='oauthcore_audit_client'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['ip'], name='oauthcore_audit_ip'),
        ),
        migrations.AddIndex(
            model_name='client',
            index=models.Index(fields=['name'], name='oauthcore_client_name'),
        ),
        migrations.AddIndex(
            model_name='client',
            index=models.Index(fields=['origin'], name='oauthcore_client_origin'),
        ),
        migrations.AddIndex(
            model_name='client',
            index=models.Index(fields=['client_type'], name='oauthcore_client_type'),
        ),
        migrations.AddIndex(
            model_name='client',
            index=models.Index(fields=['token_endpoint_auth_method'], name='oauthcore_client_auth'),
        ),
        migrations.AddIndex(
            model_name='client',
            index=models.Index(fields=['is_active'], name='oauthcore_client_active'),
        ),
        migrations.AddIndex(
            model_name='refreshtoken',
            index=models.Index(fields=['revoked_at'], name='oauthcore_rt_revoked_at'),
        ),
    ]
