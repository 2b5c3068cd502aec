"""Reads of the reminders for the pages: what was sent and what is scheduled for one agreement."""

import datetime

from agreements.common import dates
from agreements.common.statuses import EXPIRY_STATUSES, STOPPED_STATUSES
from agreements.models import Agreement, ReminderKind, RenewalClause, Status

from .services import policy_for_reading


def agreement_reminders(agreement: Agreement) -> dict:
    """The reminders sent for one agreement (newest first, with their e-mails) and those still to come."""
    return {
        "sent": list(agreement.reminders.order_by("-due_date", "-id").prefetch_related("messages")[:50]),
        "upcoming": upcoming_for(agreement),
    }


def upcoming_for(agreement: Agreement, *, today: datetime.date | None = None, policy=None) -> list[dict]:
    """The reminders still to come for one agreement, from its dates and the policy: [{kind, label, due_date,
    deadline}], soonest first. Repeats of expiry reminders are not listed one by one."""
    today = today or dates.today()
    policy = policy or policy_for_reading()
    items = []

    def add(kind, due, deadline):
        if due > today:
            items.append({"kind": kind, "label": ReminderKind(kind).label, "due_date": due, "deadline": deadline})

    renewal_pending = agreement.no_renewal_decided_on is None and not agreement.renewals.exclude(
        status__in=STOPPED_STATUSES).exists()
    if agreement.end_date and agreement.status in EXPIRY_STATUSES and renewal_pending:
        for t in policy.expiry_thresholds:
            add(ReminderKind.EXPIRY, agreement.end_date - datetime.timedelta(days=int(t)), agreement.end_date)
        if (agreement.renewal_clause == RenewalClause.TACIT and agreement.renewal_notice_days is not None
                and agreement.status in (Status.PUBLICATION, Status.IN_FORCE)):
            notice = agreement.end_date - datetime.timedelta(days=agreement.renewal_notice_days)
            for t in policy.notice_thresholds:
                add(ReminderKind.NON_RENEWAL_NOTICE, notice - datetime.timedelta(days=int(t)), notice)
    if agreement.status == Status.CONSULTATION:
        for due in set(agreement.opinions.filter(round=agreement.consultation_round, kind="pending")
                       .values_list("due_date", flat=True)):
            add(ReminderKind.CONSULTATION_DEADLINE, due - datetime.timedelta(days=policy.consultation_days_before),
                due)
    if agreement.status in (Status.NOTIFICATION, Status.OBSERVATIONS) and agreement.notice_government_date \
            and not agreement.observations_outcome:
        last = dates.observations_last_day(dates.observations_from(agreement))
        add(ReminderKind.OBSERVATIONS_END, last - datetime.timedelta(days=policy.observations_days_before), last)
    if agreement.status == Status.RATIFICATION and agreement.signed_on and not agreement.ratification_date:
        add(ReminderKind.RATIFICATION_PENDING,
            agreement.signed_on + datetime.timedelta(days=policy.ratification_pending_days), agreement.signed_on)
    return sorted(items, key=lambda i: i["due_date"])
