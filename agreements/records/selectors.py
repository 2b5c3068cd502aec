"""Every read the views, the API and the exports need, shaped for the page and filtered by visibility."""

import datetime
from dataclasses import dataclass, field
from types import SimpleNamespace

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext_lazy as _

from agreements.activities.selectors import activities_of_agreement
from agreements.common import dates, tasks
from agreements.common.access import agreement_for, visible_agreements
from agreements.common.errors import InvalidDataError
from agreements.common.languages import language_name
from agreements.common.plan_actions import ActionLookup
from agreements.common.roles import Role, has_role, sees_everything, user_dg_id
from agreements.common.rules import Rule, rule_for
from agreements.common.statuses import ENDED_STATUSES, FINAL_STATUSES, OPEN_STATUSES, STOPPED_STATUSES
from agreements.common.tasks import OpenTask
from agreements.documents.selectors import WRITER_ROLES, versions_for
from agreements.history import selectors as history
from agreements.models import (
    Agreement,
    AuditEvent,
    Counterpart,
    Opinion,
    OpinionKind,
    OutboxMessage,
    RenewalClause,
    Sector,
    Signatory,
    Status,
)
from agreements.models.agreement import ObservationsOutcome, SignatoryOffice
from agreements.reminders.selectors import agreement_reminders


def proposal_references(fields: dict) -> dict:
    """A proposal's fields as the API names them (counterpart by name, DGs by code, plan actions as
    "<plan code>/<number>" or by number alone where one plan only has it,
    director by user name) resolved to records; a name that matches nothing is an error naming the field."""
    fields = dict(fields)
    payload = SimpleNamespace(**fields)
    fields["counterpart"] = Counterpart.objects.filter(name=payload.counterpart).first()
    if fields["counterpart"] is None:
        raise InvalidDataError.for_field("counterpart", _("Controparte sconosciuta: %s") % payload.counterpart)
    dgs = list(Sector.objects.filter(code__in=payload.dgs, is_dg=True))
    unknown = sorted(set(payload.dgs) - {dg.code for dg in dgs})
    if unknown:
        raise InvalidDataError.for_field("dgs", _("DG sconosciute: %s") % ", ".join(unknown))
    fields["dgs"] = dgs
    actions, problems = ActionLookup().resolve_all(payload.plan_actions)
    if problems:
        raise InvalidDataError.for_field("plan_actions", "; ".join(problems))
    fields["plan_actions"] = actions
    if payload.director:
        director = get_user_model().objects.filter(username=payload.director, is_active=True).first()
        if director is None or not has_role(director, Role.DIRECTOR):
            raise InvalidDataError.for_field("director", _("%s non è un dirigente attivo.") % payload.director)
        fields["director"] = director
    return fields


# --- Register ------------------------------------------------------------------------------------------------

REGISTER_PAGE_SIZE = 25
# The columns a row of the register page shows (templates/agreements/register.html): an agreement has 76.
REGISTER_ROW_FIELDS = ("reference", "title", "kind", "status", "signed_on", "end_date", "counterpart__name",
                       "counterpart__country")


def register_agreements(user) -> QuerySet[Agreement]:
    """The register's rows: what the user may see, with their counterpart joined, in the register's default order.
    Filters and sorting come from records/filters.py; a page's DGs from register_page_rows."""
    return visible_agreements(user).select_related("counterpart").order_by("-created_at", "-id")


def register_page_rows(agreements) -> list[Agreement]:
    """One page of the register (a sliced queryset) with only the columns it shows, each row with `dg_names`
    (its DGs by name), in two queries whatever the page. The names come as plain values: prefetching the DGs built
    a model instance per DG and cost more than the rows themselves (benchmarks/bench_register.py)."""
    rows = list(agreements.only(*REGISTER_ROW_FIELDS))
    names = dg_names_by_agreement([row.pk for row in rows])
    for row in rows:
        row.dg_names = names.get(row.pk, [])
    return rows


