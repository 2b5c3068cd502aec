"""JSON API under /api/ (django-ninja): the register with the same visibility as the pages, the plan and its
indicators, starting a proposal and completing a task. Authentication: `Authorization: Bearer <key>` with the
user's API key (agreements.api_tokens). Every error is JSON {"detail": "<message>"} (plus "errors" per field
where the payload is at fault); the OpenAPI 3 schema is at /api/openapi.json, the browsable docs at /api/docs.

Writes go through the same services as the pages (workflows.services), so the same rules and audit apply."""

import datetime
import decimal
import logging
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.responses import Status as HttpStatus
from ninja.security import HttpBearer
from pydantic import ConfigDict

from .api_tokens import api_user
from .errors import InvalidDataError, InvalidStateError, PermissionDeniedError, ServiceError, StaleObjectError
from .exports import plan_actions, plan_indicators, register_filtered
from .models import Action, Agreement, AgreementKind, Counterpart, Objective, RenewalClause, Sector, Status
from .plan import PLAN_YEARS
from .roles import Role, has_role
from .selectors import agreement_for

logger = logging.getLogger(__name__)


class BearerKey(HttpBearer):
    def authenticate(self, request, token):
        user = api_user(token)
        if user is not None:
            request.user = user  # services and selectors read the acting user from here, as on the pages
        return user


api = NinjaAPI(
    title="Intese API",
    version="1",
    description=(
        "Accordi internazionali della Regione: registro, piano operativo, avvio di proposte e completamento "
        "delle attività. Autenticazione: intestazione `Authorization: Bearer <chiave>`; la chiave si genera "
        "dalla pagina Esportazioni o con `manage.py api_token`."
    ),
    urls_namespace="api",
    auth=BearerKey(),
)


# --- errors --------------------------------------------------------------------------------------------------

def _error(request, status: int, detail: str, **extra):
    return api.create_response(request, {"detail": str(detail), **extra}, status=status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    response = _error(request, 401, _("Chiave API mancante, non valida o revocata: inviare "
                                      "l'intestazione «Authorization: Bearer <chiave>»."))
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(NinjaValidationError)
def _invalid_payload(request, exc):
    errors = [
        {"field": ".".join(str(part) for part in error.get("loc", ()) if part not in ("body", "payload", "query")),
         "message": error.get("msg", "")}
        for error in exc.errors
    ]
    fields = ", ".join(sorted({e["field"] or "?" for e in errors}))
    return _error(request, 422, _("Dati non validi: %(fields)s") % {"fields": fields}, errors=errors)


@api.exception_handler(HttpError)
def _http_error(request, exc):
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        return _error(request, 400, _("Il corpo della richiesta non è JSON valido."))
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, str(exc) or _("Risorsa non trovata."))


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return _error(request, 403, str(exc) or _("Non hai i permessi per questa operazione."))


@api.exception_handler(ServiceError)
def _refused(request, exc):
    if isinstance(exc, InvalidDataError):
        errors = [{"field": field, "message": " ".join(messages)} for field, messages in exc.errors.items()]
        return _error(request, 422, exc.message, errors=errors)
    if isinstance(exc, PermissionDeniedError):
        return _error(request, 403, exc.message)
    if isinstance(exc, InvalidStateError | StaleObjectError):
        return _error(request, 409, exc.message)
    return _error(request, 400, exc.message)


@api.exception_handler(Exception)
def _unexpected(request, exc):
    logger.exception("API error on %s %s", request.method, request.path)
    return _error(request, 500, _("Errore interno: l'operazione non è stata eseguita. Riprovare più tardi."))


class ErrorOut(Schema):
    detail: str
    errors: list[dict] | None = None


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _invalid(field: str, message: str):
    """A payload that names something that does not exist: 422 like any other invalid field."""
    return InvalidDataError(_("Dati non validi: %(fields)s") % {"fields": field}, {field: [message]})


