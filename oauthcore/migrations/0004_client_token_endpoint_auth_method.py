# The table of client authentication methods (oauthcore.server.client_auth) is keyed by this field.

from django.db import migrations, models

PUBLIC = "public"


def fill_auth_methods(apps, schema_editor):
    """Give existing clients the method they used: public ones none, others client_secret_basic."""
    Client = apps.get_model("oauthcore", "Client")
    unset = Client.objects.filter(token_endpoint_auth_method="")
    unset.filter(client_type=PUBLIC).update(token_endpoint_auth_method="none")
    unset.exclude(client_type=PUBLIC).update(token_endpoint_auth_method="client_secret_basic")


class Migration(migrations.Migration):

    dependencies = [
        ("oauthcore", "0003_hash_algorithm_prefix"),
    ]

    operations = [
        migrations.AddField(
            model_name="client",
            name="token_endpoint_auth_method",
            field=models.CharField(
                blank=True,
                choices=[
                    ("client_secret_basic", "Client secret, HTTP Basic"),
                    ("client_secret_post", "Client secret, in the form"),
                    ("none", "None (public client)"),
                ],
                help_text="Public clients use none; confidential ones a secret. Empty: the default for the type.",
                max_length=40,
                verbose_name="token endpoint authentication method",
            ),
        ),
        migrations.RunPython(fill_auth_methods, migrations.RunPython.noop, elidable=True),
    ]