def dg_names_by_agreement(agreement_ids: list[int]) -> dict[int, list[str]]:
    """{agreement id: the names of its DGs, in name order} in one query of plain values (the register's page and
    its downloads)."""
    names: dict[int, list[str]] = {}
    for agreement_id, name in (Agreement.dgs.through.objects.filter(agreement_id__in=agreement_ids)
                               .order_by("agreement_id", "sector__name", "sector_id")
                               .values_list("agreement_id", "sector__name")):
        names.setdefault(agreement_id, []).append(name)
    return names


def search_agreements(qs: QuerySet[Agreement], text: str) -> QuerySet[Agreement]:
    """Each word must match the reference, the title, the counterpart's name (either form) or its country.

    The counterparts that match a word are found first (a few hundred rows, hashed), so each agreement is tested
    on two columns and one id rather than joined to its counterpart and tested on five columns (the count and the
    page both ran that over every agreement)."""
    for word in text.split():
        counterparts = Counterpart.objects.filter(
            Q(name__icontains=word) | Q(name_local__icontains=word) | Q(country__icontains=word)
        ).values("pk")
        qs = qs.filter(Q(reference__icontains=word) | Q(title__icontains=word) | Q(counterpart_id__in=counterparts))
    return qs


def register_countries() -> list[str]:
    return list(Counterpart.objects.order_by("country").values_list("country", flat=True).distinct())


# --- Agreement page ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TimelineStep:
    key: str
    label: str
    state: str  # done, current, next, stopped (the procedure ended here) or skipped (never reached)
    date: datetime.date | None = None  # when the step was done
    due: datetime.date | None = None  # the step's deadline, for the current and the next steps
    note: str = ""
    rule: Rule | None = None  # the row of the procedure's rule table this step applies

    STATE_LABELS = {
        "done": _("completato"),
        "current": _("in corso"),
        "next": _("da fare"),
        "stopped": _("interrotto"),
        "skipped": _("non svolto"),
    }

    @property
    def state_label(self):
        return self.STATE_LABELS[self.state]


STEP_OF_STATUS = {
    Status.PROPOSAL: "proposal",
    Status.NEGOTIATION: "negotiation",
    Status.CONSULTATION: "consultation",
    Status.APPROVAL: "approval",
    Status.GIUNTA: "giunta",
    Status.NOTIFICATION: "notification",
    Status.OBSERVATIONS: "observations",
    Status.FINAL_APPROVAL: "final_approval",
    Status.SIGNATURE: "signature",
    Status.RATIFICATION: "ratification",
    Status.PUBLICATION: "publication",
    Status.IN_FORCE: "in_force",
}

# The timeline's steps and the rows of the rule table (agreements/common/rules.py) they apply.
RULE_OF_TIMELINE_STEP = {
    "qualification": "qualify",
    "assembly_info": "inform_assembly_start",
    "negotiation_notice": "notify_negotiations",
    "negotiation": "negotiate",
    "consultation": "consult_dg",
    "approval": "approve",
    "giunta": "giunta",
    "notification": "notify_government",
    "assembly_transmission": "transmit_assembly",
    "observations": "record_observations",
    "outcome_report": "report_outcome",
    "assembly_observations": "assembly_observations",
    "final_approval": "final_approval",
    "signature": "sign",
    "ratification": "ratify",
    "publication": "publish",
}


@dataclass(frozen=True)
class ObservationsWait:
    start: datetime.date  # the day the 30 days count from
    last_day: datetime.date  # signature may follow the day after
    assumed: bool  # a receipt is missing: counted from the sending date


def observations_wait(agreement: Agreement) -> ObservationsWait | None:
    """The 30-day wait of L. 131/2003 art. 6 c. 2 as every page says it: from the later receipt of the notice."""
    start = dates.observations_from(agreement)
    if start is None or agreement.needs_full_powers:
        return None
    return ObservationsWait(start, dates.observations_last_day(start), dates.observations_from_is_assumed(agreement))


