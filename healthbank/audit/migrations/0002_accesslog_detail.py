from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="accesslog",
            name="detail",
            field=models.CharField(
                blank=True,
                default="",
                help_text="record type (app.model) or ID document code; a code, never free text",
                max_length=40,
                verbose_name="detail",
            ),
            preserve_default=False,
        ),
    ]
