from django.db import migrations, models


class Migration(migrations.Migration):
    """The stored premium rate was always per ten thousand (517 = 5.17 %), never per mille: name it so."""

    dependencies = [
        ("insurance", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(
            model_name="premiumcalculation",
            old_name="rate_per_mille",
            new_name="rate_per_ten_thousand",
        ),
        migrations.AlterField(
            model_name="premiumcalculation",
            name="rate_per_ten_thousand",
            field=models.PositiveSmallIntegerField(help_text="premium rate ‱ (per ten thousand), e.g. 517 = 5.17 %"),
        ),
    ]
