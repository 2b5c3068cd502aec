"""Processes started under the earlier flow move onto the nodes of the flow that follows the law step by step
(workflows/carry_over.py, also `manage.py procedure_carry_over`). It runs today's code on purpose: the nodes it
writes are today's; on a database with no process it does nothing."""

from django.db import migrations


def carry_over(apps, schema_editor):
    from workflows.carry_over import processes_carry_over

    processes_carry_over()


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0001_initial"),
        ("agreements", "0010_procedure_as_the_law_writes_it"),
    ]

    operations = [migrations.RunPython(carry_over, migrations.RunPython.noop)]
