"""The procedure through the API: start a proposal, complete an open task. Writes go through the same services
as the pages (workflows.services), so the same rules and audit apply. Mounted by config/api.py."""

from typing import Annotated, Literal, Union

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Path, Router, Schema
from ninja.responses import Status as HttpStatus

from agreements.api.base import ERRORS, UNION_TAGS
from agreements.api.records import AgreementDetailOut, agreement_detail
from agreements.api.records import router as records_router
from agreements.api.strict import (
    MAX_ID,
    MAX_LIST,
    STRICT,
    Amount,
    PlanActionRef,
    count,
    form_data,
    form_schema,
    line,
)
from agreements.common.access import agreement_for
from agreements.common.errors import InvalidDataError, PermissionDeniedError, ServiceError
from agreements.common.roles import Role, has_role
from agreements.models import AgreementKind, RenewalClause
from agreements.records.selectors import proposal_references

from .completion import task_complete
from .flows import AgreementFlow
from .permissions import agreement_of
from .services import proposal_start

router = Router()


class ProposalIn(Schema):
    model_config = STRICT

    title: line(300, 1)
    kind: Literal[tuple(AgreementKind.values)]
    counterpart: line(200, 1) = Field(description="Denominazione della controparte (GET /api/counterparts)")
    dgs: list[line(40, 1)] = Field(default_factory=list, max_length=MAX_LIST,
                                   description="Codici delle DG da consultare, es. dg-agri")
    plan_actions: list[PlanActionRef] = Field(
        default_factory=list, max_length=MAX_LIST,
        description="Azioni del piano come <codice piano>/<numero> (es. 2022-2023/5, GET /api/plan); il solo "
                    "numero vale finché un solo piano ha un'azione con quel numero, altrimenti 422 sul campo")
    languages: list[line(8, 1)] = Field(default_factory=lambda: ["it"], min_length=1, max_length=MAX_LIST,
                                        description="Codici ISO 639-1")
    authentic_languages: list[line(8, 1)] | None = Field(None, max_length=MAX_LIST)
    subject_areas: list[line(200, 1)] = Field(default_factory=list, max_length=MAX_LIST)
    binding: bool = True
    director: line(150, 1) | None = Field(None, description="Nome utente del dirigente responsabile")
    duration_months: count(1, 1200) | None = None
    renewal_clause: Literal[tuple(RenewalClause.values)] = RenewalClause.EXPRESS.value
    renewal_notice_days: count(1, 3650) | None = None
    consultation_days: count(1, 120) = 15
    estimated_cost: Amount | None = None


# POST /agreements shares its path with the register's GET: ninja routes one URL pattern per path and router,
# so the operation joins the register's router.
@records_router.post("/agreements", response={201: AgreementDetailOut, **ERRORS}, tags=["accordi"],
                  summary="Avvia una proposta (redattori)")
def start_proposal(request, payload: ProposalIn):
    if not has_role(request.user, Role.DRAFTER, Role.ADMIN):
        raise PermissionDeniedError(_("Solo i redattori avviano una proposta."))
    agreement = proposal_start(actor=request.user, **proposal_references(payload.dict()))
    return HttpStatus(201, agreement_detail(agreement_for(request.user, pk=agreement.pk), request.user))


def _step_payload(node):
    """{"step": "<node>", "data": {...}}: the body completing a task of one step, with the step's own schema."""
    data = form_schema(node.form_class, f"{_camel(node.name)}Data", doc=str(node.task_title or ""))
    return type(f"{_camel(node.name)}Complete", (Schema,), {
        "__annotations__": {"step": Literal[node.name], "data": data},
        "__doc__": f"Completa un'attività del passo {node.name}.",
        "model_config": STRICT,
    })


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


STEPS = {node.name: node for node in sorted(AgreementFlow.instance.nodes(), key=lambda n: n.name)
         if hasattr(node, "form_class")}
UNION_TAGS.update(STEPS)
TaskCompleteIn = Annotated[Union[tuple(_step_payload(node) for node in STEPS.values())],  # noqa: UP007
                           Field(discriminator="step")]


@router.post("/tasks/{task_id}/complete", response={200: AgreementDetailOut, **ERRORS}, tags=["attività"],
             summary="Completa un'attività aperta di un accordo",
             description="Il corpo nomina il passo dell'attività (`step`, come in `open_tasks`) e ne porta i campi "
                         "(`data`, uno schema per passo). Un passo diverso da quello dell'attività: 422 sul campo "
                         "`step`; date future: 422 con il campo nominato; regole che lo schema non esprime (date "
                         "non in ordine, firma prima della fine dell'attesa di 30 giorni): 400 con il campo "
                         "nominato in `errors`; attività già completata: 409.")
def complete_task(request, task_id: Annotated[int, Path(ge=1, le=MAX_ID)], payload: TaskCompleteIn):
    task = AgreementFlow.task_class.objects.filter(pk=task_id).first()
    if task is None or not hasattr(task.flow_task, "form_class"):
        raise Http404(_("Attività non trovata."))
    agreement = agreement_of(task)
    try:
        agreement_for(request.user, pk=agreement.pk if agreement else None)
    except Http404:
        raise Http404(_("Attività non trovata.")) from None
    if payload.step != task.flow_task.name:
        raise InvalidDataError.for_field(
            "step", _("L'attività è del passo %(step)s.") % {"step": task.flow_task.name})
    try:
        agreement = task_complete(task=task, actor=request.user, data=form_data(payload.data))
    except InvalidDataError as error:  # the step's form and service name their fields; the client sends data.<field>
        raise InvalidDataError(error.message, {
            f"data.{field}" if field != "__all__" else "data": messages for field, messages in error.errors.items()
        }) from None
    except ServiceError as error:  # a rule about one field (dates out of order): 400 naming data.<field>
        if error.field:
            error.field = f"data.{error.field}"
        raise
    return agreement_detail(agreement_for(request.user, pk=agreement.pk), request.user)
