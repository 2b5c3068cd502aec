"""The register through the API: the agreements a user may see (as on the pages), one agreement with its open
tasks, the counterparts."""

import datetime
from typing import Annotated, Literal

from django.db.models import Prefetch, prefetch_related_objects
from ninja import Field, Path, Query, Router, Schema

from agreements.common import tasks
from agreements.common.access import agreement_for
from agreements.common.errors import InvalidDataError
from agreements.common.labels import choice_label
from agreements.common.plan_actions import ActionLookup, action_reference
from agreements.exports.tables import register_filtered
from agreements.models import Action, Agreement, AgreementKind, Counterpart, Status

from .base import ERRORS
from .strict import LINE_PATTERN, MAX_ID, MAX_OFFSET, LegalDate, line

router = Router()


class CounterpartOut(Schema):
    id: int
    name: str
    name_local: str
    country: str
    country_code: str
    type: str


class AgreementOut(Schema):
    reference: str
    title: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    counterpart: str
    country: str
    dgs: list[str] = Field(description="Codici delle DG coinvolte")
    plan_actions: list[str] = Field(description="Azioni del piano come <codice piano>/<numero>, es. 2022-2023/5")
    signed_on: datetime.date | None
    entry_into_force: datetime.date | None
    end_date: datetime.date | None
    renews: str | None = Field(description="Codice dell'accordo rinnovato")
    dgr_number: str
    dgr_date: datetime.date | None

    @staticmethod
    def resolve_kind_label(obj):
        return choice_label(AgreementKind, obj.kind)

    @staticmethod
    def resolve_status_label(obj):
        return choice_label(Status, obj.status)

    @staticmethod
    def resolve_counterpart(obj):
        return obj.counterpart.name

    @staticmethod
    def resolve_country(obj):
        return obj.counterpart.country

    @staticmethod
    def resolve_dgs(obj):
        return [dg.code for dg in obj.dgs.all()]

    @staticmethod
    def resolve_plan_actions(obj):
        return [action_reference(action) for action in obj.plan_actions.all()]

    @staticmethod
    def resolve_renews(obj):
        return obj.renews.reference if obj.renews_id else None


class TaskOut(Schema):
    id: int
    step: str
    title: str
    dg: str | None
    may_complete: bool
    fields: list[str] = Field(description="Campi di `data` attesi da POST /api/tasks/{id}/complete")


class AgreementDetailOut(AgreementOut):
    binding: bool
    languages: list[str]
    authentic_languages: list[str]
    subject_areas: list[str]
    duration_months: int | None
    renewal_clause: str
    renewal_notice_days: int | None
    notice_government_date: datetime.date | None
    notice_assembly_date: datetime.date | None
    ratification_date: datetime.date | None
    published_on: datetime.date | None
    burert_reference: str
    version: int
    open_tasks: list[TaskOut]


class AgreementPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AgreementOut]


# The action's id (the old form), or its reference, which names the plan.
PLAN_ACTION_FILTER_PATTERN = r"^([1-9][0-9]{0,8}|[-A-Za-z0-9_]{1,40}/[0-9]{1,9})$"


class RegisterQuery(Schema):
    """The register's filters, as on the register page."""

    q: line(200) = Field(None, description="Codice, titolo, controparte o Paese")
    kind: Literal[tuple(AgreementKind.values)] = None
    status: Literal[tuple(Status.values)] = None
    country: line(100) = None
    dg: int = Field(None, ge=1, le=MAX_ID, description="Id della DG (GET /api/plan: sectors)")
    plan_action: str = Field(None, max_length=50, pattern=PLAN_ACTION_FILTER_PATTERN,
                             description="Azione del piano come <codice piano>/<numero> (es. 2022-2023/5), "
                                         "o il suo id (GET /api/plan: actions[].id)")
    expiring_before: LegalDate = None
    ordering: line(40) = Field(None, description="Colonna di ordinamento, es. reference o -end_date")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


Reference = Annotated[str, Path(max_length=40, pattern=LINE_PATTERN, description="Codice, es. INT-2022-003")]


def agreement_detail(agreement, user) -> Agreement:
    """The agreement with its open tasks, as AgreementDetailOut reads it."""
    prefetch_related_objects([agreement], "dgs", Prefetch("plan_actions", Action.objects.select_related("plan")))
    agreement.open_tasks = [
        {"id": t.pk, "step": t.step, "title": t.title, "dg": t.dg_name, "may_complete": t.may_act,
         "fields": t.fields}
        for t in tasks.directory().for_agreement(agreement, user)
    ]
    return agreement


@router.get("/agreements", response={200: AgreementPage, **ERRORS}, tags=["accordi"],
            summary="Registro degli accordi visibili all'utente")
def list_agreements(request, filters: Query[RegisterQuery]):
    params = {k: (v.isoformat() if isinstance(v, datetime.date) else str(v))
              for k, v in filters.dict(exclude={"limit", "offset"}).items() if v is not None}
    if filters.plan_action and not filters.plan_action.isdigit():
        try:
            params["plan_action"] = str(ActionLookup().resolve(filters.plan_action).pk)
        except ValueError as reason:
            raise InvalidDataError.for_field("plan_action", str(reason)) from None
    agreements = register_filtered(request.user, params)
    page = list(agreements[filters.offset:filters.offset + filters.limit])
    return {"count": agreements.count(), "limit": filters.limit, "offset": filters.offset, "items": page}


@router.get("/agreements/{reference}", response={200: AgreementDetailOut, **ERRORS}, tags=["accordi"],
            summary="Un accordo, con le attività aperte")
def read_agreement(request, reference: Reference):
    return agreement_detail(agreement_for(request.user, reference=reference), request.user)


@router.get("/counterparts", response={200: list[CounterpartOut], **ERRORS}, tags=["accordi"],
            summary="Controparti registrate")
def list_counterparts(request):
    return Counterpart.objects.order_by("name")
