"""A plan is a record with its own period: Plan, the plan of each objective/action/indicator, targets as rows."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("agreements", "0011_merge_procedure_notifications"),
    ]

    operations = [
        migrations.CreateModel(
            name="Plan",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.SlugField(max_length=40, unique=True, verbose_name="codice")),
                ("title", models.CharField(max_length=300, verbose_name="titolo")),
                ("start_year", models.PositiveSmallIntegerField(verbose_name="primo anno")),
                ("end_year", models.PositiveSmallIntegerField(verbose_name="ultimo anno")),
                ("adopted_by", models.TextField(blank=True, verbose_name="adottato con")),
                ("adoption_act_number", models.CharField(blank=True, max_length=60,
                                                         verbose_name="numero della determina di adozione")),
                ("adoption_act_date", models.DateField(blank=True, null=True,
                                                       verbose_name="data della determina di adozione")),
                ("publication_reference", models.CharField(blank=True, max_length=300,
                                                           verbose_name="riferimento di pubblicazione")),
            ],
            options={
                "verbose_name": "piano operativo",
                "verbose_name_plural": "piani operativi",
                "ordering": ["start_year", "code"],
                "constraints": [models.CheckConstraint(condition=models.Q(("end_year__gte", models.F("start_year"))),
                                                       name="plan_period_ordered")],
            },
        ),
        migrations.AddField(
            model_name="objective", name="plan",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="objectives",
                                    to="agreements.plan", verbose_name="piano"),
        ),
        migrations.AddField(
            model_name="action", name="plan",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="actions",
                                    to="agreements.plan", verbose_name="piano"),
        ),
        migrations.AddField(
            model_name="indicator", name="plan",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="indicators",
                                    to="agreements.plan", verbose_name="piano"),
        ),
        migrations.CreateModel(
            name="IndicatorTarget",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("year", models.PositiveSmallIntegerField(verbose_name="anno")),
                ("value", models.PositiveIntegerField(verbose_name="target")),
                ("indicator", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="targets",
                                                to="agreements.indicator")),
            ],
            options={
                "verbose_name": "target",
                "verbose_name_plural": "target",
                "ordering": ["indicator", "year"],
                "constraints": [models.UniqueConstraint(fields=("indicator", "year"), name="one_target_per_year")],
            },
        ),
    ]
