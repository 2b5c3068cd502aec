"""The agreement's history in words (README, "History"): every audit event as a sentence in the active language,
with people's full names, dates as 27/04/2025 and times in Europe/Rome, field and choice labels instead of codes
and names instead of ids. The raw event stays in the database as written; this only reads it, in a fixed
number of queries whatever the number of events (the events, the people and the counterparts they name).

Also what came back to the drafter after a send-back (`sent_back`), for the negotiation task and its e-mail.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.models import Agreement, AuditEvent, Counterpart, Opinion, OpinionKind, ReminderKind, Status
from agreements.models.agreement import ObservationsOutcome
from agreements.models.documents import DocumentType

User = get_user_model()


# --- The kinds of event, for the filter -------------------------------------------------------------------------

class EventKind:
    RECORD = "record"
    PROCEDURE = "procedure"
    OPINIONS = "opinions"
    DOCUMENTS = "documents"
    REMINDERS = "reminders"


EVENT_KIND_LABELS = {
    EventKind.RECORD: gettext_lazy("Scheda e testo"),
    EventKind.PROCEDURE: gettext_lazy("Passi della procedura"),
    EventKind.OPINIONS: gettext_lazy("Pareri delle DG"),
    EventKind.DOCUMENTS: gettext_lazy("Documenti"),
    EventKind.REMINDERS: gettext_lazy("Promemoria ed e-mail"),
}

# action -> (kind, sentence). The sentence has %(who)s and the detail's keys; a missing key prints "—".
SENTENCES = {
    "agreement_create": (EventKind.RECORD, gettext_lazy("%(who)s ha creato la proposta %(reference)s.")),
    "agreement_import": (EventKind.RECORD, gettext_lazy("%(who)s ha importato l'accordo nel registro.")),
    "agreement_update": (EventKind.RECORD, gettext_lazy("%(who)s ha modificato la scheda.")),
    "articles_replace": (EventKind.RECORD, gettext_lazy("%(who)s ha modificato gli articoli (ora %(articles)s).")),
    "signatories_replace": (EventKind.RECORD,
                            gettext_lazy("%(who)s ha modificato i firmatari (ora %(signatories)s).")),
    "text_mark_agreed": (EventKind.PROCEDURE, gettext_lazy("%(who)s ha segnato il testo come concordato.")),
    "consultation_deadline_set": (EventKind.OPINIONS,
                                  gettext_lazy("%(who)s ha spostato la scadenza dei pareri DG al %(due_date)s.")),
    "opinion_give": (EventKind.OPINIONS, gettext_lazy("%(who)s ha espresso il parere della %(dg)s: %(opinion)s.")),
    "opinions_silent_assent": (EventKind.OPINIONS,
                               gettext_lazy("Scaduto il termine, vale il silenzio-assenso di: %(dgs)s.")),
    "consultation_close": (EventKind.OPINIONS, gettext_lazy("La consultazione delle DG si è chiusa.")),
    "agreement_approve": (EventKind.PROCEDURE, gettext_lazy("%(who)s ha approvato il testo.")),
    "agreement_send_back": (EventKind.PROCEDURE, gettext_lazy("%(who)s ha rinviato il testo alla negoziazione.")),
    "agreement_reject": (EventKind.PROCEDURE, gettext_lazy("%(who)s ha respinto l'accordo.")),
    "giunta_record": (EventKind.PROCEDURE, gettext_lazy("%(who)s ha registrato la delibera di Giunta.")),
    "notice_government_record": (EventKind.PROCEDURE, gettext_lazy("%(who)s ha registrato la notifica al Governo.")),
    "notice_assembly_record": (EventKind.PROCEDURE,
                               gettext_lazy("%(who)s ha registrato l'informativa all'Assemblea legislativa.")),
    "observations_open": (EventKind.PROCEDURE,
                          gettext_lazy("È iniziata l'attesa delle osservazioni del Governo (fino al %(last_day)s).")),
    "observations_record": (EventKind.PROCEDURE, gettext_lazy("%(who)s ha registrato la risposta del Governo.")),
    "observations_silence": (EventKind.PROCEDURE, gettext_lazy("Sono decorsi 30 giorni senza osservazioni.")),
    "observations_close": (EventKind.PROCEDURE, gettext_lazy("L'attesa delle osservazioni si è chiusa.")),
    "signature_record": (EventKind.PROCEDURE, gettext_lazy("%(who)s ha registrato la firma.")),
    "ratification_record": (EventKind.PROCEDURE, gettext_lazy("%(who)s ha registrato la ratifica.")),
    "publication_record": (EventKind.PROCEDURE, gettext_lazy("%(who)s ha registrato la pubblicazione nel BURERT.")),
    "agreement_renewed": (EventKind.PROCEDURE, gettext_lazy("L'accordo è stato rinnovato da %(renewed_by)s.")),
    "agreement_withdraw": (EventKind.PROCEDURE, gettext_lazy("%(who)s ha ritirato l'accordo.")),
    "agreement_archive": (EventKind.PROCEDURE, gettext_lazy("%(who)s ha archiviato l'accordo.")),
    "agreement_terminate": (EventKind.PROCEDURE, gettext_lazy("%(who)s ha registrato il recesso.")),
    "renewal_decline": (EventKind.PROCEDURE, gettext_lazy("%(who)s ha deciso di non rinnovare l'accordo.")),
    "renewal_create": (EventKind.PROCEDURE, gettext_lazy("%(who)s ha avviato il rinnovo %(renewal)s.")),
    "agreement_expire": (EventKind.PROCEDURE, gettext_lazy("L'accordo è scaduto.")),
    "agreement_tacit_renewal": (EventKind.PROCEDURE, gettext_lazy("L'accordo si è rinnovato tacitamente.")),
    "document_generate": (EventKind.DOCUMENTS,
                          gettext_lazy("%(who)s ha generato il documento «%(doc_type)s», versione %(version)s.")),
    "document_upload": (EventKind.DOCUMENTS,
                        gettext_lazy("%(who)s ha caricato il documento «%(doc_type)s», versione %(version)s.")),
    "pdf_convert": (EventKind.DOCUMENTS,
                    gettext_lazy("%(who)s ha convertito in PDF il documento «%(doc_type)s» (versione %(version)s).")),
    "pdf_convert_failed": (EventKind.DOCUMENTS,
                           gettext_lazy("La conversione in PDF del documento «%(doc_type)s» non è riuscita.")),
    "reminder_create": (EventKind.REMINDERS, gettext_lazy("Promemoria inviato: %(kind)s, scadenza %(due_date)s.")),
    "outbox_retry": (EventKind.REMINDERS, gettext_lazy("%(who)s ha rimesso in coda un'e-mail non recapitata.")),
}
OTHER_SENTENCE = (EventKind.RECORD, gettext_lazy("%(who)s ha registrato un'operazione sull'accordo."))

# Detail keys that the page shows as their own line (with their label) when present.
DETAIL_LINES = {
    "remarks": gettext_lazy("Osservazioni"),
    "notes": gettext_lazy("Note"),
    "reason": gettext_lazy("Motivazione"),
    "error": gettext_lazy("Errore"),
    "dgs": gettext_lazy("DG"),
    "due_date": gettext_lazy("Scadenza"),
}
# Detail values that are choices: shown by label.
DETAIL_CHOICES = {"doc_type": DocumentType, "kind": ReminderKind}


@dataclass
class HistoryLine:
    event_id: int
    at: datetime.datetime  # local time, Europe/Rome
    kind: str
    kind_label: str
    who: str
    sentence: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (label, before, after), all in words
    notes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def date(self) -> str:
        return self.at.strftime("%d/%m/%Y")

    @property
    def time(self) -> str:
        return self.at.strftime("%H:%M")


def _person(user, fallback: str = "") -> str:
    if user is None:
        return fallback or _("Il sistema")
    return user.get_full_name() or user.get_username()


def _format_date(value) -> str:
    try:
        return datetime.date.fromisoformat(str(value)[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return str(value)


class _Names:
    """The people and counterparts the events name by id, loaded in one query each."""

    def __init__(self, events):
        user_ids, counterpart_ids = set(), set()
        for event in events:
            for name, pair in (event.changes or {}).items():
                target = _relation(name)
                for value in pair if isinstance(pair, list) else ():
                    if isinstance(value, int):
                        if target is User:
                            user_ids.add(value)
                        elif target is Counterpart:
                            counterpart_ids.add(value)
        self.users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
        self.counterparts = dict(Counterpart.objects.filter(pk__in=counterpart_ids).values_list("pk", "name")) \
            if counterpart_ids else {}

    def value(self, name: str, value) -> str:
        if value in (None, "", []):
            return "—"
        try:
            model_field = Agreement._meta.get_field(name)
        except FieldDoesNotExist:
            model_field = None
        if name == "opinion":
            return str(OpinionKind(value).label) if value in OpinionKind.values else str(value)
        if model_field is not None:
            if model_field.choices:
                return str(dict(model_field.flatchoices).get(value, value))
            target = _relation(name)
            if target is User:
                return _person(self.users.get(value), "—")
            if target is Counterpart:
                return self.counterparts.get(value, "—")
            if isinstance(model_field, models.DateField) and not isinstance(model_field, models.DateTimeField):
                return _format_date(value)
            if isinstance(model_field, models.BooleanField):
                return _("sì") if value else _("no")
        if isinstance(value, bool):
            return _("sì") if value else _("no")
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return str(value)


def _relation(name: str):
    try:
        model_field = Agreement._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return model_field.related_model if model_field.many_to_one else None


def _label(name: str) -> str:
    if name == "opinion":
        return _("parere")
    try:
        return str(Agreement._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name.replace("_", " ")


class _Safe(dict):
    def __missing__(self, key):
        return "—"


def _detail_words(event) -> dict:
    words = _Safe()
    for key, value in (event.detail or {}).items():
        if key in DETAIL_CHOICES and value in DETAIL_CHOICES[key].values:
            words[key] = str(DETAIL_CHOICES[key](value).label)
        elif key.endswith("date") or key.endswith("_day") or key == "due_date":
            words[key] = _format_date(value) if value else "—"
        elif isinstance(value, list):
            words[key] = ", ".join(str(v) for v in value) or "—"
        elif value is None or value == "":
            words[key] = "—"
        else:
            words[key] = str(value)
    return words


def _line(event, names: _Names) -> HistoryLine:
    kind, sentence = SENTENCES.get(event.action, OTHER_SENTENCE)
    who = _person(event.actor, _("Il sistema") if event.actor_name in ("", "sistema") else event.actor_name)
    if event.on_behalf_of_id:
        who = _("%(who)s, per conto di %(principal)s") % {"who": who, "principal": _person(event.on_behalf_of)}
    words = _detail_words(event)
    for name, pair in (event.changes or {}).items():  # a sentence may name the new value ("parere: Favorevole")
        if isinstance(pair, list) and len(pair) == 2 and name not in words:
            words[name] = names.value(name, pair[1])
    words["who"] = who
    changes = [
        (_label(name), names.value(name, pair[0]), names.value(name, pair[1]))
        for name, pair in (event.changes or {}).items() if isinstance(pair, list) and len(pair) == 2
    ]
    notes = [(str(label), words[key]) for key, label in DETAIL_LINES.items()
             if (event.detail or {}).get(key) and f"%({key})s" not in str(sentence)]
    return HistoryLine(
        event_id=event.pk, at=timezone.localtime(event.at), kind=kind, kind_label=str(EVENT_KIND_LABELS[kind]),
        who=who, sentence=str(sentence) % words, changes=changes, notes=notes,
    )


def history(agreement: Agreement, kind: str | None = None, limit: int | None = None) -> list[HistoryLine]:
    """The agreement's events, newest first, as sentences; `kind` keeps one kind (EventKind). Three queries at
    most, whatever the number of events."""
    events = AuditEvent.objects.filter(agreement=agreement).select_related("actor", "on_behalf_of")
    if kind:
        actions = [action for action, (k, _s) in SENTENCES.items() if k == kind]
        events = events.filter(action__in=actions) if kind != OTHER_SENTENCE[0] else events.filter(
            models.Q(action__in=actions) | ~models.Q(action__in=list(SENTENCES)))
    events = list(events[:limit] if limit else events)
    names = _Names(events)
    return [_line(event, names) for event in events]


def history_csv_rows(lines: list[HistoryLine]) -> list[list[str]]:
    header = [_("Data"), _("Ora"), _("Chi"), _("Tipo"), _("Evento"), _("Modifiche"), _("Note")]
    rows = [header]
    for line in reversed(lines):  # the dossier reads oldest first
        rows.append([
            line.date, line.time, line.who, line.kind_label, line.sentence,
            "; ".join(f"{label}: {before} → {after}" for label, before, after in line.changes),
            "; ".join(f"{label}: {text}" for label, text in line.notes),
        ])
    return rows


def history_html(agreement: Agreement, lines: list[HistoryLine]) -> str:
    """The history as a printable page, oldest first (the dossier's order)."""
    from django.template.loader import render_to_string

    from agreements.common import dates

    return render_to_string("history/print.html", {"agreement": agreement, "lines": list(reversed(lines)),
                                                   "today": dates.today()})


def history_pdf(agreement: Agreement, lines: list[HistoryLine]) -> bytes:
    """The printable history as PDF, through LibreOffice (agreements.documents.pdf)."""
    from agreements.documents.pdf import soffice_convert

    return soffice_convert(history_html(agreement, lines).encode(), suffix=".html", to="pdf:writer_web_pdf_Export")


# --- What came back to the drafter ------------------------------------------------------------------------------

@dataclass
class SentBack:
    """The text came back to negotiation: from whom, when, and why."""

    who: str
    when: datetime.datetime
    label: str
    reasons: list[str]


def sent_back(agreement: Agreement) -> SentBack | None:
    """When the agreement's latest phase change brought it back to negotiation, what came back: the director's
    remarks, the unfavourable DG opinions of the round, or the government's observations. Generic over the steps:
    whatever step moved the agreement back to negotiation, its event's remarks are shown. None otherwise."""
    last = (AuditEvent.objects.filter(agreement=agreement, changes__has_key="status")
            .select_related("actor", "on_behalf_of").order_by("-at", "-id").first())
    if last is None or last.changes["status"][1] != Status.NEGOTIATION or last.action == "agreement_create":
        return None
    detail = last.detail or {}
    if last.action == "consultation_close":
        opinions = list(Opinion.objects.filter(agreement=agreement, round=agreement.consultation_round)
                        .exclude(kind__in=[OpinionKind.FAVOURABLE, OpinionKind.PENDING, OpinionKind.SILENT_ASSENT])
                        .select_related("dg", "given_by").order_by("dg__name"))
        return SentBack(
            who=", ".join(f"{o.dg.name} ({_person(o.given_by)})" for o in opinions) or _("le DG consultate"),
            when=last.at, label=_("Parere sfavorevole delle DG"),
            reasons=[f"{o.dg.name} – {o.get_kind_display()}: {o.notes}" for o in opinions],
        )
    if last.action == "observations_close":
        answer = (AuditEvent.objects.filter(agreement=agreement, action="observations_record")
                  .select_related("actor").order_by("-at", "-id").first())
        return SentBack(
            who=_("il Governo (registrato da %(who)s)") % {"who": _person(answer.actor if answer else None)},
            when=last.at, label=str(ObservationsOutcome.OBSERVATIONS.label),
            reasons=[agreement.observations_text] if agreement.observations_text else [],
        )
    who = _person(last.actor)
    if last.on_behalf_of_id:
        who = _("%(who)s, per conto di %(principal)s") % {"who": who, "principal": _person(last.on_behalf_of)}
    label = _("Rinviato dal dirigente") if last.action == "agreement_send_back" else _("Rinviato alla negoziazione")
    reasons = [str(detail[k]) for k in ("remarks", "notes", "reason") if detail.get(k)]
    return SentBack(who=who, when=last.at, label=label, reasons=reasons)


def earlier_remarks(agreement: Agreement) -> list[HistoryLine]:
    """The remarks made on the text so far (director's send-backs and rejections, government observations,
    DG opinions with notes), oldest first, for the task pages. Two queries."""
    events = list(AuditEvent.objects.filter(
        agreement=agreement, action__in=["agreement_send_back", "agreement_reject", "agreement_approve",
                                         "observations_record", "opinion_give"])
        .select_related("actor", "on_behalf_of").order_by("at", "id"))
    names = _Names(events)
    lines = [_line(e, names) for e in events]
    result = []
    for event, line in zip(events, lines, strict=True):
        if event.action == "observations_record" and (event.changes or {}).get("observations_text"):
            line.notes.append((_("Osservazioni del Governo"), event.changes["observations_text"][1]))
        if line.notes:
            result.append(line)
    return result
