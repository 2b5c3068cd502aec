"""The activity register, the stakeholder registry and the computed indicators through the API, with the pages'
visibility (a DG referent: what involves their DG). Strict schemas: unknown query parameters are refused
(extra="forbid"), types are strict, lengths and the page window are bounded."""

import datetime
from typing import Annotated

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict, StrictInt, StrictStr

from agreements.activities.selectors import (
    activity_rows,
    filter_activities,
    stakeholder_rows,
    visible_activities,
)
from agreements.common.errors import InvalidDataError
from agreements.models import ActivityKind, StakeholderType
from agreements.plan.indicators import indicator_values
from agreements.plan.selectors import plan_by_code, plan_overview

from .base import ERRORS

router = Router()


def refuse_unknown_parameters(request, schema) -> None:
    """Query parameters the schema does not name are refused (django-ninja would silently drop them)."""
    unknown = sorted(set(request.GET) - set(schema.model_fields))
    if unknown:
        raise InvalidDataError(_("Parametri sconosciuti: %(names)s") % {"names": ", ".join(unknown)},
                               {name: [_("Parametro non previsto.")] for name in unknown})

MAX_LIMIT = 500


class StrictOut(Schema):
    model_config = ConfigDict(extra="forbid")


class ActivityOut(StrictOut):
    id: StrictInt
    kind: StrictStr
    title: StrictStr
    starts_on: datetime.date
    ends_on: datetime.date | None
    place: StrictStr
    country_code: StrictStr
    counterparts: list[StrictStr]
    dgs: list[StrictStr]
    plan_actions: list[StrictStr] = Field(description="Azioni del piano come <codice piano>/<numero>")
    agreements: list[StrictStr]
    stakeholders: list[StrictStr]
    participants: StrictInt | None
    participants_on_territory: StrictInt | None
    follow_up_projects: StrictStr
    funding_applications: StrictStr


def _activity(obj) -> dict:
    """One activity as the schema's plain values (relations prefetched by activity_rows)."""
    return {
        "id": obj.pk, "kind": obj.kind, "title": obj.title, "starts_on": obj.starts_on, "ends_on": obj.ends_on,
        "place": obj.place, "country_code": obj.country_code,
        "counterparts": [c.name for c in obj.counterparts.all()],
        "dgs": [d.code for d in obj.dgs.all()],
        "plan_actions": [f"{a.plan.code}/{a.number}" for a in obj.plan_actions.all()],
        "agreements": [a.reference for a in obj.agreements.all()],
        "stakeholders": [s.name for s in obj.stakeholders.all()],
        "participants": obj.participants, "participants_on_territory": obj.participants_on_territory,
        "follow_up_projects": obj.follow_up_projects, "funding_applications": obj.funding_applications,
    }


class ActivityPage(StrictOut):
    count: StrictInt
    limit: StrictInt
    offset: StrictInt
    items: list[ActivityOut]


class ActivityQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    tipo: ActivityKind | None = None
    anno: Annotated[int, Field(ge=1900, le=2200)] | None = None
    paese: Annotated[str, Field(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$")] | None = None
    azione: Annotated[int, Field(ge=1)] | None = None
    piano: Annotated[str, Field(max_length=40)] | None = None
    dg: Annotated[int, Field(ge=1)] | None = None
    accordo: Annotated[int, Field(ge=1)] | None = None
    controparte: Annotated[int, Field(ge=1)] | None = None
    q: Annotated[str, Field(max_length=200)] | None = None
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=10_000_000)


class StakeholderOut(StrictOut):
    id: StrictInt
    name: StrictStr
    type: StakeholderType
    internal: bool
    first_involved_on: datetime.date | None
    activity_count: StrictInt


class StakeholderPage(StrictOut):
    count: StrictInt
    limit: StrictInt
    offset: StrictInt
    items: list[StakeholderOut]


class StakeholderQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    anno: Annotated[int, Field(ge=1900, le=2200)] | None = None
    tipo: StakeholderType | None = None
    interno: bool | None = None
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=10_000_000)


class BreakdownRowOut(StrictOut):
    key: StrictStr
    label: StrictStr
    value: StrictInt