def _current_step(a: Agreement) -> str:
    """The timeline step the agreement is at, finer than its status where the law has several steps."""
    if a.status == Status.PROPOSAL or (a.status == Status.NEGOTIATION and not a.text_agreed_on):
        if a.is_light_kind and not a.qualified_on:
            return "qualification"
        if a.is_binding and not a.assembly_informed_on:
            return "assembly_info"
        if a.needs_full_powers and not a.negotiation_notice_date:
            return "negotiation_notice"
        return "negotiation"
    if a.status == Status.NOTIFICATION:
        return "assembly_transmission" if a.notice_government_date else "notification"
    if a.status == Status.OBSERVATIONS:
        if not a.observations_outcome:
            return "observations"
        return "assembly_observations" if a.outcome_report_date else "outcome_report"
    if a.status == Status.IN_FORCE and a.is_binding:
        return "publication"  # in force from ratification; the publication follows (done once published_on)
    if a.status == Status.PUBLICATION and not a.is_binding:
        return "in_force"
    return STEP_OF_STATUS[a.status]


def non_renewal_deadline(agreement: Agreement) -> datetime.date | None:
    """Under a tacit-renewal clause, the last day to give notice of non-renewal."""
    if agreement.renewal_clause != RenewalClause.TACIT or not agreement.end_date or not agreement.renewal_notice_days:
        return None
    return agreement.end_date - datetime.timedelta(days=agreement.renewal_notice_days)


def _consultation_dates(agreement: Agreement, opinions) -> tuple[datetime.date | None, datetime.date | None]:
    """(due date, date closed) of the current consultation round, from its opinions."""
    current = [o for o in opinions if o.round == agreement.consultation_round]
    if not current:
        return None, None
    due = max(o.due_date for o in current)
    if any(o.kind == OpinionKind.PENDING for o in current):
        return due, None
    given = [timezone.localdate(o.given_at) for o in current if o.given_at]
    silent = any(o.kind == OpinionKind.SILENT_ASSENT for o in current)
    return due, max([*given, *([due] if silent else [])], default=due)


