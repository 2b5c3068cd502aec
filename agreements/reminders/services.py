"""Deadlines and reminders (README, "Reminders, e-mail and calendar").

The hourly scan computes from the database which reminders are due on a day: one set-based query per kind of
reminder, whatever the number of agreements. Each due reminder is one row unique on (agreement, kind, threshold,
due date); the rows are inserted with ON CONFLICT DO NOTHING and only the rows actually inserted get their e-mails
written to the outbox, in the same transaction. So repeated or concurrent scans create each reminder once, and a
scan that did not run for days catches up (every reminder due in the last `catch_up_days` that is still missing
is created now, once). Nothing is scheduled ahead in Celery: the dates live in the database.

What is reminded, and to whom:
- expiry: thresholds before the end date (policy, default 180, 90, 60, 30, 7, 0 days), repeated every
  `expiry_repeat_days` until the next threshold, for as long as no renewal is started and no decision not to
  renew is recorded; to the drafter and the director;
- non_renewal_notice: thresholds before the last day to give notice under a tacit-renewal clause; same people;
- consultation_deadline: a few days before a DG's opinion is due, to the referents of the DGs still silent;
- observations_end: the end of the 30-day wait after the notice to the government, to the drafter;
- ratification_pending: an agreement signed `ratification_pending_days` ago and not yet ratified;
- idle_task: a task untouched in an inbox for `idle_task_days`, to its holder; after twice as long, to the director.
"""

import datetime
import json
import uuid
from dataclasses import dataclass, field
from html import escape as html_escape

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Exists, F, OuterRef
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext as _

from agreements.common import dates, tasks
from agreements.common.audit import audit_record
from agreements.common.errors import InvalidStateError, PermissionDeniedError
from agreements.common.links import agreement_url
from agreements.common.roles import Role, has_role
from agreements.health.services import heartbeat_record
from agreements.models import (
    Agreement,
    AuditEvent,
    Opinion,
    OpinionKind,
    OutboxMessage,
    Profile,
    Reminder,
    ReminderKind,
    ReminderPolicy,
    Status,
    UserToken,
)
from agreements.models.agreement import RenewalClause
from agreements.outbox.services import message_id_for, relay_soon

_translations: dict = {}


def _translator():
    """gettext for the active language, remembered: a scan formats the same sentences for thousands of e-mails,
    and looking the language up costs more than the formatting. Functions that run per reminder start with
    `_ = _translator()`."""
    language = get_language()
    cache = _translations.setdefault(language, {})

    def translate(message: str) -> str:
        text = cache.get(message)
        if text is None:
            text = cache[message] = gettext(message)
        return text

    return translate


# Renewals in these states do not count: the expiry reminders go on.
DEAD_RENEWAL_STATUSES = (Status.REJECTED, Status.WITHDRAWN, Status.ARCHIVED)
# An expiry reminder is about an agreement that has (or will soon have) legal effect.
EXPIRY_STATUSES = (Status.PUBLICATION, Status.IN_FORCE, Status.EXPIRED)
NO_REPEAT = 100_000  # days: a repeat interval no reminder ever reaches


@dataclass
class DueReminder:
    """A reminder a scan on `today` creates, with what its e-mails need."""

    agreement_id: int
    reference: str
    title: str
    counterpart: str
    kind: str
    threshold: int
    due_date: datetime.date
    deadline: datetime.date
    recipients: list = field(default_factory=list)  # [{"email": ..., "reason": ...}], one e-mail each
    extra: dict = field(default_factory=dict)

    @property
    def key(self):
        return (self.agreement_id, self.kind, self.threshold, self.due_date)

    def as_json(self) -> dict:
        return {
            "reference": self.reference,
            "counterpart": self.counterpart,
            "kind": self.kind,
            "threshold": self.threshold,
            "due_date": self.due_date.isoformat(),
            "deadline": self.deadline.isoformat(),
            "recipients": [r["email"] for r in self.recipients],
        }


def policy_for_reading() -> ReminderPolicy:
    """The policy without writing anything (the defaults until an administrator saves one)."""
    return ReminderPolicy.objects.filter(pk=1).first() or ReminderPolicy(pk=1)


POLICY_FIELDS = ("expiry_thresholds", "expiry_repeat_days", "consultation_days_before", "observations_days_before",
                 "ratification_pending_days", "idle_task_days", "notice_thresholds", "catch_up_days")


