# Owned by the documents work (issue 5). Add operations here; keep the dependency chain.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("agreements", "0003_task_permissions")]
    operations = []
