"""The bridge between the flow and agreements services: start a process, complete a task, fire timers.

A task is completed under the flow's row lock (SELECT ... FOR UPDATE on the process) in one transaction: the
step's agreements service writes and audits, then Viewflow records the task done and activates what follows.
If the service refuses, nothing is written and the task stays open.
"""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _
from viewflow.workflow import timers
from viewflow.workflow.status import STATUS

from agreements import dates, services
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


def renewals_start_due(today=None) -> list[Agreement]:
    """Start the renewal of each agreement in force that reached its first expiry threshold, once: an agreement
    that ever had a renewal, has a tacit clause (it renews itself) or a decision not to renew is left alone."""
    from agreements.models import ReminderPolicy, RenewalClause, Status

    today = today or dates.today()
    first_threshold = max(ReminderPolicy.current().expiry_thresholds or [0])
    due = (
        Agreement.objects.filter(status=Status.IN_FORCE, end_date__lte=today + datetime.timedelta(days=first_threshold),
                                 no_renewal_decided_on__isnull=True, renewals__isnull=True)
        .exclude(renewal_clause__in=[RenewalClause.TACIT, RenewalClause.NONE])
        .order_by("end_date")
    )
    started = []
    for agreement in due:
        with transaction.atomic():
            renewal = services.renewal_create(agreement=agreement, actor=None, automatic=True)
            flows.AgreementFlow.start.run(agreement=renewal)
        started.append(renewal)
    return started


def timers_fire_due(today=None) -> int:
    """Every time-driven transition, for the beat: due Viewflow timers (consultation deadlines, end of the 30-day
    wait), automatic renewals at the first expiry threshold, and expiry (or tacit renewal) past the end date.
    Idempotent: a fired timer is done and re-checked under the flow lock; a renewal is started once; an expired
    agreement is no longer in force. Returns how many transitions happened."""
    fired = timers.fire_due_timers()
    renewed = renewals_start_due(today)
    expired = services.agreements_expire(today=today or dates.today())
    return fired + len(renewed) + expired