def agreement_timeline(agreement: Agreement, opinions=()) -> list[TimelineStep]:
    """The procedure for this agreement's kind, each step done, current or next, with dates derived from the
    record: what was done when, and the legal deadlines ahead (consultation, 30-day wait, expiry). Each step
    carries the rule it applies."""
    a = agreement
    consultation_due, consultation_done = _consultation_dates(a, opinions)
    steps = [("proposal", _("Proposta"), timezone.localdate(a.created_at) if a.created_at else None, None, "")]
    if a.is_light_kind:
        qualification = ""
        if a.qualified_on:
            qualification = (_("Crea impegni per la Regione") if a.binding else _("Non crea impegni: via breve"))
            qualification = f"{qualification}: {a.qualification_reason}"
        steps.append(("qualification", _("Qualificazione dell'atto"), a.qualified_on, None, qualification))
    if a.is_binding:
        steps.append(("assembly_info", _("Informativa iniziale all'Assemblea legislativa"), a.assembly_informed_on,
                      None, a.assembly_informed_protocol))
    if a.needs_full_powers:
        steps.append(("negotiation_notice", _("Comunicazione dell'avvio dei negoziati"), a.negotiation_notice_date,
                      None, a.negotiation_criteria and _("Criteri del Ministero: %s") % a.negotiation_criteria))
    steps.append(("negotiation", _("Negoziazione testo"), a.text_agreed_on, None, ""))
    if a.consultation_round or opinions or a.status == Status.CONSULTATION:
        steps.append(("consultation", _("Consultazione DG"), consultation_done, consultation_due, ""))
    steps.append(("approval", _("Approvazione dirigente"), a.approved_on, None, ""))
    if a.is_binding:
        wait = observations_wait(a)
        receipts = []
        if a.notice_government_date:
            receipts.append(_("ricevuta DAR: %s") % (_fmt(a.notice_dar_received_on) or _("non registrata")))
            receipts.append(_("ricevuta MAECI: %s") % (_fmt(a.notice_maeci_received_on) or _("non registrata")))
        observations_note = ""
        if a.needs_full_powers:
            observations_note = _("Per un accordo con uno Stato estero la firma attende i pieni poteri.")
        elif wait:
            observations_note = _("I 30 giorni decorrono dal %(start)s e terminano il %(end)s.") % {
                "start": _fmt(wait.start), "end": _fmt(wait.last_day)}
            if wait.assumed:
                observations_note += " " + _("Manca una ricevuta: si conta dalla data di invio (ipotesi).")
        observations_done = a.observations_date or (
            wait.last_day if wait and a.observations_outcome == ObservationsOutcome.SILENCE else None
        )
        if a.observations_outcome:
            observations_note = f"{a.get_observations_outcome_display()}. {observations_note}".strip()
        assembly_note = (a.get_assembly_observations_display() if a.assembly_observations else "")
        if a.assembly_observations_act:
            assembly_note += f" ({a.assembly_observations_act})"
        steps += [
            ("giunta", _("Delibera di Giunta sul progetto"), a.dgr_date, None,
             a.dgr_number and _("DGR %s") % a.dgr_number),
            ("notification", _("Notifica al Governo (DAR e MAECI)"), a.notice_government_date, None,
             "; ".join(receipts)),
            ("assembly_transmission", _("Trasmissione del progetto all'Assemblea legislativa"), a.notice_assembly_date,
             None, a.notice_assembly_protocol),
            ("observations", _("Attesa osservazioni (30 giorni)"), observations_done,
             wait.last_day if wait else None, observations_note),
            ("outcome_report", _("Esito del coordinamento comunicato all'Assemblea"), a.outcome_report_date, None,
             a.outcome_report_protocol),
            ("assembly_observations", _("Osservazioni dell'Assemblea legislativa"),
             a.assembly_observations_date or (a.outcome_report_date if a.assembly_observations else None), None,
             assembly_note),
            ("final_approval", _("Approvazione definitiva della Giunta"), a.final_dgr_date, None,
             a.final_dgr_number and _("DGR %s") % a.final_dgr_number),
        ]
    signature_note = a.signature_place
    if a.region_signatory_name:
        signatory = f"{a.region_signatory_name}, {a.get_region_signatory_office_display()}"
        if a.region_signatory_office == SignatoryOffice.ASSESSORE:
            signatory += " " + _("(delega %(act)s del %(day)s)") % {"act": a.delegation_act,
                                                                  "day": _fmt(a.delegation_date)}
        signature_note = f"{signature_note} · {signatory}" if signature_note else signatory
    steps.append(("signature", _("Firma"), a.signed_on, None, signature_note))
    if a.is_binding:
        ratification_note = a.ratification_act
        if a.ratification_form:
            ratification_note = f"{a.get_ratification_form_display()} {a.ratification_act}"
        steps.append(("ratification", _("Ratifica dell'Assemblea legislativa"), a.ratification_date, None,
                      ratification_note))
        steps.append(("in_force", _("In vigore (dalla ratifica)"), a.entry_into_force, None, ""))
        publication_note = ""
        if a.burert_reference:
            publication_note = _("%(burert)s: testo e atto di ratifica %(act)s") % {
                "burert": a.burert_reference, "act": a.ratification_act}
        steps.append(("publication", _("Pubblicazione nel BURERT"), a.published_on, None, publication_note))
    else:
        steps.append(("in_force", _("In vigore (dalla firma)"), a.entry_into_force, None, ""))
    notice_by = non_renewal_deadline(a)
    end_note = _("Disdetta entro il %s") % date_format(notice_by, "d/m/Y") if notice_by else ""
    end_label = a.get_status_display() if a.status in ENDED_STATUSES else _("Scadenza")
    # A renewed or expired agreement ended on its end date; a terminated one (recesso) on a day of its own.
    ended_on = a.end_date if a.status in (Status.RENEWED, Status.EXPIRED) else None
    steps.append(("end", end_label, ended_on, a.end_date, end_note))

    keys = [key for key, *_rest in steps]
    if a.status in ENDED_STATUSES:
        current, current_state = len(steps) - 1, "done"
    elif a.status in STOPPED_STATUSES:
        if a.status == Status.REJECTED:
            current = keys.index("approval")
        else:
            current = next((i for i, step in enumerate(steps) if step[2] is None), len(steps) - 1)
        current_state = "stopped"
    else:
        current, current_state = keys.index(_current_step(a)), "current"

    timeline = []
    for i, (key, label, done_on, due, note) in enumerate(steps):
        if i < current:
            state = "done"
        elif i == current:
            state = current_state
        else:
            state = "skipped" if current_state == "stopped" else "next"
        if state == "stopped":
            note = a.get_status_display() + (f": {a.closed_reason}" if a.closed_reason else "")
        # Ratified and not yet published: the publication is the step in course; an agreement recorded in force
        # without a ratification date (imported from the archive) has nothing left but its end.
        publishing = (keys[current] == "publication" and a.status == Status.IN_FORCE and bool(a.ratification_date)
                      and not a.published_on)
        if key in ("in_force", "publication") and state == "current" and not publishing:
            state = "done"  # in force (and published) is reached; what lies ahead is the end date
        elif key == "end" and a.status == Status.IN_FORCE and not publishing:
            state = "current"
        timeline.append(
            TimelineStep(
                key=key,
                label=label,
                state=state,
                date=done_on if state in ("done", "current") else None,
                due=due if state in ("current", "next") else None,
                note=note or "",
                rule=rule_for(RULE_OF_TIMELINE_STEP.get(key, "")),
            )
        )
    return timeline


