"""The bridge between the flow and agreements services: start a process, complete a task, fire timers.

A task is completed under the flow's row lock (SELECT ... FOR UPDATE on the process) in one transaction: the
step's agreements service writes and audits, then Viewflow records the task done and activates what follows.
If the service refuses, nothing is written and the task stays open.
"""

from django.db import transaction
from django.utils.translation import gettext as _
from viewflow.workflow import timers
from viewflow.workflow.status import STATUS

from agreements import services
from agreements.errors import InvalidDataError, InvalidStateError, PermissionDeniedError
from agreements.models import Agreement, Sector

from . import flows  # a module reference: flows imports the step views, which import this module
from .models import AgreementProcess
from .permissions import principal_for


@transaction.atomic
def proposal_start(*, actor, **fields) -> Agreement:
    """Step 1: a drafter opens a proposal; its procedure starts with the negotiation task in their inbox."""
    agreement = services.agreement_create(actor=actor, **fields)
    flows.AgreementFlow.start.run(agreement=agreement)
    return agreement


def process_of(agreement: Agreement) -> AgreementProcess | None:
    return AgreementProcess.objects.filter(agreement=agreement).order_by("-pk").first()


def task_complete(*, task, actor, data: dict) -> Agreement:
    """Complete one human task as `actor` with the step's form data. Exactly one of concurrent attempts wins;
    the others find the task done and get InvalidStateError."""
    with task.activation() as activation:  # the flow lock: one transaction, process row locked
        task = activation.task
        if task.status not in (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED):
            raise InvalidStateError(_("L'attività è già stata completata da un altro utente."))
        principal = principal_for(actor, task)
        if principal is None:
            raise PermissionDeniedError(_("Non puoi completare questa attività."))
        node = task.flow_task
        agreement = activation.process.agreement
        kwargs = step_data(node, data)
        if getattr(node, "per_dg", False):
            kwargs["dg"] = Sector.objects.get(pk=task.data["dg"])
        on_behalf_of = principal if principal.pk != actor.pk else None
        node.service(agreement=agreement, actor=actor, on_behalf_of=on_behalf_of, **kwargs)
        if task.status == STATUS.NEW:
            task.owner = principal
            task.status = STATUS.ASSIGNED
        if task.status == STATUS.ASSIGNED:
            task.status = STATUS.STARTED
            task.started = task.started or task.created
        task.save()
        activation.process.agreement.refresh_from_db()
        activation.complete()
        activation.activate_next()
    agreement.refresh_from_db()
    return agreement


def step_data(node, data: dict) -> dict:
    """Validate `data` with the step's form (pages and API alike) and return the service's keyword arguments."""
    form = node.form_class(data=data)
    if not form.is_valid():
        errors = {field: [str(m) for m in messages] for field, messages in form.errors.items()}
        raise InvalidDataError(_("Dati non validi: %(fields)s") % {"fields": ", ".join(errors)}, errors)
    return form.service_data() if hasattr(form, "service_data") else dict(form.cleaned_data)


def task_claim(*, task, actor):
    """Take a task from the role queue into one's own inbox."""
    with task.activation() as activation:
        if activation.task.status != STATUS.NEW or principal_for(actor, activation.task) is None:
            raise PermissionDeniedError(_("Non puoi prendere in carico questa attività."))
        activation.task.owner = actor
        activation.task.status = STATUS.ASSIGNED
        activation.task.save()


def open_tasks(agreement: Agreement):
    process = process_of(agreement)
    if process is None:
        return flows.AgreementFlow.task_class.objects.none()
    return process.task_set.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED], flow_task_type="HUMAN")


@transaction.atomic
def agreement_withdraw(*, agreement: Agreement, actor, closure: str, reason: str) -> Agreement:
    """The director withdraws or archives an agreement at any step: its open tasks are cancelled."""
    agreement = services.agreement_close(agreement=agreement, actor=actor, closure=closure, reason=reason)
    process = process_of(agreement)
    if process is not None and process.status not in (STATUS.DONE, STATUS.CANCELED):
        with flows.AgreementFlow.lock(process.pk):
            for task in process.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED]):
                task.status = STATUS.CANCELED
                task.save(update_fields=["status"])
            process.status = STATUS.CANCELED
            process.save(update_fields=["status"])
    return agreement


@transaction.atomic
def renewal_start(*, agreement: Agreement, actor) -> Agreement:
    """A renewal is a new agreement through the whole procedure, prefilled from the old one and linked to it."""
    renewal = services.renewal_create(agreement=agreement, actor=actor)
    flows.AgreementFlow.start.run(agreement=renewal)
    return renewal


def timers_fire_due() -> int:
    """Fire every due Viewflow timer (consultation deadlines, end of the 30-day wait). Idempotent: a fired timer
    is done, and each one is re-checked under the flow lock, so concurrent or repeated calls fire it once."""
    return timers.fire_due_timers()
