# Owned by the register/plan/API work (issue 7). Add operations here; keep the dependency chain.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("agreements", "0005_reminders")]
    operations = []