def _fmt(day) -> str:
    return date_format(day, "d/m/Y") if day else ""


def tacit_extension_pending(agreement: Agreement) -> bool:
    """A tacit clause extended the agreement and the informativa to the Assembly is not yet recorded: the page
    offers it (records.services.tacit_extension_inform)."""
    return (agreement.status == Status.IN_FORCE and not agreement.tacit_extension_informed_on
            and AuditEvent.objects.filter(agreement=agreement, action="agreement_tacit_renewal").exists())


def person_name(user) -> str:
    """A user as the pages name them: full name, else user name; a dash for nobody."""
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


def _renewal_chain(user, agreement: Agreement) -> list[Agreement]:
    """The agreements this one renews (oldest first), itself, then its renewals: those the user may see."""
    visible = visible_agreements(user).only("id", "reference", "title", "status", "end_date", "renews_id")
    chain, seen = [agreement], {agreement.pk}
    while chain[0].renews_id and chain[0].renews_id not in seen:
        previous = visible.filter(pk=chain[0].renews_id).first()
        if previous is None:
            break
        chain.insert(0, previous)
        seen.add(previous.pk)
    chain += list(visible.filter(renews=agreement).order_by("created_at"))
    return chain


AUDIT_ACTION_LABELS = {
    "agreement_create": _("Proposta creata"),
    "agreement_update": _("Scheda modificata"),
    "articles_replace": _("Articoli modificati"),
    "signatories_replace": _("Firmatari modificati"),
    "text_mark_agreed": _("Testo concordato"),
    "consultation_deadline_set": _("Scadenza della consultazione modificata"),
    "opinion_give": _("Parere DG espresso"),
    "opinions_silent_assent": _("Silenzio-assenso delle DG"),
    "consultation_close": _("Consultazione chiusa"),
    "agreement_approve": _("Approvato dal dirigente"),
    "agreement_send_back": _("Rinviato alla negoziazione"),
    "agreement_reject": _("Respinto"),
    "giunta_record": _("Delibera di Giunta registrata"),
    "notice_government_record": _("Notifica al Governo registrata"),
    "notice_assembly_record": _("Informativa all'Assemblea registrata"),
    "observations_open": _("Attesa osservazioni avviata"),
    "observations_record": _("Risposta del Governo registrata"),
    "observations_silence": _("Decorsi 30 giorni senza osservazioni"),
    "observations_close": _("Attesa osservazioni chiusa"),
    "signature_record": _("Firma registrata"),
    "ratification_record": _("Ratifica registrata"),
    "publication_record": _("Pubblicazione registrata"),
    "agreement_renewed": _("Rinnovato"),
    "agreement_withdraw": _("Ritirato"),
    "agreement_archive": _("Archiviato"),
    "agreement_terminate": _("Recesso"),
    "renewal_decline": _("Decisione di non rinnovare"),
    "tacit_extension_inform": _("Informativa all'Assemblea sulla proroga tacita"),
    "qualification_record": _("Atto qualificato"),
    "assembly_inform_start": _("Informativa iniziale all'Assemblea registrata"),
    "negotiation_notice_record": _("Avvio dei negoziati comunicato"),
    "outcome_report_record": _("Esito del coordinamento comunicato all'Assemblea"),
    "assembly_observations_record": _("Osservazioni dell'Assemblea registrate"),
    "final_approval_record": _("Approvazione definitiva della Giunta registrata"),
    "procedure_carry_over": _("Procedura portata sul flusso attuale"),
    "renewal_create": _("Rinnovo avviato"),
    "agreement_expire": _("Scaduto"),
    "agreement_tacit_renewal": _("Rinnovo tacito"),
}