@transaction.atomic
def reminder_policy_update(*, actor, **values) -> ReminderPolicy:
    """An administrator changes the thresholds; the next scan uses them."""
    if not has_role(actor, Role.ADMIN):
        raise PermissionDeniedError(_("Solo un amministratore può modificare le regole dei promemoria."))
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise InvalidStateError(_("Campi sconosciuti: %(f)s") % {"f": ", ".join(sorted(unknown))})
    ReminderPolicy.objects.get_or_create(pk=1)
    policy = ReminderPolicy.objects.select_for_update().get(pk=1)
    changes = {name: [getattr(policy, name), value] for name, value in values.items() if getattr(policy, name) != value}
    for name, value in values.items():
        setattr(policy, name, value)
    policy.full_clean()
    policy.save()
    audit_record(actor=actor, action="reminder_policy_update", changes=changes)
    return policy


# --- The queries: one per kind ------------------------------------------------------------------------------

# --- The queries: one set-based query per kind (portable: PostgreSQL, and SQLite in the embedded mode) --------
#
# Each query fetches, in one statement whatever the number of agreements, the rows that may have a reminder due
# in the catch-up window [since, today]; a few lines of Python then pick the due occurrence of each row. The
# date filters run on indexed columns (end_date, due_date, signed_on, created), so the rows fetched are the ones
# near a deadline, not the whole register.

def _people(row: dict, *, director=True) -> list[dict]:
    """The drafter and (unless told otherwise) the director of an agreement row, active and with an e-mail."""
    _ = _translator()
    people = []
    if row["drafted_by__is_active"] and row["drafted_by__email"]:
        people.append({"email": row["drafted_by__email"],
                       "reason": _("Ricevi questo messaggio come redattore dell'accordo.")})
    if (director and row["director__is_active"] and row["director__email"]
            and row["director__email"] != row["drafted_by__email"]):
        people.append({"email": row["director__email"],
                       "reason": _("Ricevi questo messaggio come dirigente responsabile dell'accordo.")})
    return people


AGREEMENT_FIELDS = ("id", "reference", "title", "counterpart__name", "drafted_by__email", "drafted_by__is_active",
                    "director__email", "director__is_active")


def _fields(prefix: str) -> list[str]:
    return [prefix + f for f in AGREEMENT_FIELDS]


def _agreement_row(row: dict, prefix: str) -> dict:
    """A row fetched through a relation, with the agreement's fields under their plain names."""
    return {**row, **{f: row[prefix + f] for f in AGREEMENT_FIELDS}}


def _due(row: dict, kind, threshold, due_date, deadline, recipients, **extra) -> DueReminder:
    return DueReminder(
        agreement_id=row["id"], reference=row["reference"], title=row["title"], counterpart=row["counterpart__name"],
        kind=kind, threshold=threshold, due_date=due_date, deadline=deadline, recipients=recipients, extra=extra,
    )


