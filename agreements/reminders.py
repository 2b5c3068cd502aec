"""Deadlines and reminders (DESIGN.md section 4).

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
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count
from django.template.loader import get_template
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from . import dates
from .audit import audit_record
from .errors import InvalidStateError, PermissionDeniedError
from .models import (
    Agreement,
    AuditEvent,
    Heartbeat,
    Opinion,
    OutboxMessage,
    Profile,
    Reminder,
    ReminderKind,
    ReminderPolicy,
    Sector,
    Status,
    UserToken,
)
from .models.agreement import OPEN_STATUSES, RenewalClause
from .outbox import message_id_for, relay_soon

# Renewals in these states do not count: the expiry reminders go on.
DEAD_RENEWAL_STATUSES = (Status.REJECTED, Status.WITHDRAWN, Status.ARCHIVED)
# An expiry reminder is about an agreement that has (or will soon have) legal effect.
EXPIRY_STATUSES = (Status.PUBLICATION, Status.IN_FORCE, Status.EXPIRED)
OPEN_TASK_STATUSES = ("NEW", "ASSIGNED", "STARTED")
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
    from .roles import Role, has_role

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

def _tables():
    from viewflow.workflow.models import Task

    from workflows.models import AgreementProcess

    return {
        "agreement": Agreement._meta.db_table,
        "counterpart": Agreement._meta.get_field("counterpart").related_model._meta.db_table,
        "user": get_user_model()._meta.db_table,
        "reminder": Reminder._meta.db_table,
        "opinion": Opinion._meta.db_table,
        "profile": Profile._meta.db_table,
        "sector": Sector._meta.db_table,
        "task": Task._meta.db_table,
        "process": AgreementProcess._meta.db_table,
    }


# The people of an agreement: drafter and director, active and with an e-mail address.
_PEOPLE = """
    LEFT JOIN {user} dr ON dr.id = a.drafted_by_id AND dr.is_active AND dr.email <> ''
    LEFT JOIN {user} di ON di.id = a.director_id AND di.is_active AND di.email <> ''
"""
_NOT_CREATED = """
    NOT EXISTS (SELECT 1 FROM {reminder} r WHERE r.agreement_id = a.id AND r.kind = %(kind)s
                AND r.threshold = {threshold} AND r.due_date = {due})
"""

# Threshold reminders before a deadline: for each threshold t (days before), the first reminder is due on
# deadline - t and repeats every %(repeat)s days until the next threshold's day (never after the deadline).
# Occurrences inside the window [%(since)s, %(today)s] count: k runs over the repeats that fall in it, so a
# day's scan and a catch-up after days of downtime agree.
_THRESHOLD_SQL = """
WITH th AS (
    SELECT t, lead(t) OVER (ORDER BY t DESC) AS next_t FROM unnest(%(thresholds)s::int[]) AS t
),
base AS (
    SELECT a.id, a.reference, a.title, c.name AS counterpart, {deadline} AS deadline,
           dr.email AS drafter_email, di.email AS director_email, a.renewal_notice_days
    FROM {agreement} a
    JOIN {counterpart} c ON c.id = a.counterpart_id
    {people}
    WHERE a.status = ANY(%(statuses)s) AND {condition}
      AND {deadline} BETWEEN %(since)s AND %(today)s::date + %(max_t)s
      AND a.no_renewal_decided_on IS NULL
      AND NOT EXISTS (SELECT 1 FROM {agreement} rn WHERE rn.renews_id = a.id AND NOT (rn.status = ANY(%(dead)s)))
),
occ AS (
    SELECT base.*, th.t, (base.deadline - th.t) AS first_day,
           LEAST(%(today)s::date, base.deadline,
                 CASE WHEN th.next_t IS NULL THEN base.deadline ELSE base.deadline - th.next_t - 1 END) AS last_day
    FROM base CROSS JOIN th
    WHERE base.deadline - th.t <= %(today)s
)
SELECT * FROM (
    -- Of several occurrences due in the window for one agreement (a catch-up after days of downtime), only the
    -- latest counts: the older ones would repeat it with stale figures.
    SELECT DISTINCT ON (occ.id) occ.id, occ.reference, occ.title, occ.counterpart, occ.t,
           (occ.first_day + k * %(repeat)s) AS due_date, occ.deadline, occ.drafter_email, occ.director_email,
           occ.renewal_notice_days
    FROM occ
    CROSS JOIN LATERAL generate_series(
        GREATEST(0, (%(since)s - occ.first_day + %(repeat)s - 1) / %(repeat)s),
        (occ.last_day - occ.first_day) / %(repeat)s
    ) AS k
    WHERE occ.last_day >= occ.first_day
    ORDER BY occ.id, due_date DESC
) latest
WHERE NOT EXISTS (SELECT 1 FROM {reminder} r WHERE r.agreement_id = latest.id AND r.kind = %(kind)s
                  AND r.threshold = latest.t AND r.due_date = latest.due_date)
