from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0002_target_outcome_note"),
    ]

    operations = [
        migrations.AddField(
            model_name="slice",
            name="manifest_meta",
            field=models.JSONField(
                blank=True, default=dict, help_text="the manifest's header as delivered"
            ),
        ),
    ]