def latest_occurrence(deadline, thresholds, repeat, *, today, since):
    """(threshold, due date) of the reminder due for `deadline` on `today`, or None. For each threshold t (days
    before) the first reminder is due on deadline - t and repeats every `repeat` days until the next threshold's
    day, never after the deadline. The latest occurrence on or before today counts if it falls in the window
    [since, today]: a day's scan and a catch-up after days of downtime agree, and a catch-up sends the current
    reminder rather than older ones that would repeat it with stale figures."""
    ts = sorted({int(t) for t in thresholds}, reverse=True)
    step = repeat or NO_REPEAT
    found = None
    for i, t in enumerate(ts):
        first = deadline - datetime.timedelta(days=t)
        last = min(today, deadline,
                   deadline - datetime.timedelta(days=ts[i + 1] + 1) if i + 1 < len(ts) else deadline)
        if last < first:
            continue
        due = first + datetime.timedelta(days=(last - first).days // step * step)
        if due >= since:
            found = (t, due)  # thresholds in decreasing order: later ones are later in time
    return found


def _renewal_pending():
    """Agreements whose renewal has not been started (renewals that were rejected or dropped do not count)."""
    return ~Exists(Agreement.objects.filter(renews=OuterRef("pk")).exclude(status__in=DEAD_RENEWAL_STATUSES))


def _sql_occurrences(queryset, deadline_sql: str, *, kind, thresholds, repeat, today, since):
    """On PostgreSQL: the rows of `queryset` (a values() queryset) that have a reminder of `kind` due in [since,
    today] that does not exist yet, each with "threshold" and "due_date" added. latest_occurrence() computed in the
    database for every row (a LATERAL over the thresholds) and the existing reminders anti-joined through the
    unique index (agreement, kind, threshold, due_date): a re-scan fetches nothing, whatever the register's size.
    `deadline_sql` is the deadline as an SQL expression over the queryset's columns, quoted as `q."<field>"`.
    Same results as latest_occurrence() (tests/reminders/test_scan_sql.py compares them)."""
    names = list(queryset.query.values_select) + list(queryset.query.annotation_select)
    inner, params = queryset.query.sql_with_params()
    connection = connections[queryset.db]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(n) for n in names)
    ts = sorted({int(t) for t in thresholds}, reverse=True)
    sql = f"""
        WITH th AS (SELECT t, lead(t) OVER (ORDER BY t DESC) AS next_t FROM unnest(%s::int[]) AS t)
        SELECT q.*, occ.t, occ.due FROM ({inner}) AS q({columns})
        CROSS JOIN LATERAL (SELECT {deadline_sql} AS deadline) d
        CROSS JOIN LATERAL (
            SELECT th.t, w.first + (w.last - w.first) / %s * %s AS due
            FROM th CROSS JOIN LATERAL (
                SELECT d.deadline - th.t AS first, LEAST(%s::date, d.deadline - COALESCE(th.next_t + 1, 0)) AS last
            ) w
            WHERE w.last >= w.first AND w.first + (w.last - w.first) / %s * %s >= %s::date
            ORDER BY th.t LIMIT 1
        ) occ
        WHERE NOT EXISTS (
            SELECT 1 FROM {quote(Reminder._meta.db_table)} r
            WHERE r.agreement_id = q."id" AND r.kind = %s AND r.threshold = occ.t AND r.due_date = occ.due
        )"""
    step = repeat or NO_REPEAT
    with connection.cursor() as cursor:
        cursor.execute(sql, [ts, *params, step, step, today, step, step, since, kind])
        return [dict(zip([*names, "threshold", "due_date"], row, strict=True)) for row in cursor.fetchall()]


def _in_database(queryset) -> bool:
    return connections[queryset.db].vendor == "postgresql"


def _expiry(policy, today, since, existing):
    thresholds = policy.expiry_thresholds or []
    if not thresholds:
        return []
    rows = (
        Agreement.objects.filter(_renewal_pending(), status__in=EXPIRY_STATUSES, no_renewal_decided_on__isnull=True,
                                 end_date__range=(since, today + datetime.timedelta(days=max(thresholds))))
        .values(*AGREEMENT_FIELDS, "end_date")
    )
    if _in_database(rows):
        hits = _sql_occurrences(rows, 'q."end_date"', kind=ReminderKind.EXPIRY, thresholds=thresholds,
                                repeat=policy.expiry_repeat_days, today=today, since=since)
        return [_due(row, ReminderKind.EXPIRY, row["threshold"], row["due_date"], row["end_date"], _people(row),
                     repeat=policy.expiry_repeat_days) for row in hits]
    due = []
    for row in rows:
        hit = latest_occurrence(row["end_date"], thresholds, policy.expiry_repeat_days, today=today, since=since)
        if hit and (row["id"], ReminderKind.EXPIRY, *hit) not in existing:
            due.append(_due(row, ReminderKind.EXPIRY, hit[0], hit[1], row["end_date"], _people(row),
                            repeat=policy.expiry_repeat_days))
    return due


def _non_renewal_notice(policy, today, since, existing):
    thresholds = policy.notice_thresholds or []
    if not thresholds:
        return []
    rows = (
        Agreement.objects.filter(_renewal_pending(), status__in=(Status.PUBLICATION, Status.IN_FORCE),
                                 renewal_clause=RenewalClause.TACIT, renewal_notice_days__isnull=False,
                                 no_renewal_decided_on__isnull=True, end_date__gte=since)
        .values(*AGREEMENT_FIELDS, "end_date", "renewal_notice_days")
    )
    if _in_database(rows):
        hits = _sql_occurrences(rows, 'q."end_date" - q."renewal_notice_days"', kind=ReminderKind.NON_RENEWAL_NOTICE,
                                thresholds=thresholds, repeat=0, today=today, since=since)
        return [_due(row, ReminderKind.NON_RENEWAL_NOTICE, row["threshold"], row["due_date"],
                     row["end_date"] - datetime.timedelta(days=row["renewal_notice_days"]), _people(row),
                     notice_days=row["renewal_notice_days"]) for row in hits]
    due = []
    for row in rows:
        deadline = row["end_date"] - datetime.timedelta(days=row["renewal_notice_days"])
        hit = latest_occurrence(deadline, thresholds, 0, today=today, since=since)
        if hit and (row["id"], ReminderKind.NON_RENEWAL_NOTICE, *hit) not in existing:
            due.append(_due(row, ReminderKind.NON_RENEWAL_NOTICE, hit[0], hit[1], deadline, _people(row),
                            notice_days=row["renewal_notice_days"]))
    return due


