"""Telling people what reaches them (README, "Notifications").

Each event (a task assigned, an opinion given, a phase change, a deadline moved) becomes one Notification row per
recipient, unique on the event's key, in the caller's transaction: the in-site list shows it, and its e-mail goes
into the outbox at once (Message-ID from the same key, so repeating the event never sends it twice) or, for an
information message of someone who chose the daily digest, waits for `digests_send`. Task assignments and deadlines
are always sent at once. Each message is written in the recipient's language (Profile.language).
"""

import contextlib
import contextvars
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agreements.common import dates
from agreements.common.audit import audit_record
from agreements.common.errors import InvalidDataError, PermissionDeniedError
from agreements.common.roles import Role
from agreements.health.services import heartbeat_record
from agreements.models import (
    ALWAYS_IMMEDIATE,
    Agreement,
    Notification,
    NotificationKind,
    Opinion,
    OpinionKind,
    Profile,
)
from agreements.outbox.services import outbox_enqueue, outbox_enqueue_many, outbox_message

from .selectors import forget_unread_count

User = get_user_model()


def site_url(path: str) -> str:
    """An absolute link for an e-mail: SITE_URL (from the environment) joined with a site path."""
    return settings.SITE_URL.rstrip("/") + path


def full_name(user) -> str:
    if user is None:
        return _("il sistema")
    return user.get_full_name() or user.get_username()