# --- agreements ----------------------------------------------------------------------------------------------

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
    plan_actions: list[int] = Field(description="Numeri delle azioni del piano")
    signed_on: datetime.date | None
    entry_into_force: datetime.date | None
    end_date: datetime.date | None
    renews: str | None = Field(description="Codice dell'accordo rinnovato")
    dgr_number: str
    dgr_date: datetime.date | None

    @staticmethod
    def resolve_kind_label(obj):
        return obj.get_kind_display()

    @staticmethod
    def resolve_status_label(obj):
        return obj.get_status_display()

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
        return [action.number for action in obj.plan_actions.all()]

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


class RegisterQuery(Schema):
    """The register's filters, as on the register page."""

    q: str | None = Field(None, description="Codice, titolo, controparte o Paese")
    kind: Literal[tuple(AgreementKind.values)] | None = None
    status: Literal[tuple(Status.values)] | None = None
    country: str | None = None
    dg: int | None = Field(None, description="Id della DG (GET /api/plan: sectors)")
    plan_action: int | None = Field(None, description="Id dell'azione del piano")
    expiring_before: datetime.date | None = None
    ordering: str | None = Field(None, description="Colonna di ordinamento, es. reference o -end_date")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


def _open_tasks(agreement, user) -> list[dict]:
    from workflows.permissions import principal_for
    from workflows.services import open_tasks

    return [
        {
            "id": task.pk,
            "step": task.flow_task.name,
            "title": str(task.flow_task.task_title),
            "dg": (task.data or {}).get("dg_name"),
            "may_complete": principal_for(user, task) is not None,
            "fields": list(task.flow_task.form_class.base_fields) if hasattr(task.flow_task, "form_class") else [],
        }
        for task in open_tasks(agreement)
    ]


def _detail(agreement, user) -> Agreement:
    agreement.open_tasks = _open_tasks(agreement, user)
    return agreement


@api.get("/agreements", response={200: AgreementPage, **ERRORS}, tags=["accordi"],
         summary="Registro degli accordi visibili all'utente")
def list_agreements(request, filters: Query[RegisterQuery]):
    params = {k: (v.isoformat() if isinstance(v, datetime.date) else str(v))
              for k, v in filters.dict(exclude={"limit", "offset"}).items() if v is not None}
    agreements = register_filtered(request.user, params)
    page = list(agreements[filters.offset:filters.offset + filters.limit])
    return {"count": agreements.count(), "limit": filters.limit, "offset": filters.offset, "items": page}


@api.get("/agreements/{reference}", response={200: AgreementDetailOut, **ERRORS}, tags=["accordi"],
         summary="Un accordo, con le attività aperte")
def read_agreement(request, reference: str):
    return _detail(agreement_for(request.user, reference=reference), request.user)


class ProposalIn(Schema):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    kind: Literal[tuple(AgreementKind.values)]
    counterpart: str = Field(description="Denominazione della controparte (GET /api/counterparts)")
    dgs: list[str] = Field(default_factory=list, description="Codici delle DG da consultare, es. dg-agri")
    plan_actions: list[int] = Field(default_factory=list, description="Numeri delle azioni del piano (1-16)")
    languages: list[str] = Field(default_factory=lambda: ["it"], min_length=1)
    authentic_languages: list[str] | None = None
    subject_areas: list[str] = Field(default_factory=list)
    binding: bool = True
    director: str | None = Field(None, description="Nome utente del dirigente responsabile")
    duration_months: int | None = Field(None, ge=1, le=1200)
    renewal_clause: Literal[tuple(RenewalClause.values)] = RenewalClause.EXPRESS.value
    renewal_notice_days: int | None = Field(None, ge=1, le=3650)
    consultation_days: int = Field(15, ge=1, le=120)
    estimated_cost: decimal.Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=2)