def _referents(dg_ids) -> dict:
    """{dg id: [e-mail of each active referent]} in one query."""
    referents = {}
    for dg_id, email in (
        Profile.objects.filter(dg_id__in=set(dg_ids), user__is_active=True).exclude(user__email="")
        .order_by("user__email").values_list("dg_id", "user__email")
    ):
        referents.setdefault(dg_id, []).append(email)
    return referents


def _consultation_deadline(policy, today, since, existing):
    _ = _translator()
    before = datetime.timedelta(days=policy.consultation_days_before)
    rows = list(
        Opinion.objects.filter(kind=OpinionKind.PENDING, agreement__status=Status.CONSULTATION,
                               round=F("agreement__consultation_round"),
                               due_date__range=(max(since + before, today), today + before))
        .values("due_date", "dg_id", "dg__name", *_fields("agreement__"))
        .order_by("agreement_id", "due_date", "dg__name")
    )
    referents = _referents(row["dg_id"] for row in rows)
    grouped: dict[tuple, DueReminder] = {}
    for row in rows:
        row = _agreement_row(row, "agreement__")
        key = (row["id"], row["due_date"])
        if key not in grouped:
            grouped[key] = _due(row, ReminderKind.CONSULTATION_DEADLINE, policy.consultation_days_before,
                                row["due_date"] - before, row["due_date"], [], dgs=[])
        reminder = grouped[key]
        reminder.extra["dgs"].append(row["dg__name"])
        reason = _("Ricevi questo messaggio come referente della %(dg)s.") % {"dg": row["dg__name"]}
        known = {r["email"] for r in reminder.recipients}
        reminder.recipients.extend({"email": e, "reason": reason} for e in referents.get(row["dg_id"], [])
                                   if e not in known)
    return list(grouped.values())


def _observations_end(policy, today, since, existing):
    wait = datetime.timedelta(days=dates.OBSERVATION_DAYS - policy.observations_days_before)
    rows = (
        Agreement.objects.annotate(wait_from=Coalesce("observations_from", "notice_government_date"))
        .filter(status__in=(Status.NOTIFICATION, Status.OBSERVATIONS), observations_outcome="",
                wait_from__range=(since - wait, today - wait))
        .values(*AGREEMENT_FIELDS, "notice_government_date", "wait_from", "kind")
    )
    due = []
    for row in rows:
        # The 30 days run from the later receipt of the notice (observations_from; the sending date if none).
        last_day = dates.observations_last_day(row["wait_from"])
        drafter_only = _people(row, director=False)
        due.append(_due(row, ReminderKind.OBSERVATIONS_END, policy.observations_days_before,
                        row["wait_from"] + wait, last_day, drafter_only,
                        notice_date=row["notice_government_date"], needs_full_powers=row["kind"] == "accordo"))
    return due


def _ratification_pending(policy, today, since, existing):
    days = datetime.timedelta(days=policy.ratification_pending_days)
    rows = (
        Agreement.objects.filter(status=Status.RATIFICATION, ratification_date__isnull=True,
                                 signed_on__range=(since - days, today - days))
        .values(*AGREEMENT_FIELDS, "signed_on")
    )
    return [
        _due(row, ReminderKind.RATIFICATION_PENDING, policy.ratification_pending_days, row["signed_on"] + days,
             row["signed_on"], _people(row))
        for row in rows
    ]