@dataclass
class AuditLine:
    event: AuditEvent
    label: str
    changes: list[tuple[str, object, object]] = field(default_factory=list)


def _audit_lines(agreement: Agreement, limit: int = 200) -> list[AuditLine]:
    events = AuditEvent.objects.filter(agreement=agreement).select_related("on_behalf_of")[:limit]
    lines = []
    for event in events:
        changes = []
        for name, (before, after) in (event.changes or {}).items():
            try:
                label = Agreement._meta.get_field(name).verbose_name
            except FieldDoesNotExist:
                label = name
            changes.append((label, before, after))
        lines.append(AuditLine(event, AUDIT_ACTION_LABELS.get(event.action, event.action), changes))
    return lines


def agreement_actions(user, agreement: Agreement, tacit_pending: bool | None = None) -> dict:
    """Which of the page's actions the user may take on the agreement in its state (the services decide again).
    `tacit_pending`: tacit_extension_pending(agreement), when the caller has it already."""
    if tacit_pending is None:
        tacit_pending = has_role(user, Role.SECRETARIAT, Role.ADMIN) and tacit_extension_pending(agreement)
    return {
        "edit": has_role(user, Role.DRAFTER, Role.ADMIN) and agreement.status in [*OPEN_STATUSES, Status.IN_FORCE],
        "edit_text": has_role(user, Role.DRAFTER, Role.ADMIN)
        and agreement.status in (Status.PROPOSAL, Status.NEGOTIATION),
        "renew": has_role(user, Role.DRAFTER, Role.ADMIN) and agreement.status == Status.IN_FORCE,
        "decline_renewal": has_role(user, Role.DRAFTER, Role.DIRECTOR, Role.ADMIN)
        and agreement.status == Status.IN_FORCE and not agreement.no_renewal_decided_on,
        "close": has_role(user, Role.DIRECTOR, Role.ADMIN) and agreement.status not in FINAL_STATUSES,
        "inform_tacit_extension": has_role(user, Role.SECRETARIAT, Role.ADMIN) and tacit_pending,
        "console": has_role(user, *Role.SEE_ALL),
    }


def agreement_page(user, reference: str) -> dict:
    """Everything the agreement page shows, in a fixed number of queries. 404 when the user may not see it."""
    agreement = agreement_for(user, reference=reference)
    opinions = list(agreement.opinions.select_related("dg", "given_by").order_by("-round", "dg__name"))
    task_directory = tasks.directory()
    signatories = list(agreement.signatories.all())
    return {
        "agreement": agreement,
        "timeline": agreement_timeline(agreement, opinions),
        "open_tasks": task_directory.for_agreement(agreement, user, opinions),
        # only the Gabinetto roles see the console's links (agreement_actions: "console")
        "workflow_links": task_directory.process_links(agreement) if has_role(user, *Role.SEE_ALL) else None,
        "opinions": opinions,
        "dgs": list(agreement.dgs.all()),
        "plan_actions": list(agreement.plan_actions.select_related("plan")),
        "activities": activities_of_agreement(user, agreement),
        "other_counterparts": list(agreement.other_counterparts.all()),
        "region_signatories": [s for s in signatories if s.side == Signatory.Side.REGION],
        "counterpart_signatories": [s for s in signatories if s.side == Signatory.Side.COUNTERPART],
        "articles": (articles := list(agreement.articles.all())),
        "text": text_columns(agreement, articles),
        "renewal_chain": _renewal_chain(user, agreement),
        "history_lines": history.history(agreement, limit=200),
        "sent_back": history.sent_back(agreement) if agreement.status == Status.NEGOTIATION else None,
        "non_renewal_deadline": non_renewal_deadline(agreement),
        "tacit_extension_pending": (tacit_pending := tacit_extension_pending(agreement)),
        "reminders": agreement_reminders(agreement, opinions),
        # For the documents partial (templates/documents/_versions.html).
        "versions": versions_for(agreement),
        "can_write": has_role(user, *WRITER_ROLES),
        "can": agreement_actions(user, agreement, tacit_pending),
    }


