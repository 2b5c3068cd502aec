"""The procedure through the API: start a proposal, complete an open task. Writes go through the same services
as the pages (workflows.services), so the same rules and audit apply. Mounted by config/api.py."""

import decimal
from typing import Any, Literal

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status as HttpStatus
from pydantic import ConfigDict

from agreements.api.base import ERRORS
from agreements.api.records import AgreementDetailOut, agreement_detail
from agreements.api.records import router as records_router
from agreements.common.access import agreement_for
from agreements.common.errors import PermissionDeniedError
from agreements.common.roles import Role, has_role
from agreements.models import AgreementKind, RenewalClause
from agreements.records.selectors import proposal_references

from .completion import task_complete
from .flows import AgreementFlow
from .permissions import agreement_of
from .services import proposal_start

router = Router()


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


# POST /agreements shares its path with the register's GET: ninja routes one URL pattern per path and router,
# so the operation joins the register's router.
@records_router.post("/agreements", response={201: AgreementDetailOut, **ERRORS}, tags=["accordi"],
                  summary="Avvia una proposta (redattori)")
def start_proposal(request, payload: ProposalIn):
    if not has_role(request.user, Role.DRAFTER, Role.ADMIN):
        raise PermissionDeniedError(_("Solo i redattori avviano una proposta."))
    agreement = proposal_start(actor=request.user, **proposal_references(payload.dict()))
    return HttpStatus(201, agreement_detail(agreement_for(request.user, pk=agreement.pk), request.user))


class TaskCompleteIn(Schema):
    model_config = ConfigDict(extra="forbid")

    data: dict[str, Any] = Field(
        default_factory=dict,
        description="I campi del modulo del passo, es. {\"kind\": \"favourable\", \"notes\": \"\"} per un parere",
    )


@router.post("/tasks/{task_id}/complete", response={200: AgreementDetailOut, **ERRORS}, tags=["attività"],
          summary="Completa un'attività aperta di un accordo")
def complete_task(request, task_id: int, payload: TaskCompleteIn):
    task = AgreementFlow.task_class.objects.filter(pk=task_id).first()
    if task is None or not hasattr(task.flow_task, "form_class"):
        raise Http404(_("Attività non trovata."))
    agreement = agreement_of(task)
    try:
        agreement_for(request.user, pk=agreement.pk if agreement else None)
    except Http404:
        raise Http404(_("Attività non trovata.")) from None
    agreement = task_complete(task=task, actor=request.user, data=payload.data)
    return agreement_detail(agreement_for(request.user, pk=agreement.pk), request.user)
