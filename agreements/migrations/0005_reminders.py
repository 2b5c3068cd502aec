# Owned by the reminders work (issue 6). Add operations here; keep the dependency chain.
from django.db import migrations, models

import agreements.models.reminders


class Migration(migrations.Migration):
    dependencies = [("agreements", "0004_documents")]
    operations = [
        migrations.AddField(
            model_name="reminderpolicy",
            name="catch_up_days",
            field=models.PositiveSmallIntegerField(
                default=7,
                help_text="Un promemoria dovuto in questi ultimi giorni e non ancora creato viene creato alla scansione.",
                verbose_name="recupero dopo un'interruzione (giorni)",
            ),
        ),
        migrations.AddField(
            model_name="reminderpolicy",
            name="notice_thresholds",
            field=models.JSONField(
                default=agreements.models.reminders.default_notice_thresholds,
                verbose_name="soglie per il termine di disdetta (giorni prima)",
            ),
        ),
        migrations.AddField(
            model_name="reminder",
            name="scan",
            field=models.UUIDField(blank=True, db_index=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(
                condition=models.Q(("state__in", ["queued", "retrying", "sending"])),
                fields=["next_attempt_at"],
                name="outbox_due",
            ),
        ),
    ]
