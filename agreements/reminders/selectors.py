"""Reads of the reminders for the pages: what was sent and what is scheduled for one agreement, and the
deadlines of the calendar feed."""

import datetime
import functools
import hashlib

from django.conf import settings
from django.db import connections
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from agreements.common import dates
from agreements.common.statuses import EXPIRY_STATUSES, STOPPED_STATUSES
from agreements.models import Agreement, Opinion, OpinionKind, ReminderKind, RenewalClause, Status
from agreements.models.agreement import OPEN_STATUSES

from .services import policy_for_reading


def agreement_reminders(agreement: Agreement, opinions=None) -> dict:
    """The reminders sent for one agreement (newest first, with their e-mails) and those still to come.
    `opinions`: the agreement's opinions, when the caller has them already."""
    return {
        "sent": list(agreement.reminders.order_by("-due_date", "-id").prefetch_related("messages")[:50]),
        "upcoming": upcoming_for(agreement, opinions=opinions),
    }


def upcoming_for(agreement: Agreement, *, today: datetime.date | None = None, policy=None,
                 opinions=None) -> list[dict]:
    """The reminders still to come for one agreement, from its dates and the policy: [{kind, label, due_date,
    deadline}], soonest first. Repeats of expiry reminders are not listed one by one. `opinions`: the agreement's
    opinions (every round), when the caller has them already."""
    today = today or dates.today()
    # Read only when a reminder is due to come: most states (a proposal, a closed agreement) have none.
    rules = functools.cache(lambda: policy or policy_for_reading())
    items = []

    def add(kind, due, deadline):
        if due > today:
            items.append({"kind": kind, "label": ReminderKind(kind).label, "due_date": due, "deadline": deadline})

    if (agreement.end_date and agreement.status in EXPIRY_STATUSES and agreement.no_renewal_decided_on is None
            and not agreement.renewals.exclude(status__in=STOPPED_STATUSES).exists()):
        for t in rules().expiry_thresholds:
            add(ReminderKind.EXPIRY, agreement.end_date - datetime.timedelta(days=int(t)), agreement.end_date)
        if (agreement.renewal_clause == RenewalClause.TACIT and agreement.renewal_notice_days is not None
                and agreement.status in (Status.PUBLICATION, Status.IN_FORCE)):
            notice = agreement.end_date - datetime.timedelta(days=agreement.renewal_notice_days)
            for t in rules().notice_thresholds:
                add(ReminderKind.NON_RENEWAL_NOTICE, notice - datetime.timedelta(days=int(t)), notice)
    if agreement.status == Status.CONSULTATION:
        pending = ({o.due_date for o in opinions if o.round == agreement.consultation_round
                    and o.kind == OpinionKind.PENDING} if opinions is not None else
                   set(agreement.opinions.filter(round=agreement.consultation_round, kind=OpinionKind.PENDING)
                       .values_list("due_date", flat=True)))
        for due in pending:
            add(ReminderKind.CONSULTATION_DEADLINE, due - datetime.timedelta(days=rules().consultation_days_before),
                due)
    if agreement.status in (Status.NOTIFICATION, Status.OBSERVATIONS) and agreement.notice_government_date \
            and not agreement.observations_outcome:
        last = dates.observations_last_day(dates.observations_from(agreement))
        add(ReminderKind.OBSERVATIONS_END, last - datetime.timedelta(days=rules().observations_days_before), last)
    if agreement.status == Status.RATIFICATION and agreement.signed_on and not agreement.ratification_date:
        add(ReminderKind.RATIFICATION_PENDING,
            agreement.signed_on + datetime.timedelta(days=rules().ratification_pending_days), agreement.signed_on)
    return sorted(items, key=lambda i: i["due_date"])


# --- Calendar feed (ICS) -------------------------------------------------------------------------------------

