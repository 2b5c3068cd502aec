"""The rows already loaded belong to the first plan, 2022-2023; its targets move from columns to rows."""

from django.db import migrations

FIRST_PLAN = {
    "code": "2022-2023",
    "title": "Piano operativo attività internazionale 2022-2023",
    "start_year": 2022,
    "end_year": 2023,
    "adopted_by": "Determinazione del Capo di Gabinetto del Presidente della Giunta (Andrea Orlando)",
}


def forwards(apps, schema_editor):
    Plan = apps.get_model("agreements", "Plan")
    Objective = apps.get_model("agreements", "Objective")
    Action = apps.get_model("agreements", "Action")
    Indicator = apps.get_model("agreements", "Indicator")
    IndicatorTarget = apps.get_model("agreements", "IndicatorTarget")
    if not (Objective.objects.exists() or Action.objects.exists() or Indicator.objects.exists()):
        return
    plan, _ = Plan.objects.get_or_create(code=FIRST_PLAN["code"], defaults=FIRST_PLAN)
    for model in (Objective, Action, Indicator):
        model.objects.filter(plan__isnull=True).update(plan=plan)
    IndicatorTarget.objects.bulk_create(
        [IndicatorTarget(indicator=i, year=2022, value=i.target_2022) for i in Indicator.objects.all()]
        + [IndicatorTarget(indicator=i, year=2023, value=i.target_2023) for i in Indicator.objects.all()]
    )


def backwards(apps, schema_editor):
    Indicator = apps.get_model("agreements", "Indicator")
    IndicatorTarget = apps.get_model("agreements", "IndicatorTarget")
    for indicator in Indicator.objects.all():
        targets = dict(IndicatorTarget.objects.filter(indicator=indicator).values_list("year", "value"))
        indicator.target_2022 = targets.get(2022, 0)
        indicator.target_2023 = targets.get(2023, 0)
        indicator.save(update_fields=["target_2022", "target_2023"])


class Migration(migrations.Migration):

    dependencies = [
        ("agreements", "0012_plan_periods"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
