from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_batch_upload_reason_codes"),
    ]

    operations = [
        migrations.RemoveField(model_name="batchupload", name="result_csv"),
    ]