def _idle_task(policy, today, since, existing):
    """An open human task untouched since it was created: after `idle_task_days` its holder is reminded (its
    owner; for a DG's task still in the queue, that DG's referents; otherwise the drafter), after twice as long
    the director. Tasks of one agreement that became idle on the same day make one reminder."""
    _ = _translator()
    idle = policy.idle_task_days
    if not idle:
        return []
    agreement = "agreement_"
    rows = tasks.directory().idle_rows(
        created_from=dates.start_of_day(since - datetime.timedelta(days=2 * idle)),
        created_before=dates.start_of_day(today - datetime.timedelta(days=idle - 1)),
        agreement_fields=list(AGREEMENT_FIELDS),
    )
    referents = _referents(row["data"].get("dg") for row in rows if not row["owner_id"] and row["data"])
    grouped: dict[tuple, DueReminder] = {}
    for row in rows:
        row = _agreement_row(row, agreement)
        created_day = timezone.localdate(row["created"])
        for threshold in (idle, 2 * idle):
            due_date = created_day + datetime.timedelta(days=threshold)
            if not since <= due_date <= today:
                continue
            key = (row["id"], threshold, due_date)
            reminder = grouped.get(key)
            if reminder is None:
                reminder = grouped[key] = _due(row, ReminderKind.IDLE_TASK, threshold, due_date, created_day, [],
                                               tasks=[])
            title = row["task_title"]
            if title not in reminder.extra["tasks"]:
                reminder.extra["tasks"].append(title)
            if threshold == idle:
                reason = _("Ricevi questo messaggio perché l'attività è nella tua lista o in quella del tuo ufficio.")
                if row["owner_id"]:
                    emails = [row["owner__email"]] if row["owner__is_active"] and row["owner__email"] else []
                elif row["data"] and row["data"].get("dg"):
                    emails = referents.get(row["data"]["dg"], [])
                else:
                    emails = [p["email"] for p in _people(row, director=False)]
            else:
                reason = _("Ricevi questo messaggio come dirigente responsabile dell'accordo: l'attività è ferma.")
                emails = [row["director__email"]] if row["director__is_active"] and row["director__email"] else []
            known = {r["email"] for r in reminder.recipients}
            reminder.recipients.extend({"email": e, "reason": reason} for e in emails if e not in known)
    return list(grouped.values())


KIND_QUERIES = (_expiry, _non_renewal_notice, _consultation_deadline, _observations_end, _ratification_pending,
                _idle_task)


def due_reminders(*, today: datetime.date, policy: ReminderPolicy | None = None) -> list[DueReminder]:
    """The reminders a scan on `today` would create (those not created yet). Reads, never writes."""
    policy = policy or policy_for_reading()
    since = today - datetime.timedelta(days=policy.catch_up_days)
    existing = Reminder.objects.filter(due_date__range=(since, today))
    if connections[existing.db].vendor == "postgresql":
        # Expiry and notice reminders (one per agreement near its end: the bulk of them) are anti-joined in the
        # database (_sql_occurrences); the other kinds are few (agreements at one step of their procedure).
        existing = existing.exclude(kind__in=(ReminderKind.EXPIRY, ReminderKind.NON_RENEWAL_NOTICE))
    existing = set(existing.values_list("agreement_id", "kind", "threshold", "due_date"))
    due = []
    for query in KIND_QUERIES:
        due.extend(d for d in query(policy, today, since, existing) if d.key not in existing)
    return sorted(due, key=lambda d: (d.due_date, d.reference, d.kind, d.threshold))


# --- The scan ------------------------------------------------------------------------------------------------


def reminder_message_id(reminder: DueReminder, index: int) -> str:
    """The Message-ID of the e-mail to a reminder's `index`-th recipient: stable, from the reminder's key."""
    return message_id_for(
        f"reminder-{reminder.agreement_id}-{reminder.kind}-{reminder.threshold}-{reminder.due_date:%Y%m%d}-{index}"
    )


def _json_default(value):
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"not JSON serialisable: {value!r}")


def _bulk_insert(model, objs: list, *, ignore_conflicts: bool = False) -> None:
    """bulk_create, and on PostgreSQL its equivalent as one INSERT ... SELECT FROM jsonb_to_recordset() of a single
    JSON parameter: the values travel as one document serialised in C, where bulk_create adapts thousands of long
    e-mail bodies one value at a time (most of a large scan's time)."""
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql" or not objs:
        model.objects.bulk_create(objs, ignore_conflicts=ignore_conflicts)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    rows = [{f.column: f.pre_save(obj, add=True) for f in fields} for obj in objs]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    types = ", ".join(f"{quote(f.column)} {f.db_type(connection)}" for f in fields)
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({columns}) SELECT {columns} "
           f"FROM jsonb_to_recordset(%s::jsonb) AS x({types})")
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps(rows, default=_json_default)])


