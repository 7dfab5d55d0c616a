"""Batch results as reason codes in the upload's language; earlier results keep their written reasons."""

import csv
import io

from django.db import migrations, models


def codes_from_written_results(apps, schema_editor):
    BatchUpload = apps.get_model("accounts", "BatchUpload")
    for upload in BatchUpload.objects.all():
        rows = list(csv.reader(io.StringIO(upload.result_csv)))
        if not rows:
            continue
        header, body = rows[0], rows[1:]
        upload.language = "en" if header and header[0] == "row" else "zh-hant"
        upload.results = [
            {
                "row": int(cells[0]) if cells[0].isdigit() else number,
                "id": cells[1] if len(cells) > 1 else "",
                "reasons": ["legacy"] if len(cells) > 3 and cells[3] else [],
                "params": {"text": cells[3]} if len(cells) > 3 and cells[3] else {},
            }
            for number, cells in enumerate(body, 1)
            if cells
        ]
        upload.save(update_fields=["language", "results"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_outbox_email_and_applying_unit"),
    ]

    operations = [
        migrations.AddField(
            model_name="batchupload",
            name="language",
            field=models.CharField(
                default="zh-hant", help_text="the uploader's: the result file is written in it", max_length=8
            ),
        ),
        migrations.AddField(
            model_name="batchupload",
            name="results",
            field=models.JSONField(
                default=list, help_text="per row: row, masked ID, reason codes (none: accepted) — never full IDs"
            ),
        ),
        migrations.RunPython(codes_from_written_results, migrations.RunPython.noop),
    ]
