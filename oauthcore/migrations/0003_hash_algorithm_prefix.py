"""Stored hashes name their algorithm: ``<hex>`` becomes ``sha256$<hex>`` (crypto.py).

The hash columns widen to 128 characters, room for a longer algorithm than SHA-256. Going
back strips the prefix again (values stored under another algorithm than sha256 would not fit
the old columns: keep them, or delete those rows, before migrating back).
"""

from django.db import migrations, models
from django.db.models import Value
from django.db.models.functions import Concat, Substr

PREFIX = "sha256$"
# (model, hash fields) of every stored hash
HASH_FIELDS = [
    ("Client", ["secret_hash", "previous_secret_hash"]),
    ("AuthorizationCode", ["token_hash"]),
    ("RefreshToken", ["token_hash"]),
]


def add_prefix(apps, schema_editor):
    for model_name, fields in HASH_FIELDS:
        manager = apps.get_model("oauthcore", model_name)._base_manager
        for field in fields:
            legacy = manager.exclude(**{field: ""}).exclude(**{f"{field}__contains": "$"})
            legacy.update(**{field: Concat(Value(PREFIX), field)})


def strip_prefix(apps, schema_editor):
    for model_name, fields in HASH_FIELDS:
        manager = apps.get_model("oauthcore", model_name)._base_manager
        for field in fields:
            prefixed = manager.filter(**{f"{field}__startswith": PREFIX})
            prefixed.update(**{field: Substr(field, len(PREFIX) + 1)})


class Migration(migrations.Migration):

    dependencies = [
        ("oauthcore", "0002_sync_generation"),
    ]

    operations = [
        migrations.AlterField(
            model_name="client",
            name="secret_hash",
            field=models.CharField(blank=True, editable=False, max_length=128, verbose_name="secret hash"),
        ),
        migrations.AlterField(
            model_name="client",
            name="previous_secret_hash",
            field=models.CharField(blank=True, editable=False, max_length=128),
        ),
        migrations.AlterField(
            model_name="authorizationcode",
            name="token_hash",
            field=models.CharField(max_length=128, unique=True),
        ),
        migrations.AlterField(
            model_name="refreshtoken",
            name="token_hash",
            field=models.CharField(max_length=128, unique=True),
        ),
        migrations.RunPython(add_prefix, strip_prefix),
    ]