ORDER BY latest.id
"""


def _fetch(sql: str, params: dict, **fmt) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(**_tables(), **fmt), params)
        return cursor.fetchall()


def _json(value):
    """A jsonb value from a raw cursor (Django leaves it as text for JSONField to parse)."""
    return json.loads(value) if isinstance(value, str) else value


def _drafter_and_director(drafter_email, director_email) -> list[dict]:
    people = []
    if drafter_email:
        people.append({"email": drafter_email, "reason": _("Ricevi questo messaggio come redattore dell'accordo.")})
    if director_email and director_email != drafter_email:
        people.append(
            {"email": director_email, "reason": _("Ricevi questo messaggio come dirigente responsabile dell'accordo.")}
        )
    return people


def _threshold_reminders(kind, *, deadline_sql, condition, thresholds, repeat, statuses, today, since):
    if not thresholds:
        return []
    thresholds = sorted({int(t) for t in thresholds}, reverse=True)
    rows = _fetch(
        _THRESHOLD_SQL,
        {
            "thresholds": thresholds, "max_t": thresholds[0], "repeat": repeat or NO_REPEAT, "kind": kind,
            "statuses": list(statuses), "dead": list(DEAD_RENEWAL_STATUSES), "today": today, "since": since,
        },
        deadline=deadline_sql, condition=condition, people=_PEOPLE.format(**_tables()),
    )
    return [
        DueReminder(
            agreement_id=pk, reference=ref, title=title, counterpart=cp, kind=kind, threshold=t, due_date=due,
            deadline=deadline, recipients=_drafter_and_director(dr_email, di_email),
            extra={"notice_days": notice_days, "repeat": repeat},
        )
        for pk, ref, title, cp, t, due, deadline, dr_email, di_email, notice_days in rows
    ]


def _expiry(policy, today, since):
    return _threshold_reminders(
        ReminderKind.EXPIRY, deadline_sql="a.end_date", condition="a.end_date IS NOT NULL",
        thresholds=policy.expiry_thresholds, repeat=policy.expiry_repeat_days, statuses=EXPIRY_STATUSES,
        today=today, since=since,
    )


def _non_renewal_notice(policy, today, since):
    return _threshold_reminders(
        ReminderKind.NON_RENEWAL_NOTICE,
        deadline_sql="(a.end_date - a.renewal_notice_days)",
        condition=f"a.renewal_clause = '{RenewalClause.TACIT.value}' AND a.end_date IS NOT NULL "
        "AND a.renewal_notice_days IS NOT NULL",
        thresholds=policy.notice_thresholds, repeat=0, statuses=(Status.PUBLICATION, Status.IN_FORCE),
        today=today, since=since,
    )


_CONSULTATION_SQL = """
SELECT a.id, a.reference, a.title, c.name, o.due_date,
       jsonb_agg(DISTINCT jsonb_build_object('email', u.email, 'dg', s.name)) FILTER (WHERE u.id IS NOT NULL)
