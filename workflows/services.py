"""The bridge between the flow and the agreements services: start a process, cancel it, renew, fire timers.
Completing a task is in workflows/completion.py (the step pages call it while the flow is being defined).
"""

import datetime

from django.db import transaction
from viewflow.workflow import timers
from viewflow.workflow.status import STATUS

from agreements.common import dates
from agreements.health.services import heartbeat_record
from agreements.models import Agreement, ReminderPolicy, RenewalClause, Status
from agreements.notifications import services as notifications
from agreements.records import services as records

from . import flows
from .models import AgreementProcess
from .selectors import TASKS


@transaction.atomic
def proposal_start(*, actor, new_counterpart: dict | None = None, **fields) -> Agreement:
    """Step 1: a drafter opens a proposal; its procedure starts with the negotiation task in their inbox. A new
    counterpart entered with the proposal is created in the same transaction (refused as a likely duplicate)."""
    if new_counterpart:
        fields["counterpart"] = records.counterpart_create(actor=actor, **new_counterpart)
    agreement = records.agreement_create(actor=actor, **fields)
    flows.AgreementFlow.start.run(agreement=agreement)
    return agreement


def process_of(agreement: Agreement) -> AgreementProcess | None:
    return AgreementProcess.objects.filter(agreement=agreement).order_by("-pk").first()


@transaction.atomic
def agreement_withdraw(*, agreement: Agreement, actor, closure: str, reason: str) -> Agreement:
    """The director withdraws or archives an agreement at any step: its open tasks are cancelled."""
    agreement = records.agreement_close(agreement=agreement, actor=actor, closure=closure, reason=reason)
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
    renewal = records.renewal_create(agreement=agreement, actor=actor)
    flows.AgreementFlow.start.run(agreement=renewal)
    return renewal


def renewals_start_due(today=None) -> list[Agreement]:
    """Start the renewal of each agreement in force that reached its first expiry threshold, once: an agreement
    that ever had a renewal, has a tacit clause (it renews itself) or a decision not to renew is left alone."""
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
            renewal = records.renewal_create(agreement=agreement, actor=None, automatic=True)
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
    expired = records.agreements_expire(today=today or dates.today())
    return fired + len(renewed) + expired


def unreachable_tasks_report() -> int:
    """Tell the administrators, once per task, of the open tasks nobody can act on (a referent or holder left)."""
    with transaction.atomic():
        return len(notifications.unreachable_tasks_report(open_tasks=TASKS.unreachable()))


def delegations_started_notify() -> int:
    """Tell the deputies whose delegation runs today of the absent person's open tasks (once per task)."""
    with transaction.atomic():
        return len(notifications.delegations_started_notify(today=dates.today()))


def timers_job() -> int:
    """The periodic timers (worker): every due transition, the administrators told of tasks nobody can act on,
    the deputies whose delegation started told of the tasks waiting, then the heartbeat the health page reads."""
    fired = timers_fire_due()
    unreachable_tasks_report()
    delegations_started_notify()
    heartbeat_record("fire_workflow_timers", fired=fired)
    return fired
