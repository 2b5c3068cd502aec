# Owned by the documents work (issue 5). Add operations here; keep the dependency chain.
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("agreements", "0003_task_permissions")]
    operations = [
        migrations.AddConstraint(
            model_name="documentversion",
            constraint=models.UniqueConstraint(
                condition=models.Q(("source", "pdf")), fields=("derived_from",), name="one_pdf_per_version"
            ),
        ),
    ]
