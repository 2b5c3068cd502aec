# Owned by the security work (issue 8). Add operations here; keep the dependency chain.
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("agreements", "0006_register")]
    operations = [
        migrations.CreateModel(
            name="LoginFailure",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("username", models.CharField(max_length=150, verbose_name="nome utente")),
                ("ip", models.CharField(max_length=64, verbose_name="indirizzo")),
                ("at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="quando")),
            ],
            options={
                "verbose_name": "accesso non riuscito",
                "verbose_name_plural": "accessi non riusciti",
                "indexes": [models.Index(fields=["username", "ip", "at"], name="loginfailure_key_at")],
            },
        ),
    ]
