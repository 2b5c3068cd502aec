# Owned by the security work (issue 8). Add operations here; keep the dependency chain.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("agreements", "0006_register")]
    operations = []