FROM {opinion} o
JOIN {agreement} a ON a.id = o.agreement_id AND o.round = a.consultation_round
JOIN {counterpart} c ON c.id = a.counterpart_id
JOIN {sector} s ON s.id = o.dg_id
LEFT JOIN {profile} p ON p.dg_id = o.dg_id
LEFT JOIN {user} u ON u.id = p.user_id AND u.is_active AND u.email <> ''
WHERE a.status = %(status)s AND o.kind = %(pending)s
  AND o.due_date - %(before)s BETWEEN %(since)s AND %(today)s
  AND o.due_date >= %(today)s
  AND {not_created}
GROUP BY a.id, a.reference, a.title, c.name, o.due_date
ORDER BY a.id, o.due_date
"""


def _consultation_deadline(policy, today, since):
    before = policy.consultation_days_before
    rows = _fetch(
        _CONSULTATION_SQL,
        {"status": Status.CONSULTATION, "pending": "pending", "before": before, "since": since, "today": today,
         "kind": ReminderKind.CONSULTATION_DEADLINE},
        not_created=_NOT_CREATED.format(**_tables(), threshold="%(before)s", due="o.due_date - %(before)s"),
    )
    reminders = []
    for pk, ref, title, cp, due_date, referents in rows:
        referents = sorted(_json(referents) or [], key=lambda r: (r["email"], r["dg"]))
        reminders.append(DueReminder(
            agreement_id=pk, reference=ref, title=title, counterpart=cp, kind=ReminderKind.CONSULTATION_DEADLINE,
            threshold=before, due_date=due_date - datetime.timedelta(days=before), deadline=due_date,
            recipients=[
                {"email": r["email"], "reason": _("Ricevi questo messaggio come referente della %(dg)s.") % r}
                for r in referents
            ],
            extra={"dgs": sorted({r["dg"] for r in referents})},
        ))
    return reminders


_OBSERVATIONS_SQL = """
SELECT a.id, a.reference, a.title, c.name, a.notice_government_date, a.kind, dr.email
FROM {agreement} a
JOIN {counterpart} c ON c.id = a.counterpart_id
{people}
WHERE a.status = ANY(%(statuses)s) AND a.notice_government_date IS NOT NULL AND a.observations_outcome = ''
  AND a.notice_government_date + %(days)s - %(before)s BETWEEN %(since)s AND %(today)s
  AND {not_created}
ORDER BY a.id
"""


def _observations_end(policy, today, since):
    before = policy.observations_days_before
    rows = _fetch(
        _OBSERVATIONS_SQL,
        {"statuses": [Status.NOTIFICATION, Status.OBSERVATIONS], "days": dates.OBSERVATION_DAYS, "before": before,
         "since": since, "today": today, "kind": ReminderKind.OBSERVATIONS_END},
        people=_PEOPLE.format(**_tables()),
        not_created=_NOT_CREATED.format(
            **_tables(), threshold="%(before)s", due="a.notice_government_date + %(days)s - %(before)s"
        ),
    )
    reminders = []
    for pk, ref, title, cp, notice_date, kind, drafter_email in rows:
        last_day = dates.observations_last_day(notice_date)
        reminders.append(DueReminder(
            agreement_id=pk, reference=ref, title=title, counterpart=cp, kind=ReminderKind.OBSERVATIONS_END,
            threshold=before, due_date=last_day - datetime.timedelta(days=before), deadline=last_day,
            recipients=_drafter_and_director(drafter_email, None),
            extra={"notice_date": notice_date, "needs_full_powers": kind == "accordo"},
        ))
    return reminders


_RATIFICATION_SQL = """
SELECT a.id, a.reference, a.title, c.name, a.signed_on, dr.email, di.email
FROM {agreement} a
JOIN {counterpart} c ON c.id = a.counterpart_id
{people}
WHERE a.status = %(status)s AND a.signed_on IS NOT NULL AND a.ratification_date IS NULL
  AND a.signed_on + %(days)s BETWEEN %(since)s AND %(today)s
  AND {not_created}