# --- Dashboard -----------------------------------------------------------------------------------------------

EXPIRY_WINDOW_MONTHS = 6
DASHBOARD_LIST_LIMIT = 50


def user_open_tasks(user) -> list[OpenTask]:
    """The human steps waiting for `user` among the agreements they see, overdue first, then by deadline (the
    first DASHBOARD_LIST_LIMIT of them, chosen by the database in that order)."""
    return tasks.directory().inbox(user, visible_agreements(user), DASHBOARD_LIST_LIMIT)


@dataclass
class ExpiringMonth:
    month: datetime.date  # first day of the month
    agreements: list


def expiring_timeline(user, today: datetime.date) -> list[ExpiringMonth]:
    """Agreements in force ending in the next six months, month by month (empty months included, so the page
    reads as a timeline), each with the days left and whether its renewal has started."""
    horizon = today + relativedelta(months=EXPIRY_WINDOW_MONTHS)
    renewal_started = Agreement.objects.filter(renews=OuterRef("pk")).exclude(status__in=STOPPED_STATUSES)
    agreements = list(
        visible_agreements(user)
        .filter(status=Status.IN_FORCE, end_date__gte=today, end_date__lte=horizon)
        .select_related("counterpart")
        .only("reference", "title", "end_date", "renewal_clause", "renewal_notice_days", "counterpart__name")
        .annotate(renewal_started=Exists(renewal_started))
        .order_by("end_date", "reference")[:DASHBOARD_LIST_LIMIT]
    )
    months = []
    first = today.replace(day=1)
    for offset in range(EXPIRY_WINDOW_MONTHS + 1):
        month = first + relativedelta(months=offset)
        items = [a for a in agreements if (a.end_date.year, a.end_date.month) == (month.year, month.month)]
        for agreement in items:
            agreement.days_left = (agreement.end_date - today).days
            agreement.notice_by = non_renewal_deadline(agreement)
        months.append(ExpiringMonth(month, items))
    return months


def status_counts(user) -> list[dict]:
    """How many agreements the user sees in each state, in the procedure's order (states with none left out)."""
    counts = dict(
        visible_agreements(user).order_by().values_list("status").annotate(n=Count("id"))
    )
    return [{"status": s, "label": s.label, "count": counts[s.value]} for s in Status if counts.get(s.value)]


def pending_consultations(user):
    """Opinions still awaited in the current round of each consultation, for the agreements the user sees;
    a referent sees only their own DG's."""
    qs = Opinion.objects.filter(
        kind=OpinionKind.PENDING,
        agreement__status=Status.CONSULTATION,
        round=F("agreement__consultation_round"),
    )
    if not sees_everything(user):
        visible = visible_agreements(user).values("pk")
        qs = qs.filter(dg_id=user_dg_id(user), agreement__in=visible)
    return qs


