# Owned by the reminders work (issue 6). Add operations here; keep the dependency chain.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("agreements", "0004_documents")]
    operations = []