ORDER BY a.id
"""


def _ratification_pending(policy, today, since):
    days = policy.ratification_pending_days
    rows = _fetch(
        _RATIFICATION_SQL,
        {"status": Status.RATIFICATION, "days": days, "since": since, "today": today,
         "kind": ReminderKind.RATIFICATION_PENDING},
        people=_PEOPLE.format(**_tables()),
        not_created=_NOT_CREATED.format(**_tables(), threshold="%(days)s", due="a.signed_on + %(days)s"),
    )
    return [
        DueReminder(
            agreement_id=pk, reference=ref, title=title, counterpart=cp, kind=ReminderKind.RATIFICATION_PENDING,
            threshold=days, due_date=signed_on + datetime.timedelta(days=days), deadline=signed_on,
            recipients=_drafter_and_director(dr_email, di_email),
        )
        for pk, ref, title, cp, signed_on, dr_email, di_email in rows
    ]


# An open human task, idle since it was created: `idle` days later its holder is reminded (the owner; for a
# DG's task in the queue, that DG's referents; otherwise the drafter), after twice as long the director.
_IDLE_SQL = """
WITH idle AS (
    SELECT t.id AS task_id, t.flow_task, t.owner_id, t.data, p.agreement_id,
           (t.created AT TIME ZONE %(tz)s)::date AS created_day, steps.threshold
    FROM {task} t
    JOIN {process} p ON p.process_ptr_id = t.process_id
    CROSS JOIN (VALUES (%(idle)s), (2 * %(idle)s)) AS steps(threshold)
    WHERE t.status = ANY(%(statuses)s) AND t.flow_task_type = 'HUMAN'
      AND t.created < %(created_before)s
      AND (t.created AT TIME ZONE %(tz)s)::date + steps.threshold BETWEEN %(since)s AND %(today)s
)
SELECT a.id, a.reference, a.title, c.name, idle.threshold, idle.created_day + idle.threshold, idle.flow_task,
       CASE WHEN idle.threshold = %(idle)s THEN COALESCE(
           (SELECT jsonb_agg(o.email) FROM {user} o WHERE o.id = idle.owner_id AND o.is_active AND o.email <> ''),
           (SELECT jsonb_agg(u.email ORDER BY u.email) FROM {profile} pr JOIN {user} u ON u.id = pr.user_id
            WHERE idle.owner_id IS NULL AND pr.dg_id::text = idle.data->>'dg' AND u.is_active AND u.email <> ''),
           CASE WHEN dr.email IS NULL THEN NULL ELSE jsonb_build_array(dr.email) END
       ) END AS holders,
       di.email
FROM idle
JOIN {agreement} a ON a.id = idle.agreement_id
JOIN {counterpart} c ON c.id = a.counterpart_id
{people}
WHERE NOT EXISTS (SELECT 1 FROM {reminder} r WHERE r.agreement_id = a.id AND r.kind = %(kind)s
                  AND r.threshold = idle.threshold AND r.due_date = idle.created_day + idle.threshold)
ORDER BY a.id, idle.task_id
"""


def _task_title(flow_task: str) -> str:
    """The step's title from its node reference ("workflows/flows.AgreementFlow.approve")."""
    from viewflow.workflow.fields import import_task_by_ref

    try:
        node = import_task_by_ref(flow_task)
        return str(node.task_title or node.name)
    except Exception:  # noqa: BLE001 - a renamed node still gets its reminder, with the raw name
        return flow_task.rsplit(".", 1)[-1]