def dashboard_data(user, today: datetime.date | None = None) -> dict:
    """What the home page shows the user, by role, in a fixed number of queries."""
    today = today or dates.today()
    consultations = pending_consultations(user)
    data = {
        "today": today,
        "week_end": today + datetime.timedelta(days=7),
        "tasks": user_open_tasks(user),
        "expiring": expiring_timeline(user, today),
        "counts": status_counts(user),
        "consultations_by_dg": list(
            consultations.values("dg_id", "dg__name")
            .annotate(n=Count("id"), first_due=Min("due_date"))
            .order_by("first_due", "dg__name")
        ),
        "is_referent": has_role(user, Role.DG_REFERENT) and not sees_everything(user),
        "is_director": has_role(user, Role.DIRECTOR),
        "is_admin": has_role(user, Role.ADMIN),
    }
    if data["is_referent"]:
        data["my_dg_consultations"] = list(
            consultations.select_related("agreement", "dg")
            .only("due_date", "agreement__reference", "agreement__title", "dg__name")
            .order_by("due_date")[:DASHBOARD_LIST_LIMIT]
        )
    if data["is_director"]:
        data["awaiting_approval"] = list(
            visible_agreements(user)
            .filter(status=Status.APPROVAL)
            .filter(Q(director=user) | Q(director__isnull=True))
            .exclude(drafted_by=user)
            .select_related("counterpart", "drafted_by")
            .only("reference", "title", "counterpart__name", "drafted_by__username", "drafted_by__first_name",
                  "drafted_by__last_name")
            .order_by("updated_at")[:DASHBOARD_LIST_LIMIT]
        )
    if data["is_admin"]:
        failed = OutboxMessage.objects.filter(state=OutboxMessage.State.FAILED)
        data["failed_count"] = failed.count()
        data["failed_emails"] = list(failed.select_related("agreement").order_by("-created_at")[:20])
    return data


# --- What a task page shows beside its form ----------------------------------------------------------------


@dataclass
class OpinionRound:
    number: int
    opinions: list


def task_context(agreement: Agreement) -> dict:
    """What a person needs to decide a step from its page alone: the text in its languages side by side, the
    latest version of each document (with its PDF), the DG opinions of every round with their notes, the
    earlier remarks of the director, the DGs and the government, the deadlines, and what came back after a
    send-back. A fixed number of queries, whatever the rounds, events or versions."""
    opinions = list(agreement.opinions.select_related("dg", "given_by").order_by("-round", "dg__name"))
    rounds: dict[int, list] = {}
    for opinion in opinions:
        rounds.setdefault(opinion.round, []).append(opinion)
    versions = versions_for(agreement)
    pdfs = {v.derived_from_id: v for v in versions if v.source == "pdf"}
    latest, seen = [], set()
    for version in versions:  # by type, newest first: the first of each type
        if version.source == "pdf" or version.doc_type in seen:
            continue
        seen.add(version.doc_type)
        version.pdf = pdfs.get(version.pk)
        latest.append(version)
    consultation_due, _closed = _consultation_dates(agreement, opinions)
    deadlines = []
    if agreement.status == Status.CONSULTATION and consultation_due:
        deadlines.append((_("Pareri DG entro il"), consultation_due))
    if agreement.notice_government_date and not agreement.observations_outcome:
        deadlines.append((_("Fine dell'attesa delle osservazioni"),
                          dates.observations_last_day(agreement.notice_government_date)))
    if agreement.end_date:
        deadlines.append((_("Scadenza dell'accordo"), agreement.end_date))
    if non_renewal_deadline(agreement):
        deadlines.append((_("Ultimo giorno per la disdetta"), non_renewal_deadline(agreement)))
    return {
        "context_articles": (articles := list(agreement.articles.all())),
        "context_languages": list(agreement.languages or []),
        "context_text": text_columns(agreement, articles),
        "context_documents": latest,
        "context_rounds": [OpinionRound(n, items) for n, items in sorted(rounds.items(), reverse=True)],
        "context_remarks": history.earlier_remarks(agreement),
        "context_deadlines": deadlines,
        "context_sent_back": history.sent_back(agreement) if agreement.status == Status.NEGOTIATION else None,
    }


@dataclass
class TextColumns:
    """The text side by side: one column per language (Italian first), one row per article."""

    languages: list[tuple[str, str]]  # (code, Italian name)
    rows: list[tuple[int, list[dict]]]  # (number, [{"code", "heading", "text"} per language])


def text_columns(agreement: Agreement, articles) -> TextColumns:
    """No query beyond the agreement's counterpart (usually loaded with it)."""
    codes = agreement.text_languages
    return TextColumns(languages=[(code, language_name(code)) for code in codes],
                       rows=[(a.number, a.versions(codes)) for a in articles])
