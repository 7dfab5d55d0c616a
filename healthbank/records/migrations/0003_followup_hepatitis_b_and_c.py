from django.db import migrations, models


def split_hepatitis(apps, schema_editor):
    # Before this migration only hepatitis B carriers were followed (the generator made no HCV follow-ups).
    apps.get_model("records", "FollowUp").objects.filter(program="hepatitis").update(program="hepatitis_b")


def join_hepatitis(apps, schema_editor):
    apps.get_model("records", "FollowUp").objects.filter(program__in=["hepatitis_b", "hepatitis_c"]).update(
        program="hepatitis"
    )


class Migration(migrations.Migration):
    """Hepatitis B and C follow-ups are separate programmes with their own labs (issue 7)."""

    dependencies = [
        ("records", "0002_alter_visitdiagnosis_options"),
    ]

    operations = [
        migrations.AlterField(
            model_name="followup",
            name="program",
            field=models.CharField(
                choices=[
                    ("diabetes", "糖尿病 Diabetes"),
                    ("ckd_early", "初期慢性腎病 Early CKD"),
                    ("hepatitis_b", "B型肝炎 Hepatitis B"),
                    ("hepatitis_c", "C型肝炎 Hepatitis C"),
                ],
                max_length=12,
            ),
        ),
        migrations.RunPython(split_hepatitis, join_hepatitis),
    ]