def _proposal_fields(payload: ProposalIn) -> dict:
    """The payload with names resolved to records; a name that matches nothing is a 422 naming the field."""
    fields = payload.dict()
    fields["counterpart"] = Counterpart.objects.filter(name=payload.counterpart).first()
    if fields["counterpart"] is None:
        raise _invalid("counterpart", _("Controparte sconosciuta: %s") % payload.counterpart)
    dgs = list(Sector.objects.filter(code__in=payload.dgs, is_dg=True))
    unknown = sorted(set(payload.dgs) - {dg.code for dg in dgs})
    if unknown:
        raise _invalid("dgs", _("DG sconosciute: %s") % ", ".join(unknown))
    fields["dgs"] = dgs
    actions = list(Action.objects.filter(number__in=payload.plan_actions))
    missing = sorted(set(payload.plan_actions) - {a.number for a in actions})
    if missing:
        raise _invalid("plan_actions", _("Azioni del piano inesistenti: %s") % ", ".join(map(str, missing)))
    fields["plan_actions"] = actions
    if payload.director:
        director = get_user_model().objects.filter(username=payload.director, is_active=True).first()
        if director is None or not has_role(director, Role.DIRECTOR):
            raise _invalid("director", _("%s non è un dirigente attivo.") % payload.director)
        fields["director"] = director
    return fields


@api.post("/agreements", response={201: AgreementDetailOut, **ERRORS}, tags=["accordi"],
          summary="Avvia una proposta (redattori)")
def start_proposal(request, payload: ProposalIn):
    from workflows.services import proposal_start

    if not has_role(request.user, Role.DRAFTER, Role.ADMIN):
        raise PermissionDeniedError(_("Solo i redattori avviano una proposta."))
    agreement = proposal_start(actor=request.user, **_proposal_fields(payload))
    return HttpStatus(201, _detail(agreement_for(request.user, pk=agreement.pk), request.user))


@api.get("/counterparts", response={200: list[CounterpartOut], **ERRORS}, tags=["accordi"],
         summary="Controparti registrate")
def list_counterparts(request):
    return Counterpart.objects.order_by("name")


# --- tasks ---------------------------------------------------------------------------------------------------

class TaskCompleteIn(Schema):
    model_config = ConfigDict(extra="forbid")

    data: dict[str, Any] = Field(
        default_factory=dict,
        description="I campi del modulo del passo, es. {\"kind\": \"favourable\", \"notes\": \"\"} per un parere",
    )


@api.post("/tasks/{task_id}/complete", response={200: AgreementDetailOut, **ERRORS}, tags=["attività"],
          summary="Completa un'attività aperta di un accordo")
def complete_task(request, task_id: int, payload: TaskCompleteIn):
    from workflows.flows import AgreementFlow
    from workflows.permissions import agreement_of
    from workflows.services import task_complete

    task = AgreementFlow.task_class.objects.filter(pk=task_id).first()
    if task is None or not hasattr(task.flow_task, "form_class"):
        raise Http404(_("Attività non trovata."))
    agreement = agreement_of(task)
    try:
        agreement_for(request.user, pk=agreement.pk if agreement else None)
    except Http404:
        raise Http404(_("Attività non trovata.")) from None
    agreement = task_complete(task=task, actor=request.user, data=payload.data)
    return _detail(agreement_for(request.user, pk=agreement.pk), request.user)


# --- plan ----------------------------------------------------------------------------------------------------

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
            {"year": year, "target": getattr(obj, f"target_{year}"),
             "actual": obj.actual_by_year[year].value if year in obj.actual_by_year else None}
            for year in PLAN_YEARS
        ]


class SectorOut(Schema):
    id: int
    code: str
    name: str
    is_dg: bool


class PlanOut(Schema):
    objectives: list[ObjectiveOut]
    sectors: list[SectorOut]
    actions: list[ActionOut]
    indicators: list[IndicatorOut]


@api.get("/plan", response={200: PlanOut, **ERRORS}, tags=["piano"],
         summary="Piano operativo: obiettivi, settori, azioni con i loro accordi, indicatori")
def read_plan(request):
    from .selectors import visible_agreements

    return {
        "objectives": Objective.objects.order_by("number"),
        "sectors": Sector.objects.order_by("name"),
        "actions": plan_actions(visible_agreements(request.user)),
        "indicators": plan_indicators(),
    }


@api.get("/plan/indicators", response={200: list[IndicatorOut], **ERRORS}, tags=["piano"],
         summary="Indicatori: target 2022 e 2023 e valori rilevati")
def list_indicators(request):
    return plan_indicators()