def _idle_task(policy, today, since):
    idle = policy.idle_task_days
    rows = _fetch(
        _IDLE_SQL,
        {"tz": settings.TIME_ZONE, "idle": idle, "statuses": list(OPEN_TASK_STATUSES), "since": since,
         "today": today, "kind": ReminderKind.IDLE_TASK,
         "created_before": dates.start_of_day(today - datetime.timedelta(days=idle - 1))},
        people=_PEOPLE.format(**_tables()),
    )
    # Tasks of one agreement that became idle the same day are one reminder (the unique key has no task).
    grouped: dict[tuple, DueReminder] = {}
    for pk, ref, title, cp, threshold, due, flow_task, holders, director_email in rows:
        key = (pk, threshold, due)
        reminder = grouped.get(key)
        if reminder is None:
            reminder = grouped[key] = DueReminder(
                agreement_id=pk, reference=ref, title=title, counterpart=cp, kind=ReminderKind.IDLE_TASK,
                threshold=threshold, due_date=due, deadline=due - datetime.timedelta(days=threshold),
                extra={"tasks": []},
            )
        task_title = _task_title(str(flow_task))
        if task_title not in reminder.extra["tasks"]:
            reminder.extra["tasks"].append(task_title)
        if threshold == idle:
            reason = _("Ricevi questo messaggio perché l'attività è nella tua lista o in quella del tuo ufficio.")
            emails = _json(holders) or []
        else:
            reason = _("Ricevi questo messaggio come dirigente responsabile dell'accordo: l'attività è ferma.")
            emails = [director_email] if director_email else []
        known = {r["email"] for r in reminder.recipients}
        reminder.recipients.extend({"email": e, "reason": reason} for e in emails if e not in known)
    return list(grouped.values())


KIND_QUERIES = (_expiry, _non_renewal_notice, _consultation_deadline, _observations_end, _ratification_pending,
                _idle_task)


def due_reminders(*, today: datetime.date, policy: ReminderPolicy | None = None) -> list[DueReminder]:
    """The reminders a scan on `today` would create (not yet created ones only). Reads, never writes."""
    policy = policy or policy_for_reading()
    since = today - datetime.timedelta(days=policy.catch_up_days)
    due = []
    for query in KIND_QUERIES:
        due.extend(query(policy, today, since))
    return due


# --- The scan ------------------------------------------------------------------------------------------------

_INSERT_SQL = """
INSERT INTO {reminder} (agreement_id, kind, threshold, due_date, deadline, recipients, created_at)
SELECT x.agreement_id, x.kind, x.threshold, x.due_date, x.deadline, x.recipients, %(now)s
FROM jsonb_to_recordset(%(rows)s::jsonb)
     AS x(agreement_id bigint, kind text, threshold int, due_date date, deadline date, recipients jsonb)
ON CONFLICT ON CONSTRAINT one_reminder_per_threshold DO NOTHING
RETURNING id, agreement_id, kind, threshold, due_date
"""


@transaction.atomic
def scan_due(*, today: datetime.date | None = None) -> dict:
    """Create every reminder due on `today` (default: today in Europe/Rome) that does not exist yet, and queue its
    e-mails, in one transaction. Returns {"reminders": created, "messages": queued}. Idempotent."""
    today = today or dates.today()
    policy = policy_for_reading()
    due = due_reminders(today=today, policy=policy)
    if not due:
        return {"reminders": 0, "messages": 0}
    payload = [
        {"agreement_id": d.agreement_id, "kind": d.kind, "threshold": d.threshold, "due_date": d.due_date.isoformat(),
         "deadline": d.deadline.isoformat(), "recipients": d.recipients}
        for d in due
    ]
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL.format(**_tables()), {"rows": json.dumps(payload), "now": now})
        created = {(a, k, t, d): pk for pk, a, k, t, d in cursor.fetchall()}
    messages, events = [], []
    for reminder in due:
        pk = created.get(reminder.key)
        if pk is None:
            continue  # another scan created it first: its e-mails are that scan's
        subject, text, html = render_email(reminder)
        for index, recipient in enumerate(reminder.recipients):
            messages.append(OutboxMessage(
                reminder_id=pk, agreement_id=reminder.agreement_id, message_id=message_id_for(f"reminder-{pk}-{index}"),
                to=[recipient["email"]], subject=subject,
                body_text=text.replace(REASON, recipient["reason"]),
                body_html=html.replace(REASON, escape(recipient["reason"])),
                next_attempt_at=now,
            ))
        events.append(AuditEvent(
            agreement_id=reminder.agreement_id, actor=None, actor_name="sistema", action="reminder_create",
            detail={"kind": reminder.kind, "threshold": reminder.threshold, "due_date": reminder.due_date.isoformat(),
                    "recipients": [r["email"] for r in reminder.recipients]},
        ))
    OutboxMessage.objects.bulk_create(messages)
    AuditEvent.objects.bulk_create(events)
    if messages:
        relay_soon()
    return {"reminders": len(created), "messages": len(messages)}


