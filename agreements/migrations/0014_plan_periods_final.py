"""Every objective, action and indicator belongs to a plan; numbers are unique within their plan; no year columns."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("agreements", "0013_plan_periods_data"),
    ]

    operations = [
        migrations.RemoveField(model_name="indicator", name="target_2022"),
        migrations.RemoveField(model_name="indicator", name="target_2023"),
        migrations.AlterField(
            model_name="objective", name="plan",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="objectives",
                                    to="agreements.plan", verbose_name="piano"),
        ),
        migrations.AlterField(
            model_name="action", name="plan",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="actions",
                                    to="agreements.plan", verbose_name="piano"),
        ),
        migrations.AlterField(
            model_name="indicator", name="plan",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="indicators",
                                    to="agreements.plan", verbose_name="piano"),
        ),
        migrations.AlterField(model_name="objective", name="number",
                              field=models.PositiveSmallIntegerField(verbose_name="numero")),
        migrations.AlterField(model_name="action", name="number",
                              field=models.PositiveSmallIntegerField(verbose_name="numero")),
        migrations.AlterField(model_name="indicator", name="number",
                              field=models.PositiveSmallIntegerField(verbose_name="numero")),
        migrations.AlterModelOptions(
            name="objective",
            options={"ordering": ["plan", "number"], "verbose_name": "obiettivo", "verbose_name_plural": "obiettivi"},
        ),
        migrations.AlterModelOptions(
            name="action",
            options={"ordering": ["plan", "number"], "verbose_name": "azione di sistema",
                     "verbose_name_plural": "azioni di sistema"},
        ),
        migrations.AlterModelOptions(
            name="indicator",
            options={"ordering": ["plan", "number"], "verbose_name": "indicatore", "verbose_name_plural": "indicatori"},
        ),
        migrations.AddConstraint(
            model_name="objective",
            constraint=models.UniqueConstraint(fields=("plan", "number"), name="one_objective_number_per_plan"),
        ),
        migrations.AddConstraint(
            model_name="action",
            constraint=models.UniqueConstraint(fields=("plan", "number"), name="one_action_number_per_plan"),
        ),
        migrations.AddConstraint(
            model_name="indicator",
            constraint=models.UniqueConstraint(fields=("plan", "number"), name="one_indicator_number_per_plan"),
        ),
    ]
