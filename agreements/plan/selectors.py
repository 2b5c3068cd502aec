"""Reads of the plan: the monitoring page's overview, the actions with the agreements a user may see, the plan
as plain data for `manage.py export_plan`."""

import csv
from typing import NamedTuple

from django.db.models import Count, Prefetch, QuerySet

from agreements.activities.selectors import visible_activities
from agreements.common import dates
from agreements.common.access import visible_agreements
from agreements.models import (
    Action,
    Activity,
    Agreement,
    Indicator,
    IndicatorActual,
    IndicatorTarget,
    Objective,
    Plan,
    Sector,
)

from .services import ACTION_CSV_COLUMNS


def plans() -> list:
    """Every plan, oldest first."""
    return list(Plan.objects.order_by("start_year", "code"))


def plan_current(today=None) -> Plan | None:
    """The plan in force in the current year; else the latest one that has started; else the first one."""
    year = (today or dates.today()).year
    candidates = plans()
    covering = [p for p in candidates if p.start_year <= year <= p.end_year]
    started = [p for p in candidates if p.start_year <= year]
    return (covering or started or candidates or [None])[-1]


def plan_by_code(code: str | None) -> Plan | None:
    """The plan a page or command names (its code), or the current one when none is named. None: no such plan."""
    if not code:
        return plan_current()
    return Plan.objects.filter(code=code).first()


def plan_overview(plan: Plan | None = None) -> dict:
    """Everything the monitoring page shows of one plan (the current one by default), in a fixed number of
    queries whatever the size of the plan: objectives; actions with their sectors; indicators with their
    objectives, targets and actuals. Each indicator carries `target_by_year` ({year: value}) and
    `actual_by_year` ({year: IndicatorActual})."""
    plan = plan or plan_current()
    if plan is None:
        return {"plan": None, "years": [], "objectives": [], "actions": [], "indicators": []}
    objectives = list(Objective.objects.filter(plan=plan).order_by("number"))
    actions = list(
        Action.objects.filter(plan=plan).order_by("number").prefetch_related(
            Prefetch("sectors", queryset=Sector.objects.order_by("name"))
        )
    )
    indicators = list(
        Indicator.objects.filter(plan=plan).order_by("number").prefetch_related(
            Prefetch("objectives", queryset=Objective.objects.order_by("number")),
            Prefetch("targets", queryset=IndicatorTarget.objects.order_by("year")),
            Prefetch("actuals", queryset=IndicatorActual.objects.select_related("recorded_by").order_by("year")),
        )
    )
    for indicator in indicators:
        indicator.plan = plan
        indicator.target_by_year = {target.year: target.value for target in indicator.targets.all()}
        indicator.actual_by_year = {actual.year: actual for actual in indicator.actuals.all()}
    return {"plan": plan, "years": plan.years, "objectives": objectives, "actions": actions,
            "indicators": indicators}


def export_plan(plan: Plan | None = None) -> dict:
    """One plan as plain data (the JSON of `manage.py export_plan`): per indicator `targets` and `actuals` by
    year, and the same as `target_<year>` / `actual_<year>` keys for spreadsheets."""
    overview = plan_overview(plan)
    plan = overview["plan"]
    if plan is None:
        return {"plan": None, "objectives": [], "actions": [], "indicators": []}
    return {
        "plan": {
            "code": plan.code, "title": plan.title, "period": plan.period, "years": plan.years,
            "adopted_by": plan.adopted_by, "adoption_act_number": plan.adoption_act_number,
            "adoption_act_date": plan.adoption_act_date.isoformat() if plan.adoption_act_date else None,
            "publication_reference": plan.publication_reference,
        },
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
        "indicators": [_indicator_data(i, plan.years) for i in overview["indicators"]],
    }


def _indicator_data(indicator, years) -> dict:
    actuals = {year: indicator.actual_by_year[year].value if year in indicator.actual_by_year else None
               for year in years}
    targets = {year: indicator.target_by_year.get(year) for year in years}
    return {
        "number": indicator.number,
        "expected_result": indicator.expected_result,
        "name": indicator.name,
        "objectives": [o.number for o in indicator.objectives.all()],
        "targets": {str(year): value for year, value in targets.items()},
        "actuals": {str(year): value for year, value in actuals.items()},
        **{f"target_{year}": value for year, value in targets.items()},
        **{f"actual_{year}": value for year, value in actuals.items()},
    }


def export_plan_actions_csv(stream, plan: Plan | None = None) -> int:
    """Write the actions as CSV (sectors joined with "; ") to a text stream; return the number of rows."""
    writer = csv.DictWriter(stream, fieldnames=ACTION_CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    actions = export_plan(plan)["actions"]
    for action in actions:
        writer.writerow({**action, "sectors": "; ".join(action["sectors"])})
    return len(actions)


# --- writing -------------------------------------------------------------------------------------------------


def plan_indicators(plan: Plan | None = None) -> list:
    return plan_overview(plan)["indicators"]


class LinkedAgreement(NamedTuple):
    reference: str
    title: str
    status: str


def plan_actions(agreements: QuerySet, plan: Plan | None = None) -> list:
    """The system actions of a plan (the current one by default), each with `linked_agreements`: those of
    `agreements` (the ones the user may see) that serve it, as LinkedAgreement tuples (no model instances: the
    plan exports list thousands). A fixed number of queries whatever the numbers."""
    plan = plan or plan_current()
    if plan is None:
        return []
    actions = list(Action.objects.filter(plan=plan).order_by("number").prefetch_related("sectors"))
    links = (
        Agreement.plan_actions.through.objects.filter(agreement__in=agreements, action__plan=plan)
        .order_by("agreement__reference")
        .values_list("action_id", "agreement__reference", "agreement__title", "agreement__status")
    )
    by_action = {}
    for action_id, *fields in links:
        by_action.setdefault(action_id, []).append(LinkedAgreement(*fields))
    for action in actions:
        action.linked_agreements = by_action.get(action.pk, [])
    return actions


def plan_action_counts(user, plan: Plan, actions: list | None = None) -> list:
    """The plan's actions with their sectors, each with `agreement_count` and `activity_count`: the agreements
    and activities serving it that `user` may see. A fixed number of queries whatever the numbers. `actions`:
    the plan's actions already read with their sectors (plan_overview's), so they are not read twice."""
    if actions is None:
        actions = list(Action.objects.filter(plan=plan).order_by("number").prefetch_related(
            Prefetch("sectors", queryset=Sector.objects.order_by("name"))))
    agreements = dict(
        Agreement.plan_actions.through.objects.filter(agreement__in=visible_agreements(user), action__plan=plan)
        .values("action_id").annotate(n=Count("agreement_id", distinct=True)).values_list("action_id", "n")
    )
    activities = dict(
        Activity.plan_actions.through.objects.filter(activity__in=visible_activities(user), action__plan=plan)
        .values("action_id").annotate(n=Count("activity_id", distinct=True)).values_list("action_id", "n")
    )
    for action in actions:
        action.agreement_count = agreements.get(action.pk, 0)
        action.activity_count = activities.get(action.pk, 0)
    return actions
