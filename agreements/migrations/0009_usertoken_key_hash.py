# UserToken keeps only the SHA-256 of its key (agreements.models.people.token_hash); existing keys are hashed in place.
import hashlib

from django.db import migrations, models
from django.utils import timezone


def hash_keys(apps, schema_editor):
    UserToken = apps.get_model("agreements", "UserToken")
    for token in UserToken.objects.all().iterator():
        clear = token.key_hash  # until now the column held the clear key
        token.prefix = clear[:8]
        token.key_hash = hashlib.sha256(clear.encode()).hexdigest()
        token.save(update_fields=["key_hash", "prefix"])


def revoke_all(apps, schema_editor):
    # The clear keys cannot come back: going back revokes every token, so no stored hash can serve as a key.
    apps.get_model("agreements", "UserToken").objects.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("agreements", "0008_delete_loginfailure")]
    operations = [
        migrations.RenameField(model_name="usertoken", old_name="key", new_name="key_hash"),
        migrations.AlterField(model_name="usertoken", name="key_hash", field=models.CharField(max_length=64, unique=True)),
        migrations.AddField(
            model_name="usertoken",
            name="prefix",
            field=models.CharField(default="", max_length=8, verbose_name="inizio della chiave"),
        ),
        migrations.RunPython(hash_keys, revoke_all),
    ]
