from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("oauthcore", "0002_oidc"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="authorizationcode",
            index=models.Index(fields=["user", "client"], name="oauthcore_code_user_client"),
        ),
        migrations.AddIndex(
            model_name="refreshtoken",
            index=models.Index(fields=["user", "client"], name="oauthcore_rt_user_client"),
        ),
    ]
