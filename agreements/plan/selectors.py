"""Reads of the plan: the monitoring page's overview, the actions with the agreements a user may see, the plan
as plain data for `manage.py export_plan`."""

import csv

from django.db.models import Prefetch, QuerySet

from agreements.models import Action, Agreement, Indicator, IndicatorActual, Objective, Sector

from .services import ACTION_CSV_COLUMNS, PLAN_YEARS


def plan_overview() -> dict:
    """Everything the monitoring page shows, in four queries whatever the size of the plan: objectives; actions
    with their sectors; indicators with their objectives and actuals. Each indicator carries `actual_by_year`
    ({year: IndicatorActual})."""
    objectives = list(Objective.objects.order_by("number"))
    actions = list(
        Action.objects.order_by("number").prefetch_related(
            Prefetch("sectors", queryset=Sector.objects.order_by("name"))
        )
    )
    indicators = list(
        Indicator.objects.order_by("number").prefetch_related(
            Prefetch("objectives", queryset=Objective.objects.order_by("number")),
            Prefetch("actuals", queryset=IndicatorActual.objects.select_related("recorded_by").order_by("year")),
        )
    )
    for indicator in indicators:
        indicator.actual_by_year = {actual.year: actual for actual in indicator.actuals.all()}
    return {"objectives": objectives, "actions": actions, "indicators": indicators}


def export_plan() -> dict:
    """The plan as plain data (the JSON of `manage.py export_plan`)."""
    overview = plan_overview()
    return {
        "objectives": [{"number": o.number, "title": o.title} for o in overview["objectives"]],
        "actions": [
            {
                "number": a.number,
                "objective": a.objective,
                "title": a.title,
                "short_title": a.short_title,
                "timing": a.timing,
                "sectors": [s.name for s in a.sectors.all()],
                "stakeholders": a.stakeholders,
                "output": a.output,
                "office_activities": a.office_activities,
                "spillover": a.spillover,
            }
            for a in overview["actions"]
        ],
        "indicators": [
            {
                "number": i.number,
                "expected_result": i.expected_result,
                "name": i.name,
                "objectives": [o.number for o in i.objectives.all()],
                "target_2022": i.target_2022,
                "target_2023": i.target_2023,
                **{
                    f"actual_{year}": i.actual_by_year[year].value if year in i.actual_by_year else None
                    for year in PLAN_YEARS
                },
            }
            for i in overview["indicators"]
        ],
    }


def export_plan_actions_csv(stream) -> int:
    """Write the actions as CSV (sectors joined with "; ") to a text stream; return the number of rows."""
    writer = csv.DictWriter(stream, fieldnames=ACTION_CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    actions = export_plan()["actions"]
    for action in actions:
        writer.writerow({**action, "sectors": "; ".join(action["sectors"])})
    return len(actions)


# --- writing -------------------------------------------------------------------------------------------------


def plan_indicators() -> list:
    return plan_overview()["indicators"]


def plan_actions(agreements: QuerySet) -> list:
    """The system actions, each with `linked_agreements`: those of `agreements` (the ones the user may see)
    that serve it. Three queries whatever the numbers."""
    actions = list(Action.objects.order_by("number").prefetch_related("sectors"))
    links = (
        Agreement.plan_actions.through.objects.filter(agreement__in=agreements)
        .select_related("agreement__counterpart")
        .order_by("agreement__reference")
    )
    by_action = {}
    for link in links:
        by_action.setdefault(link.action_id, []).append(link.agreement)
    for action in actions:
        action.linked_agreements = by_action.get(action.pk, [])
    return actions