def scan_due(*, today: datetime.date | None = None) -> dict:
    """Create every reminder due on `today` (default: today in Europe/Rome) that does not exist yet and queue its
    e-mails, in one transaction. Returns {"reminders": created, "messages": queued}. Idempotent.

    The due reminders are read before the transaction opens: under READ COMMITTED each statement sees what was
    committed when it started, inside a transaction or not, so the reads see the same rows, and the hourly re-scan
    that finds nothing (23 of the day's 24) opens no transaction at all. The rows are inserted with ON CONFLICT DO
    NOTHING on the unique key, tagged with this scan's id; the rows that carry the tag are the ones this scan
    created (a concurrent scan that inserted a key first keeps it, with its own e-mails), and only they get e-mails
    and audit events."""
    today = today or dates.today()
    due = due_reminders(today=today)
    if not due:
        return {"reminders": 0, "messages": 0}
    return _reminders_create(due)


@transaction.atomic
def _reminders_create(due: list[DueReminder]) -> dict:
    scan = uuid.uuid4()
    _bulk_insert(
        Reminder,
        [Reminder(agreement_id=d.agreement_id, kind=d.kind, threshold=d.threshold, due_date=d.due_date,
                  deadline=d.deadline, recipients=d.recipients, scan=scan) for d in due],
        ignore_conflicts=True,
    )
    created = {(a, k, t, day): pk for pk, a, k, t, day in Reminder.objects.filter(scan=scan).values_list(
        "pk", "agreement_id", "kind", "threshold", "due_date")}
    now = timezone.now()
    messages, events = [], []
    for reminder in due:
        pk = created.get(reminder.key)
        if pk is None:
            continue  # another scan created it first: the e-mails are that scan's
        subject, text, html = render_email(reminder)
        for index, recipient in enumerate(reminder.recipients):
            messages.append(OutboxMessage(
                reminder_id=pk, agreement_id=reminder.agreement_id,
                message_id=reminder_message_id(reminder, index), to=[recipient["email"]], subject=subject[:300],
                body_text=text.replace(REASON, recipient["reason"]),
                body_html=html.replace(REASON, escape(recipient["reason"])), next_attempt_at=now,
            ))
        events.append(AuditEvent(
            agreement_id=reminder.agreement_id, actor=None, actor_name="sistema", action="reminder_create",
            detail={"kind": reminder.kind, "threshold": reminder.threshold, "due_date": reminder.due_date.isoformat(),
                    "recipients": [r["email"] for r in reminder.recipients]},
        ))
    _bulk_insert(OutboxMessage, messages)
    _bulk_insert(AuditEvent, events)
    if messages:
        relay_soon()
    return {"reminders": len(created), "messages": len(messages)}


# --- The e-mail -------------------------------------------------------------------------------------------

REASON = "[[intese:reason]]"


