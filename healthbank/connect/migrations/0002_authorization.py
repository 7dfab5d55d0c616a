import django.db.models.deletion
import healthbank.core.ids
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("connect", "0001_initial"),
        ("oauth2_provider", "0022_refreshtoken_token_family_index"),
    ]

    operations = [
        migrations.CreateModel(
            name='Authorization',
            fields=[
                ('id', models.UUIDField(default=healthbank.core.ids.new_public_id, editable=False, primary_key=True, serialize=False)),
                ('acr', models.CharField(max_length=64, verbose_name='how the person logged in')),
                ('auth_time', models.DateTimeField(verbose_name='logged in at')),
                ('code', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='authorization', to=settings.OAUTH2_PROVIDER_GRANT_MODEL, verbose_name='code')),
            ],
            options={
                'verbose_name': 'authorization',
                'verbose_name_plural': 'authorizations',
            },
        ),
    ]