class BreakdownOut(StrictOut):
    name: StrictStr
    rows: list[BreakdownRowOut]


class IndicatorYearOut(StrictOut):
    year: StrictInt
    target: StrictInt | None
    computed: StrictInt | None = Field(description="Calcolato dal registro (null se rilevato a mano)")
    recorded: StrictInt | None = Field(description="Valore registrato a mano o correzione")
    corrected: bool
    value: StrictInt | None
    gap: StrictInt | None
    breakdowns: list[BreakdownOut]


class IndicatorValuesOut(StrictOut):
    number: StrictInt
    name: StrictStr
    measure: StrictStr
    activity_kind: StrictStr
    years: list[IndicatorYearOut]


class PlanValuesOut(StrictOut):
    plan: StrictStr
    years: list[StrictInt]
    indicators: list[IndicatorValuesOut]


class PlanQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    piano: Annotated[str, Field(max_length=40)] | None = None


@router.get("/activities", response={200: ActivityPage, **ERRORS}, tags=["attività"],
            summary="Registro delle attività dell'Ufficio visibili all'utente, con i filtri del registro")
def list_activities(request, filters: Query[ActivityQuery]):
    refuse_unknown_parameters(request, ActivityQuery)
    params = {k: str(v.value if isinstance(v, ActivityKind) else v)
              for k, v in filters.dict(exclude={"limit", "offset"}).items() if v is not None}
    qs = filter_activities(visible_activities(request.user), params)
    page = [_activity(a) for a in activity_rows(qs)[filters.offset:filters.offset + filters.limit]]
    return {"count": qs.count(), "limit": filters.limit, "offset": filters.offset, "items": page}


@router.get("/activities/{activity_id}", response={200: ActivityOut, **ERRORS}, tags=["attività"],
            summary="Un'attività (404 se non visibile)")
def read_activity(request, activity_id: int):
    activity = activity_rows(visible_activities(request.user)).filter(pk=activity_id).first()
    if activity is None:
        raise Http404("Attività non trovata")
    return _activity(activity)


@router.get("/stakeholders", response={200: StakeholderPage, **ERRORS}, tags=["attività"],
            summary="Registro degli stakeholder visibili all'utente")
def list_stakeholders(request, filters: Query[StakeholderQuery]):
    refuse_unknown_parameters(request, StakeholderQuery)
    params = {"anno": filters.anno, "tipo": filters.tipo.value if filters.tipo else None,
              "interno": None if filters.interno is None else ("1" if filters.interno else "0")}
    qs = stakeholder_rows(request.user, {k: v for k, v in params.items() if v is not None})
    page = [{"id": s.pk, "name": s.name, "type": s.type, "internal": s.internal,
             "first_involved_on": s.first_involved_on, "activity_count": s.activity_count}
            for s in qs[filters.offset:filters.offset + filters.limit]]
    return {"count": qs.count(), "limit": filters.limit, "offset": filters.offset, "items": page}


@router.get("/plan/values", response={200: PlanValuesOut, **ERRORS}, tags=["piano"],
            summary="Indicatori del piano calcolati dal registro (visibilità dell'utente), con le disaggregazioni")
def plan_values(request, filters: Query[PlanQuery]):
    refuse_unknown_parameters(request, PlanQuery)
    plan = plan_by_code(filters.piano)
    if plan is None:
        raise Http404("Piano operativo non trovato")
    overview = plan_overview(plan)
    indicators = indicator_values(request.user, overview["indicators"], overview["years"])
    return {
        "plan": plan.code, "years": plan.years,
        "indicators": [{
            "number": i.number, "name": i.name, "measure": i.measure, "activity_kind": i.activity_kind,
            "years": [{
                "year": v["year"], "target": v["target"], "computed": v["computed"],
                "recorded": v["recorded"].value if v["recorded"] else None, "corrected": v["corrected"],
                "value": v["value"], "gap": v["gap"],
                "breakdowns": [{"name": b["name"], "rows": [{"key": r["key"], "label": str(r["label"]),
                                                             "value": r["value"]} for r in b["rows"]]}
                               for b in v["breakdowns"]],
            } for v in i.values],
        } for i in indicators],
    }