def calendar_window(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The days the calendar feed covers: from CALENDAR_FEED_PAST_DAYS before today to CALENDAR_FEED_FUTURE_DAYS
    after it (30 and 730 unless set: what a calendar shows, not every deadline since the first agreement)."""
    today = today or dates.today()
    return (today - datetime.timedelta(days=settings.CALENDAR_FEED_PAST_DAYS),
            today + datetime.timedelta(days=settings.CALENDAR_FEED_FUTURE_DAYS))


def _calendar_rows(agreements: QuerySet, start: datetime.date, end: datetime.date) -> QuerySet:
    """The agreements that may have a deadline in [start, end]: in force or open, and expiring in the window, or
    with tacit renewal and expiring after its start (the notice day comes before the expiry), or waiting for the
    government's observations or the DGs' opinions (their days are computed or read below)."""
    return agreements.filter(
        Q(status__in=[*OPEN_STATUSES, Status.IN_FORCE]),
        Q(end_date__gte=start, end_date__lte=end)
        | Q(end_date__gte=start, renewal_clause=RenewalClause.TACIT, renewal_notice_days__isnull=False)
        | Q(status__in=[Status.NOTIFICATION, Status.OBSERVATIONS], notice_government_date__isnull=False)
        | Q(status=Status.CONSULTATION)
    )


CALENDAR_FIELDS = ("id", "reference", "title", "status", "counterpart__name", "end_date", "renewal_clause",
                   "renewal_notice_days", "notice_government_date", "observations_from", "observations_outcome",
                   "consultation_round")


def _pending_opinions(agreement_ids) -> QuerySet:
    return (Opinion.objects.filter(agreement_id__in=agreement_ids, kind=OpinionKind.PENDING)
            .values_list("agreement_id", "round", "due_date").distinct().order_by("agreement_id", "round", "due_date"))


def calendar_version(agreements: QuerySet, *, start: datetime.date, end: datetime.date) -> str:
    """A fingerprint of everything the feed is made of (the window's agreements with the columns the events read,
    their pending opinions): it changes when an event would. One query on PostgreSQL (md5 over the rows, computed
    by the database), the same rows read and hashed here elsewhere."""
    rows = _calendar_rows(agreements, start, end).order_by("id").values_list(*CALENDAR_FIELDS)
    consulting = _calendar_rows(agreements, start, end).filter(status=Status.CONSULTATION).values("id")
    opinions = _pending_opinions(consulting)
    connection = connections[rows.db]
    if connection.vendor == "postgresql":
        rows_sql, rows_params = rows.query.sql_with_params()
        opinions_sql, opinions_params = opinions.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT md5(coalesce((SELECT string_agg(r::text, ',') FROM ({rows_sql}) r), '') || '#' || "
                f"coalesce((SELECT string_agg(o::text, ',') FROM ({opinions_sql}) o), ''))",
                [*rows_params, *opinions_params],
            )
            digest = cursor.fetchone()[0]
    else:
        digest = hashlib.md5(repr((list(rows), list(opinions))).encode(), usedforsecurity=False).hexdigest()
    return f"{digest}-{start:%Y%m%d}-{end:%Y%m%d}"


def calendar_deadlines(agreements: QuerySet, *, start: datetime.date, end: datetime.date) -> list[dict]:
    """The deadlines from `start` to `end` of `agreements` (a queryset the user may see) for the calendar feed:
    expiry, last day for notice of non-renewal, DG consultation deadlines, end of the 30-day wait. Two queries
    whatever the number of agreements; the messages are translated once, not once per event."""
    rows = list(_calendar_rows(agreements, start, end).select_related("counterpart").only(
        *(f for f in CALENDAR_FIELDS if f != "id"), "kind", "updated_at"))
    by_id = {a.pk: a for a in rows}
    events = []
    expiry_summary, expiry_text = _("Scadenza: %(ref)s"), _("Scade l'accordo %(label)s.")
    notice_summary = _("Ultimo giorno per la disdetta: %(ref)s")
    notice_text = _("Ultimo giorno per comunicare la disdetta dell'accordo %(label)s (rinnovo tacito).")
    wait_summary = _("Fine attesa osservazioni: %(ref)s")
    wait_text = _("Termina l'attesa di 30 giorni dalla notifica al Governo per l'accordo %(label)s.")
    opinion_summary = _("Scadenza pareri DG: %(ref)s")
    opinion_text = _("Scade la consultazione delle DG sull'accordo %(label)s.")

    def add(agreement, kind, day, summary, description):
        if start <= day <= end:
            events.append({"agreement": agreement, "kind": kind, "date": day, "summary": summary,
                           "description": description,
                           "uid": f"{agreement.reference}-{kind}-{day:%Y%m%d}@intese"})

    for a in rows:
        label = f"{a.reference} {a.title} ({a.counterpart.name})"
        ref = {"ref": a.reference}
        if a.end_date:
            add(a, ReminderKind.EXPIRY, a.end_date, expiry_summary % ref, expiry_text % {"label": label})
            if a.renewal_clause == RenewalClause.TACIT and a.renewal_notice_days is not None:
                add(a, ReminderKind.NON_RENEWAL_NOTICE, a.end_date - datetime.timedelta(days=a.renewal_notice_days),
                    notice_summary % ref, notice_text % {"label": label})
        if a.status in (Status.NOTIFICATION, Status.OBSERVATIONS) and a.notice_government_date \
                and not a.observations_outcome:
            add(a, ReminderKind.OBSERVATIONS_END, dates.observations_last_day(dates.observations_from(a)),
                wait_summary % ref, wait_text % {"label": label})
    for agreement_id, round_, due in _pending_opinions([a.pk for a in rows if a.status == Status.CONSULTATION]):
        a = by_id[agreement_id]
        if round_ == a.consultation_round:
            add(a, ReminderKind.CONSULTATION_DEADLINE, due, opinion_summary % {"ref": a.reference},
                opinion_text % {"label": a.reference + " " + a.title})
    return sorted(events, key=lambda e: (e["date"], e["uid"]))