def _d(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


def _what(reminder: DueReminder) -> tuple[str, str, str]:
    """(subject, what happens, what to do) for one reminder, in Italian."""
    _ = _translator()
    r, days = reminder, (reminder.deadline - reminder.due_date).days
    ctx = {"ref": r.reference, "date": _d(r.deadline), "days": days, "threshold": r.threshold}
    if r.kind == ReminderKind.EXPIRY:
        if days <= 0:
            subject = _("%(ref)s: l'accordo scade oggi (%(date)s)") % ctx
        else:
            subject = _("%(ref)s: l'accordo scade il %(date)s (tra %(days)d giorni)") % ctx
        what = _("L'accordo scade il %(date)s.") % ctx
        repeat = r.extra.get("repeat")
        todo = _("Per rinnovarlo, avviare il rinnovo dalla pagina dell'accordo; altrimenti registrare la decisione "
                 "di non rinnovare.")
        if repeat:
            todo += " " + _("Questo promemoria si ripete ogni %(n)d giorni finché non si avvia il rinnovo o non si "
                            "registra la decisione di non rinnovare.") % {"n": repeat}
    elif r.kind == ReminderKind.NON_RENEWAL_NOTICE:
        subject = _("%(ref)s: ultimo giorno per la disdetta il %(date)s") % ctx
        what = _("L'accordo si rinnova tacitamente: l'ultimo giorno per comunicare la disdetta è il %(date)s "
                 "(tra %(days)d giorni).") % ctx
        todo = _("Se l'accordo non deve essere rinnovato, inviare la disdetta alla controparte entro quella data e "
                 "registrare la decisione di non rinnovare.")
    elif r.kind == ReminderKind.CONSULTATION_DEADLINE:
        subject = _("%(ref)s: parere DG entro il %(date)s") % ctx
        what = _("Il parere della %(dgs)s sull'accordo è atteso entro il %(date)s.") % {
            **ctx, "dgs": ", ".join(r.extra.get("dgs", [])) or _("DG")}
        todo = _("Esprimere il parere dalla propria lista di attività. In assenza di parere entro la scadenza vale "
                 "il silenzio-assenso.")
    elif r.kind == ReminderKind.OBSERVATIONS_END:
        subject = _("%(ref)s: fine dell'attesa di 30 giorni il %(date)s") % ctx
        what = _("L'attesa di 30 giorni dalla notifica al Governo del %(notice)s termina il %(date)s.") % {
            **ctx, "notice": _d(r.extra["notice_date"])}
        if r.extra.get("needs_full_powers"):
            todo = _("Per un accordo con uno Stato estero la firma resta subordinata ai pieni poteri del Ministero "
                     "degli Affari Esteri.")
        else:
            todo = _("Senza osservazioni del Governo, dal giorno successivo l'accordo può essere firmato.")
    elif r.kind == ReminderKind.RATIFICATION_PENDING:
        subject = _("%(ref)s: ratifica in sospeso da %(threshold)d giorni") % ctx
        what = _("L'accordo è stato firmato il %(date)s e non risulta ancora ratificato dall'Assemblea "
                 "legislativa.") % ctx
        todo = _("Verificare lo stato della ratifica e registrarla quando è approvata.")
    else:
        subject = _("%(ref)s: attività ferma da %(threshold)d giorni") % ctx
        what = _("Attività in attesa dal %(date)s: %(tasks)s.") % {
            **ctx, "tasks": ", ".join(f"«{t}»" for t in r.extra.get("tasks", []))}
        todo = _("Completare l'attività o affidarla a un sostituto.")
    return subject, what, todo


_kind_labels: dict = {}


def _kind_label(kind: str) -> str:
    key = (get_language(), kind)
    if key not in _kind_labels:
        _kind_labels[key] = str(ReminderKind(kind).label)
    return _kind_labels[key]


_EMAIL_HTML = (
    '<!doctype html>\n<html lang="it">\n<head><meta charset="utf-8"><title>{subject}</title></head>\n'
    '<body style="font-family: Arial, sans-serif; color: #1b1b1b; line-height: 1.5">\n'
    '<p style="font-size: 0.9em; color: #555">{promemoria}: {label}</p>\n'
    '<h1 style="font-size: 1.2em">{reference} «{title}»</h1>\n{counterpart}'
    "<p><strong>{what}</strong></p>\n<p>{todo}</p>\n"
    '<p><a href="{url}">{open} {reference}</a></p>\n'
    '<p style="font-size: 0.9em; color: #555">{reason}</p>\n<hr>\n'
    '<p style="font-size: 0.8em; color: #777">{office}<br>\n{automatic}</p>\n</body>\n</html>\n'
)


def render_email(reminder: DueReminder) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a reminder's e-mail, in Italian. The bodies hold the REASON placeholder,
    replaced per recipient by why they get it (one rendering per reminder, not per recipient). Built with plain
    string formatting (every value HTML-escaped) rather than the template engine: a scan may render thousands."""
    _ = _translator()
    subject, what, todo = _what(reminder)
    r, url, label = reminder, agreement_url(reminder.reference), _kind_label(reminder.kind)
    counterpart = _("Controparte") + f": {r.counterpart}\n" if r.counterpart else ""
    text = (
        f"{subject}\n\n{r.reference} «{r.title}»\n{counterpart}{_('Promemoria')}: {label}\n\n{what}\n{todo}\n\n"
        f"{_('Apri l’accordo')}: {url}\n\n{REASON}\n--\n{_('Intese · Regione · Ufficio Relazioni internazionali')}\n"
        f"{_('Messaggio automatico: non rispondere a questo indirizzo.')}\n"
    )
    e = html_escape
    html = _EMAIL_HTML.format(
        subject=e(subject), promemoria=e(_("Promemoria")), label=e(label), reference=e(r.reference), title=e(r.title),
        counterpart=f"<p>{e(_('Controparte'))}: {e(r.counterpart)}</p>\n" if r.counterpart else "",
        what=e(what), todo=e(todo), url=e(url), open=e(_("Apri l’accordo")), reason=REASON,
        office=e(_("Intese · Regione · Ufficio Relazioni internazionali")),
        automatic=e(_("Messaggio automatico: non rispondere a questo indirizzo.")),
    )
    return subject, text, html


# --- Calendar deadlines (ICS feed) ----------------------------------------------------------------------------

def _ics_text(text: str) -> str:
    """RFC 5545 TEXT escaping, as icalendar writes it."""
    return (text.replace(r"\N", "\n").replace("\\", "\\\\").replace(";", r"\;").replace(",", r"\,")
            .replace("\r\n", r"\n").replace("\n", r"\n").replace("\r", r"\n"))


def _ics_fold(line: str, limit: int = 75) -> str:
    """RFC 5545 folding at 75 octets, as icalendar does it (never between a backslash and what it escapes)."""
    if len(line) < limit and line.isascii():
        return line
    folded, current, size = [], [], 0
    for char in line:
        length = len(char.encode())
        if current and size + length >= limit:
            if len(current) > 1 and current[-1] in "\\^":
                carried = current.pop()
                folded.append("".join(current))
                current, size = [carried], len(carried.encode())
            else:
                folded.append("".join(current))
                current, size = [], 0
        current.append(char)
        size += length
    if current:
        folded.append("".join(current))
    return "\r\n ".join(folded)


def calendar_ics(events: list[dict], *, name: str, stamp: datetime.datetime) -> bytes:
    """An iCalendar feed of all-day events. UIDs are stable (reference, kind, date), so a calendar client that
    refreshes the feed updates the events it knows instead of adding copies.

    Written line by line with icalendar's own escaping and folding, in the order icalendar writes the properties:
    the same bytes as an icalendar.Calendar of the same events (tests/reminders/test_ics.py compares them), without
    building an object per property (the feed of a whole register holds tens of thousands of lines)."""
    stamp_text = stamp.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Regione//Intese//IT", "CALSCALE:GREGORIAN",
             _ics_fold(f"X-WR-CALNAME:{name}"), f"X-WR-TIMEZONE:{settings.TIME_ZONE}"]
    categories = {kind: _ics_text(str(kind.label)) for kind in ReminderKind}
    for item in events:
        url = agreement_url(item["agreement"].reference)
        day = item["date"]
        lines += [
            "BEGIN:VEVENT",
            _ics_fold(f"SUMMARY:{_ics_text(item['summary'])}"),
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + datetime.timedelta(days=1):%Y%m%d}",
            f"DTSTAMP:{stamp_text}",
            _ics_fold(f"UID:{_ics_text(item['uid'])}"),
            _ics_fold(f"CATEGORIES:{categories[ReminderKind(item['kind'])]}"),
            _ics_fold(f"DESCRIPTION:{_ics_text(item['description'] + chr(10) + url)}"),
            "TRANSP:TRANSPARENT",
            _ics_fold(f"URL:{url}"),
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def calendar_token_of(user) -> UserToken | None:
    return UserToken.objects.filter(user=user, purpose=UserToken.Purpose.CALENDAR, revoked_at__isnull=True).first()


def _calendar_tokens_revoke(actor) -> int:
    """Revoke every active feed URL of `actor` (who must be logged in); return how many."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDeniedError(_("Accesso richiesto."))
    return UserToken.objects.filter(
        user=actor, purpose=UserToken.Purpose.CALENDAR, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())


@transaction.atomic
def calendar_token_issue(*, actor) -> UserToken:
    """A new private feed URL for `actor`; any previous one stops working. The returned token's `key` is the clear
    key, known only now (the database keeps its hash)."""
    revoked = _calendar_tokens_revoke(actor)
    token = UserToken.issue(user=actor, purpose=UserToken.Purpose.CALENDAR)
    audit_record(actor=actor, action="calendar_token_issue", detail={"token": token.pk, "revoked": revoked})
    return token


@transaction.atomic
def calendar_token_revoke(*, actor) -> int:
    """Revoke `actor`'s feed URL: the old address answers 404 from now on."""
    revoked = _calendar_tokens_revoke(actor)
    if not revoked:
        raise InvalidStateError(_("Non hai un indirizzo del calendario attivo."))
    audit_record(actor=actor, action="calendar_token_revoke", detail={"revoked": revoked})
    return revoked


def scan_job() -> dict:
    """The hourly scan (worker): today's reminders, then the heartbeat the health page reads."""
    result = scan_due(today=dates.today())
    heartbeat_record("scan_reminders", **result)
    return result