def fmt_date(day: datetime.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "—"


@dataclass
class Message:
    """What one notification says, in the active language."""

    subject: str
    paragraphs: list[str]
    path: str  # on the site: the in-site list links to it, the e-mail to SITE_URL + path
    link_label: str
    facts: list[tuple[str, str]] = field(default_factory=list)  # ("Entro il", "27/04/2025")

    @property
    def url(self) -> str:
        return site_url(self.path)


@dataclass
class Recipient:
    user: object
    reason: Callable[[], str]  # called in the recipient's language


def _language(user) -> str:
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    return (profile.language if profile else None) or settings.LANGUAGE_CODE


def _digest(user) -> bool:
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    return bool(profile and profile.daily_digest)


_FOOTER = "Intese · Regione Emilia-Romagna · Ufficio Relazioni internazionali"


def render(agreement: Agreement | None, message: Message, reason: str) -> tuple[str, str]:
    """Plain text and HTML of one notification e-mail (in the active language)."""
    head = f"{agreement.reference} «{agreement.title}»" if agreement else ""
    counterpart = getattr(getattr(agreement, "counterpart", None), "name", "") if agreement else ""
    lines = [message.subject, "", head]
    if counterpart:
        lines.append(_("Controparte") + f": {counterpart}")
    lines.append("")
    lines += [f"{label}: {value}" for label, value in message.facts]
    if message.facts:
        lines.append("")
    for paragraph in message.paragraphs:
        lines += [paragraph, ""]
    lines += [f"{message.link_label}: {message.url}", "", reason, "--", _FOOTER,
              _("Messaggio automatico: non rispondere a questo indirizzo.")]
    text = "\n".join(lines) + "\n"
    e = escape
    facts = "".join(f"<tr><th style=\"text-align:left;padding-right:1em\">{e(label)}</th><td>{e(value)}</td></tr>"
                    for label, value in message.facts)
    paragraphs = "".join(f"<p>{e(p)}</p>".replace("\n", "<br>") for p in message.paragraphs)
    html = (
        f'<!doctype html>\n<html lang="{e(translation.get_language() or "it")}">\n<head><meta charset="utf-8">'
        f"<title>{e(message.subject)}</title></head>\n"
        '<body style="font-family: Arial, sans-serif; color: #1b1b1b; line-height: 1.5">\n'
        f'<h1 style="font-size: 1.2em">{e(head)}</h1>\n'
        + (f"<p>{e(_('Controparte'))}: {e(counterpart)}</p>\n" if counterpart else "")
        + (f"<table>{facts}</table>\n" if facts else "")
        + paragraphs
        + f'\n<p><a href="{e(message.url)}">{e(message.link_label)}</a></p>\n'
        f'<p style="font-size: 0.9em; color: #555">{e(reason)}</p>\n<hr>\n'
        f'<p style="font-size: 0.8em; color: #777">{e(_FOOTER)}<br>\n'
        f"{e(_('Messaggio automatico: non rispondere a questo indirizzo.'))}</p>\n</body>\n</html>\n"
    )
    return text, html


def notify(*, kind: str, key: str, agreement: Agreement | None, recipients: list[Recipient],
           compose: Callable[[], Message], skip=None, new_event: bool = False) -> list[Notification]:
    """One notification per recipient (active users), once per key; `skip`, the person who acted, is not told
    of their own act, except of a task that reaches them. E-mailed through the outbox at once unless it is an
    information message for someone who chose the daily digest. Whatever the number of recipients: one query
    for the keys already used, one for the e-mails, one for the notifications. `new_event`: the key cannot have
    been used (it names a task just created, or a version of the agreement just written), so it is not looked
    for; the key's unique constraint still refuses a second row."""
    chosen = {}
    for recipient in recipients:
        user = recipient.user
        if user is None or not user.is_active or user.pk in chosen:
            continue
        if skip is not None and user.pk == skip.pk and kind != NotificationKind.TASK:
            continue
        chosen[user.pk] = recipient
    if not chosen:
        return []
    row_keys = {pk: f"{key}-u{pk}" for pk in chosen}
    # Keys already used: this event already reached these people.
    done = set() if new_event else set(
        Notification.objects.filter(key__in=row_keys.values()).order_by().values_list("key", flat=True))
    created, mails = [], []
    for pk, recipient in chosen.items():
        user, row_key = recipient.user, row_keys[pk]
        if row_key in done:
            continue
        with translation.override(_language(user)):
            message = compose()
            reason = recipient.reason()
            text, html = render(agreement, message, reason)
        digest = kind not in ALWAYS_IMMEDIATE and _digest(user)
        notification = Notification(
            user=user, agreement=agreement, kind=kind, key=row_key, subject=message.subject[:300], body=text,
            url=message.path, digest_pending=digest and bool(user.email),
        )
        if user.email and not digest:
            mails.append((notification, outbox_message(
                key=f"notification-{row_key}", to=[user.email], subject=message.subject, text=text, html=html,
                agreement=agreement)))
        created.append(notification)
    batch = _batch.get()
    if batch is not None:
        batch.append((created, mails))
    else:
        _write([(created, mails)])
    return created


_batch = contextvars.ContextVar("notifications_batch", default=None)


@contextlib.contextmanager
def batched():
    """The notifications made inside the block are written together when it ends without error: one INSERT
    for their e-mails, one for the notifications (workflows.completion: one transition of the procedure). Nested
    blocks join the outer one; an error discards them (the transaction rolls back anyway)."""
    if _batch.get() is not None:
        yield
        return
    pending = []
    token = _batch.set(pending)
    try:
        yield
    finally:
        _batch.reset(token)
    _write(pending)


def _write(pending) -> None:
    created = [n for rows, _mails in pending for n in rows]
    mails = [pair for _rows, pairs in pending for pair in pairs]
    if mails:
        for (notification, _mail), outbox in zip(mails, outbox_enqueue_many([m for _n, m in mails]), strict=True):
            notification.outbox = outbox
    if created:
        Notification.objects.bulk_create(created)


# --- The events -------------------------------------------------------------------------------------------------

def _people_of(agreement: Agreement) -> list[Recipient]:
    people = [Recipient(agreement.drafted_by, lambda: _("Ricevi questo messaggio come redattore dell'accordo."))]
    if agreement.director_id:
        people.append(Recipient(agreement.director,
                                lambda: _("Ricevi questo messaggio come dirigente responsabile dell'accordo.")))
    return people


def _agreement_link() -> str:
    return _("Apri l'accordo")


def agreement_path(agreement: Agreement) -> str:
    return f"/accordi/{agreement.reference}/"


def opinion_given(*, opinion: Opinion, actor) -> list[Notification]:
    """A DG gave its opinion: the drafter and the director are told (information message)."""
    agreement = opinion.agreement

    def compose():
        ctx = {"ref": agreement.reference, "dg": opinion.dg.name, "kind": OpinionKind(opinion.kind).label}
        paragraphs = [_("%(who)s ha espresso il parere della %(dg)s: %(kind)s.") % {**ctx, "who": full_name(actor)}]
        if opinion.notes:
            paragraphs.append(_("Note") + f":\n{opinion.notes}")
        return Message(subject=_("%(ref)s: parere della %(dg)s (%(kind)s)") % ctx, paragraphs=paragraphs,
                       path=agreement_path(agreement), link_label=_agreement_link(),
                       facts=[(_("Turno di consultazione"), str(opinion.round))])

    # An opinion is given once (opinion_give refuses a second): its key is new.
    return notify(kind=NotificationKind.OPINION, key=f"opinion-{opinion.pk}-{opinion.kind}", agreement=agreement,
                  recipients=_people_of(agreement), compose=compose, skip=actor, new_event=True)


def phase_changed(*, agreement: Agreement, before: str, after: str, actor, version: int) -> list[Notification]:
    """The agreement changed phase: the drafter and the director are told (information message)."""
    from agreements.models import Status

    def compose():
        ctx = {"ref": agreement.reference, "before": Status(before).label, "after": Status(after).label}
        return Message(
            subject=_("%(ref)s: ora in «%(after)s»") % ctx,
            paragraphs=[_("L'accordo è passato dalla fase «%(before)s» alla fase «%(after)s» (%(who)s).")
                        % {**ctx, "who": full_name(actor)}],
            path=agreement_path(agreement), link_label=_agreement_link(),
        )

    return notify(kind=NotificationKind.PHASE, key=f"phase-{agreement.pk}-v{version}-{after}", agreement=agreement,
                  recipients=_people_of(agreement), compose=compose, skip=actor, new_event=True)


def deadline_moved(*, agreement: Agreement, due_date: datetime.date, actor) -> list[Notification]:
    """The consultation deadline moved: the referents of the DGs that have not answered yet are told, at once."""
    pending = Opinion.objects.filter(agreement=agreement, round=agreement.consultation_round,
                                     kind=OpinionKind.PENDING).values_list("dg_id", "dg__name")
    dg_names = dict(pending)
    referents = (Profile.objects.filter(dg_id__in=dg_names, user__is_active=True, user__groups__name=Role.DG_REFERENT)
                 .select_related("user", "user__profile").distinct())
    recipients = [
        Recipient(p.user, (lambda name: lambda: _("Ricevi questo messaggio come referente della %(dg)s.")
                           % {"dg": name})(dg_names[p.dg_id]))
        for p in referents
    ]
    recipients += [Recipient(agreement.drafted_by, lambda: _("Ricevi questo messaggio come redattore dell'accordo."))]

    def compose():
        ctx = {"ref": agreement.reference, "date": fmt_date(due_date)}
        return Message(
            subject=_("%(ref)s: parere DG ora entro il %(date)s") % ctx,
            paragraphs=[_("%(who)s ha spostato la scadenza della consultazione al %(date)s.")
                        % {**ctx, "who": full_name(actor)}],
            path=agreement_path(agreement), link_label=_agreement_link(),
            facts=[(_("Entro il"), fmt_date(due_date))],
        )

    return notify(kind=NotificationKind.DEADLINE,
                  key=f"deadline-{agreement.pk}-r{agreement.consultation_round}-{due_date:%Y%m%d}",
                  agreement=agreement, recipients=recipients, compose=compose, skip=actor)


def task_assigned(*, task_key: str, agreement: Agreement, title: str, description: str, due: datetime.date | None,
                  path: str, recipients: list[Recipient], sent_back: Callable | None = None,
                  new_task: bool = False) -> list[Notification]:
    """A task reached people (its holder, the role's queue, every referent of a DG, a holder's deputy): each is
    told at once what is asked, by when, and where to do it; after a send-back, also what came back and why
    (`sent_back()` returns an object with who, when, label and reasons, read in the recipient's language).
    `new_task`: the task was created in this transaction, so nobody was told of it yet."""

    def compose():
        back = sent_back() if sent_back is not None else None
        ctx = {"ref": agreement.reference, "step": title}
        if back is not None:
            subject = _("%(ref)s: testo rinviato, «%(step)s» da svolgere") % ctx
        else:
            subject = _("%(ref)s: «%(step)s» da svolgere") % ctx
        paragraphs = [_("È richiesta la tua attività: %(step)s.") % ctx]
        if description:
            paragraphs.append(str(description))
        if back is not None:
            paragraphs.append(
                _("%(label)s: %(who)s, il %(when)s.") % {
                    "label": back.label, "who": back.who,
                    "when": timezone.localtime(back.when).strftime("%d/%m/%Y %H:%M")}
            )
            paragraphs += back.reasons
        facts = [(_("Attività"), str(title)), (_("Entro il"), fmt_date(due) if due else _("nessuna scadenza legale"))]
        return Message(subject=subject, paragraphs=paragraphs, path=path, link_label=_("Apri l'attività"), facts=facts)

    return notify(kind=NotificationKind.TASK, key=f"task-{task_key}", agreement=agreement, recipients=recipients,
                  compose=compose, new_event=new_task)


def delegation_started(*, delegation) -> list[Notification]:
    """A deputy named for a period that includes today is told at once of every open task the absent person
    holds (the same key as the assignment: a deputy already told is not told again)."""
    from agreements.common import tasks

    held = [t for t in tasks.directory().for_user(delegation.user, Agreement.objects.all(), limit=500)
            if t.task.owner_id == delegation.user_id]

    def reason():
        return _("Ricevi questo messaggio come sostituto di %(who)s dal %(from)s al %(to)s.") % {
            "who": full_name(delegation.user), "from": fmt_date(delegation.starts_on),
            "to": fmt_date(delegation.ends_on)}

    created = []
    for item in held:
        created += task_assigned(task_key=str(item.pk), agreement=item.agreement, title=item.title, description="",
                                 due=item.due, path=item.url, recipients=[Recipient(delegation.deputy, reason)])
    return created


def delegations_started_notify(*, today: datetime.date | None = None) -> list[Notification]:
    """Periodic (the hourly timers job): every deputy whose delegation runs today is told of the open tasks the
    absent person holds. A delegation named ahead of time is thus told on its first day; one named for today was
    told when it was created, and a task created during the absence reached the deputy with its assignment. The
    key is the assignment's (task and person), so however often the job runs, each deputy hears of each task once."""
    from agreements.models import Delegation

    today = today or dates.today()
    running = (Delegation.objects.filter(starts_on__lte=today, ends_on__gte=today, deputy__is_active=True)
               .select_related("user", "deputy", "deputy__profile").order_by("pk"))
    created = []
    for delegation in running:
        created += delegation_started(delegation=delegation)
    return created


def unreachable_tasks_report(*, open_tasks) -> list[Notification]:
    """Open tasks nobody can act on (their holder or every referent of their DG left, no one holds the role):
    every active administrator is told, once per task, with the link to the task and what to do."""
    admins = list(User.objects.filter(is_active=True).filter(
        models.Q(groups__name=Role.ADMIN) | models.Q(is_superuser=True)).select_related("profile").distinct())
    created = []
    for item in open_tasks:
        def compose(item=item):
            ctx = {"ref": item.agreement.reference, "step": item.title}
            return Message(
                subject=_("%(ref)s: «%(step)s» non raggiunge nessuno") % ctx,
                paragraphs=[_("Nessuno può svolgere questa attività (%(holder)s): nominare un referente della DG, "
                              "riattivare l'utente o assegnare il ruolo, oppure nominare un sostituto.")
                            % {"holder": item.holder}],
                path=item.url or agreement_path(item.agreement), link_label=_("Apri l'attività"),
                facts=[(_("Attività"), str(item.title))],
            )
        created += notify(
            kind=NotificationKind.UNREACHABLE, key=f"unreachable-{item.pk}", agreement=item.agreement,
            recipients=[Recipient(u, lambda: _("Ricevi questo messaggio come amministratore.")) for u in admins],
            compose=compose,
        )
    return created


# --- The digest -------------------------------------------------------------------------------------------------

def digests_send(*, today: datetime.date | None = None) -> int:
    """One e-mail per person with the information messages waiting for their digest, created before today
    (Europe/Rome). Runs hourly in the day: the first run of a day sends, the others find nothing; repeating a
    run never sends twice (rows taken under lock, one outbox key per person and day). Returns e-mails queued."""
    today = today or dates.today()
    cutoff = dates.start_of_day(today)
    sent = 0
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(digest_pending=True, created_at__lt=cutoff)
            .select_related("user", "user__profile", "agreement")
            .order_by("user_id", "created_at", "id")
        )
        by_user: dict[int, list[Notification]] = {}
        for row in rows:
            by_user.setdefault(row.user_id, []).append(row)
        for items in by_user.values():
            user = items[0].user
            outbox = None
            if user.is_active and user.email:
                with translation.override(_language(user)):
                    subject = _("Intese: riepilogo del %(date)s (%(n)d messaggi)") % {
                        "date": fmt_date(today), "n": len(items)}
                    text = "\n\n".join(f"{i}. {n.subject}\n{site_url(n.url)}" for i, n in enumerate(items, 1))
                    text = (f"{subject}\n\n{text}\n\n"
                            + _("Ricevi questo riepilogo perché hai scelto il riepilogo giornaliero dei messaggi "
                                "informativi. Puoi cambiare la scelta in %(url)s.")
                            % {"url": site_url("/notifiche/preferenze/")} + f"\n--\n{_FOOTER}\n")
                    html = "<!doctype html>\n<html><body style=\"font-family: Arial, sans-serif\">" \
                        f"<h1 style=\"font-size: 1.2em\">{escape(subject)}</h1><ol>" + "".join(
                            f'<li><a href="{escape(site_url(n.url))}">{escape(n.subject)}</a></li>' for n in items) \
                        + "</ol></body></html>\n"
                outbox = outbox_enqueue(key=f"digest-{user.pk}-{today:%Y%m%d}", to=[user.email], subject=subject,
                                        text=text, html=html)
                sent += 1
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(
                digest_pending=False, digest_on=today, outbox=outbox)
    return sent