# --- The e-mail -------------------------------------------------------------------------------------------

REASON = "[[intese:reason]]"


def _d(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


def agreement_url(reference: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/accordi/{reference}/"


def _what(reminder: DueReminder) -> tuple[str, str, str]:
    """(subject, what happens, what to do) for one reminder, in Italian."""
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


def render_email(reminder: DueReminder) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a reminder's e-mail. The bodies hold the REASON placeholder, replaced per
    recipient by why they get it (one rendering per reminder, not per recipient)."""
    subject, what, todo = _what(reminder)
    context = {
        "reminder": reminder, "subject": subject, "what": what, "todo": todo,
        "kind_label": ReminderKind(reminder.kind).label, "url": agreement_url(reminder.reference),
        "reason": REASON,
    }
    text = get_template("reminders/email.txt").render(context)
    html = get_template("reminders/email.html").render(context)
    return subject, text, html


# --- What is scheduled for one agreement (agreement page) ----------------------------------------------------

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
        status__in=DEAD_RENEWAL_STATUSES).exists()
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
        last = dates.observations_last_day(agreement.notice_government_date)
        add(ReminderKind.OBSERVATIONS_END, last - datetime.timedelta(days=policy.observations_days_before), last)
    if agreement.status == Status.RATIFICATION and agreement.signed_on and not agreement.ratification_date:
        add(ReminderKind.RATIFICATION_PENDING,
            agreement.signed_on + datetime.timedelta(days=policy.ratification_pending_days), agreement.signed_on)
    return sorted(items, key=lambda i: i["due_date"])


# --- Calendar deadlines (ICS feed) ----------------------------------------------------------------------------

def calendar_deadlines(agreements) -> list[dict]:
    """The deadlines of `agreements` (a queryset the user may see) for the calendar feed: expiry, last day for
    notice of non-renewal, DG consultation deadlines, end of the 30-day wait. Two queries whatever the number."""
    rows = list(
        agreements.filter(status__in=[*OPEN_STATUSES, Status.IN_FORCE])
        .select_related("counterpart")
        .only("reference", "title", "status", "counterpart__name", "end_date", "renewal_clause",
              "renewal_notice_days", "notice_government_date", "observations_outcome", "consultation_round",
              "kind", "updated_at")
    )
    by_id = {a.pk: a for a in rows}
    events = []

    def add(agreement, kind, day, summary, description):
        events.append({"agreement": agreement, "kind": kind, "date": day, "summary": summary,
                       "description": description,
                       "uid": f"{agreement.reference}-{kind}-{day:%Y%m%d}@intese"})

    for a in rows:
        label = f"{a.reference} {a.title} ({a.counterpart.name})"
        if a.end_date:
            add(a, ReminderKind.EXPIRY, a.end_date, _("Scadenza: %(ref)s") % {"ref": a.reference},
                _("Scade l'accordo %(label)s.") % {"label": label})
            if a.renewal_clause == RenewalClause.TACIT and a.renewal_notice_days is not None:
                add(a, ReminderKind.NON_RENEWAL_NOTICE,
                    a.end_date - datetime.timedelta(days=a.renewal_notice_days),
                    _("Ultimo giorno per la disdetta: %(ref)s") % {"ref": a.reference},
                    _("Ultimo giorno per comunicare la disdetta dell'accordo %(label)s (rinnovo tacito).")
                    % {"label": label})
        if a.status in (Status.NOTIFICATION, Status.OBSERVATIONS) and a.notice_government_date \
                and not a.observations_outcome:
            add(a, ReminderKind.OBSERVATIONS_END, dates.observations_last_day(a.notice_government_date),
                _("Fine attesa osservazioni: %(ref)s") % {"ref": a.reference},
                _("Termina l'attesa di 30 giorni dalla notifica al Governo per l'accordo %(label)s.")
                % {"label": label})
    consultations = (
        Opinion.objects.filter(agreement_id__in=[a.pk for a in rows if a.status == Status.CONSULTATION],
                               kind="pending")
        .values_list("agreement_id", "round", "due_date")
        .distinct()
    )
    for agreement_id, round_, due in consultations:
        a = by_id[agreement_id]
        if round_ == a.consultation_round:
            add(a, ReminderKind.CONSULTATION_DEADLINE, due,
                _("Scadenza pareri DG: %(ref)s") % {"ref": a.reference},
                _("Scade la consultazione delle DG sull'accordo %(label)s.") % {"label": a.reference + " " + a.title})
    return sorted(events, key=lambda e: (e["date"], e["uid"]))


def calendar_ics(events: list[dict], *, name: str, stamp: datetime.datetime) -> bytes:
    """An iCalendar feed of all-day events. UIDs are stable (reference, kind, date), so a calendar client that
    refreshes the feed updates the events it knows instead of adding copies."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//Regione//Intese//IT")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    for item in events:
        event = Event()
        event.add("uid", item["uid"])
        event.add("dtstamp", stamp)
        event.add("dtstart", item["date"])
        event.add("dtend", item["date"] + datetime.timedelta(days=1))
        event.add("summary", item["summary"])
        event.add("description", f"{item['description']}\n{agreement_url(item['agreement'].reference)}")
        event.add("url", agreement_url(item["agreement"].reference))
        event.add("categories", [str(ReminderKind(item["kind"]).label)])
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()


def calendar_token_of(user) -> UserToken | None:
    return UserToken.objects.filter(user=user, purpose=UserToken.Purpose.CALENDAR, revoked_at__isnull=True).first()


@transaction.atomic
def calendar_token_issue(*, actor) -> UserToken:
    """A new private feed URL for `actor`; any previous one stops working."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDeniedError(_("Accesso richiesto."))
    revoked = UserToken.objects.filter(
        user=actor, purpose=UserToken.Purpose.CALENDAR, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    token = UserToken.objects.create(user=actor, purpose=UserToken.Purpose.CALENDAR)
    audit_record(actor=actor, action="calendar_token_issue", detail={"token": token.pk, "revoked": revoked})
    return token


@transaction.atomic
def calendar_token_revoke(*, actor) -> int:
    """Revoke `actor`'s feed URL: the old address answers 404 from now on."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDeniedError(_("Accesso richiesto."))
    revoked = UserToken.objects.filter(
        user=actor, purpose=UserToken.Purpose.CALENDAR, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if not revoked:
        raise InvalidStateError(_("Non hai un indirizzo del calendario attivo."))
    audit_record(actor=actor, action="calendar_token_revoke", detail={"revoked": revoked})
    return revoked


# --- Health --------------------------------------------------------------------------------------------------

HEARTBEATS = {
    "scan_reminders": datetime.timedelta(hours=2),  # hourly scan: stale after two missed runs
    "relay_outbox": datetime.timedelta(minutes=10),  # every minute
    "fire_workflow_timers": datetime.timedelta(minutes=30),  # every five minutes
}


def heartbeat_record(name: str, **detail) -> None:
    """A periodic job finished successfully (technical state, not audited: it changes nothing of an agreement)."""
    Heartbeat.objects.update_or_create(name=name, defaults={"last_success_at": timezone.now(), "detail": detail})


def health_report(now: datetime.datetime | None = None) -> dict:
    """Last successful run of each periodic job, whether it is stale, and the outbox incidents."""
    now = now or timezone.now()
    beats = {h.name: h for h in Heartbeat.objects.filter(name__in=HEARTBEATS)}
    jobs = []
    for name, max_age in HEARTBEATS.items():
        beat = beats.get(name)
        jobs.append({
            "name": name,
            "last_success_at": beat.last_success_at if beat else None,
            "detail": beat.detail if beat else {},
            "max_age": max_age,
            "stale": beat is None or now - beat.last_success_at > max_age,
        })
    counts = dict(
        OutboxMessage.objects.exclude(state=OutboxMessage.State.SENT).values_list("state").annotate(n=Count("id"))
    )
    return {"jobs": jobs, "ok": not any(j["stale"] for j in jobs), "outbox": counts}
