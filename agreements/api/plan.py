"""The operational plan through the API: objectives, sectors, actions with the agreements the user may see,
indicators with targets and recorded values."""

from django.http import Http404
from ninja import Field, Query, Router, Schema

from agreements.common.access import visible_agreements
from agreements.models import Sector
from agreements.plan.selectors import plan_actions, plan_by_code, plan_indicators, plan_overview

from .activities import PlanQuery, refuse_unknown_parameters
from .base import ERRORS

router = Router()


class ObjectiveOut(Schema):
    number: int
    title: str


class LinkedAgreementOut(Schema):
    reference: str
    title: str
    status: str


class ActionOut(Schema):
    id: int
    number: int
    short_title: str
    title: str
    timing: str
    sectors: list[str]
    agreements: list[LinkedAgreementOut] = Field(description="Accordi visibili all'utente che servono l'azione")

    @staticmethod
    def resolve_sectors(obj):
        return [sector.code for sector in obj.sectors.all()]

    @staticmethod
    def resolve_agreements(obj):
        return obj.linked_agreements


class YearOut(Schema):
    year: int
    target: int
    actual: int | None


class IndicatorOut(Schema):
    number: int
    name: str
    expected_result: str
    objectives: list[int]
    years: list[YearOut]

    @staticmethod
    def resolve_objectives(obj):
        return [objective.number for objective in obj.objectives.all()]

    @staticmethod
    def resolve_years(obj):
        return [
            {"year": year, "target": obj.target_by_year.get(year, 0),
             "actual": obj.actual_by_year[year].value if year in obj.actual_by_year else None}
            for year in obj.plan.years
        ]


class SectorOut(Schema):
    id: int
    code: str
    name: str
    is_dg: bool


class PlanOut(Schema):
    plan: str | None = Field(description="Codice del piano (parametro piano; senza, il piano in corso; null se "
                                         "nessun piano è caricato)")
    objectives: list[ObjectiveOut]
    sectors: list[SectorOut]
    actions: list[ActionOut]
    indicators: list[IndicatorOut]


@router.get("/plan", response={200: PlanOut, **ERRORS}, tags=["piano"],
            summary="Piano operativo: obiettivi, settori, azioni con i loro accordi, indicatori")
def read_plan(request, filters: Query[PlanQuery]):
    overview = plan_overview(_plan(request, filters))
    return {
        "plan": overview["plan"].code if overview["plan"] else None,
        "objectives": overview["objectives"],
        "sectors": Sector.objects.order_by("name"),
        "actions": plan_actions(visible_agreements(request.user), overview["plan"]),
        "indicators": overview["indicators"],
    }


@router.get("/plan/indicators", response={200: list[IndicatorOut], **ERRORS}, tags=["piano"],
            summary="Indicatori di un piano (parametro piano; senza, il piano in corso): target e valori per anno")
def list_indicators(request, filters: Query[PlanQuery]):
    return plan_indicators(_plan(request, filters))


def _plan(request, filters: PlanQuery):
    """The plan the request names by its code (`?piano=2022-2023`; 404 when there is no such plan), or the current
    one (None, an empty plan, when none is loaded)."""
    refuse_unknown_parameters(request, PlanQuery)
    plan = plan_by_code(filters.piano)
    if plan is None and filters.piano:
        raise Http404("Piano operativo non trovato")
    return plan