def digests_job() -> int:
    sent = digests_send()
    heartbeat_record("send_digests", sent=sent)
    return sent


# --- The person's side ------------------------------------------------------------------------------------------

def notification_open(*, notification_id: int, user) -> Notification:
    """The person opens one of their notifications: it is marked read (a read receipt, not audited)."""
    notification = Notification.objects.filter(pk=notification_id, user=user).first()
    if notification is None:
        raise PermissionDeniedError(_("Notifica non trovata."))
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
        forget_unread_count(user)
    return notification


def notifications_mark_all_read(*, user) -> int:
    forget_unread_count(user)
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def preferences_update(*, user, language: str, daily_digest: bool) -> Profile:
    """The person chooses the language of their messages and whether information messages come in a digest."""
    if language not in dict(settings.LANGUAGES):
        raise InvalidDataError(_("Lingua non disponibile."), {"language": [_("Lingua non disponibile.")]})
    profile, _created = Profile.objects.select_for_update().get_or_create(user=user)
    changes = {name: [getattr(profile, name), value] for name, value in
               (("language", language), ("daily_digest", daily_digest)) if getattr(profile, name) != value}
    profile.language, profile.daily_digest = language, daily_digest
    profile.save(update_fields=["language", "daily_digest"])
    audit_record(actor=user, action="notification_preferences_update", changes=changes)
    return profile
