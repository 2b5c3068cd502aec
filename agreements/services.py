"""Every write to an agreement: one function each, one transaction, one audit event naming the actor.

The functions check the actor's right to act and the order of legal dates, then write. They know nothing of
Viewflow: workflows/services.py calls them from the flow's tasks and completes the task in the same transaction.
`on_behalf_of` is the absent user a deputy acts for; the principal's roles then count.
"""

import datetime
import re

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from . import dates
from .audit import audit_record, diff, snapshot
from .errors import InvalidStateError, PermissionDeniedError, StaleObjectError
from .errors import ServiceError as ValidationFailed
from .models import (
    Agreement,
    AgreementKind,
    Article,
    Delegation,
    Opinion,
    OpinionKind,
    ReferenceCounter,
    RenewalClause,
    Signatory,
    Status,
)
from .models.agreement import OPEN_STATUSES, REFERENCE_PREFIX, ObservationsOutcome
from .roles import Role, has_role, user_dg_id

DGR_NUMBER = re.compile(r"^\d{1,5}/\d{4}$")

# Fields a drafter may edit on the record itself; lifecycle fields change only through their step.
EDITABLE_FIELDS = (
    "title",
    "counterpart",
    "subject_areas",
    "languages",
    "authentic_languages",
    "binding",
    "estimated_cost",
    "cost_notes",
    "notes",
    "director",
    "consultation_days",
    "duration_months",
    "renewal_clause",
    "renewal_notice_days",
    "implementation_notes",
)


def _acting(actor, on_behalf_of):
    return on_behalf_of or actor


def _require(actor, *roles, on_behalf_of=None):
    if not has_role(_acting(actor, on_behalf_of), *roles, Role.ADMIN):
        raise PermissionDeniedError(_("Non hai il ruolo necessario per questa operazione."))


def _lock(agreement: Agreement) -> Agreement:
    return Agreement.objects.select_for_update().get(pk=agreement.pk)


def _require_status(agreement: Agreement, *statuses):
    if agreement.status not in statuses:
        raise InvalidStateError(
            _("Operazione non possibile: l'accordo %(ref)s è nello stato «%(status)s».")
            % {"ref": agreement.reference, "status": agreement.get_status_display()}
        )


def _set(agreement: Agreement, actor, action: str, values: dict, *, on_behalf_of=None, detail=None) -> Agreement:
    """Write `values` on the locked agreement, bump its version and audit the before/after."""
    before = snapshot(agreement, values.keys())
    for name, value in values.items():
        setattr(agreement, name, value)
    agreement.version = F("version") + 1
    agreement.save(update_fields=[*values.keys(), "version", "updated_at"])
    agreement.refresh_from_db(fields=["version"])
    audit_record(
        actor=actor,
        on_behalf_of=on_behalf_of,
        agreement=agreement,
        action=action,
        changes=diff(before, snapshot(agreement, values.keys())),
        detail=detail,
    )
    return agreement


def _next_reference(kind: str, year: int) -> str:
    prefix = REFERENCE_PREFIX[kind]
    ReferenceCounter.objects.get_or_create(prefix=prefix, year=year)
    counter = ReferenceCounter.objects.select_for_update().get(prefix=prefix, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{prefix}-{year}-{counter.last:03d}"


def _check_date_order(*pairs):
    """Each pair is (earlier, later, message): refuse when later < earlier."""
    for earlier, later, message in pairs:
        if earlier and later and later < earlier:
            raise ValidationFailed(message)


# --- Proposal and record ------------------------------------------------------------------------------------


@transaction.atomic
def agreement_create(
    *,
    actor,
    title: str,
    kind: str,
    counterpart,
    dgs=(),
    plan_actions=(),
    languages=("it",),
    authentic_languages=None,
    subject_areas=(),
    binding: bool = True,
    director=None,
    duration_months: int | None = None,
    renewal_clause: str = RenewalClause.EXPRESS,
    renewal_notice_days: int | None = None,
    consultation_days: int = 15,
    estimated_cost=None,
    renews: Agreement | None = None,
    year: int | None = None,
) -> Agreement:
    """A drafter opens a proposal (step 1). The reference code is new and never reused."""
    _require(actor, Role.DRAFTER)
    if kind not in AgreementKind.values:
        raise ValidationFailed(_("Tipo di accordo sconosciuto: %s") % kind)
    if not title or not title.strip():
        raise ValidationFailed(_("Il titolo è obbligatorio."))
    if renewal_clause == RenewalClause.TACIT and not renewal_notice_days:
        raise ValidationFailed(_("Per il rinnovo tacito indicare i giorni di preavviso per la disdetta."))
    if not 1 <= consultation_days <= 120:
        raise ValidationFailed(_("I giorni per il parere DG devono essere tra 1 e 120."))
    if director is not None and director.pk == actor.pk:
        raise ValidationFailed(_("Il dirigente responsabile non può essere chi redige il testo."))
    agreement = Agreement.objects.create(
        reference=_next_reference(kind, year or dates.today().year),
        title=title.strip(),
        kind=kind,
        binding=binding,
        counterpart=counterpart,
        languages=list(languages),
        authentic_languages=list(authentic_languages if authentic_languages is not None else languages),
        subject_areas=list(subject_areas),
        drafted_by=actor,
        director=director,
        duration_months=duration_months,
        renewal_clause=renewal_clause,
        renewal_notice_days=renewal_notice_days,
        consultation_days=consultation_days,
        estimated_cost=estimated_cost,
        renews=renews,
        status=Status.NEGOTIATION,
    )
    agreement.dgs.set(dgs)
    agreement.plan_actions.set(plan_actions)
    audit_record(
        actor=actor,
        agreement=agreement,
        action="agreement_create",
        detail={"reference": agreement.reference, "kind": kind, "renews": renews.reference if renews else None},
    )
    return agreement


@transaction.atomic
def agreement_update(*, agreement: Agreement, actor, expected_version: int, **values) -> Agreement:
    """Edit the record. `expected_version` is the version the user loaded: a concurrent edit is refused."""
    _require(actor, Role.DRAFTER)
    unknown = set(values) - set(EDITABLE_FIELDS) - {"dgs", "plan_actions"}
    if unknown:
        raise ValidationFailed(_("Campi non modificabili: %s") % ", ".join(sorted(unknown)))
    agreement = _lock(agreement)
    if agreement.version != expected_version:
        raise StaleObjectError(
            _("L'accordo è stato modificato da un altro utente dopo che lo hai aperto: ricarica la pagina.")
        )
    if agreement.status not in OPEN_STATUSES and agreement.status != Status.IN_FORCE:
        raise InvalidStateError(_("Un accordo chiuso non si modifica."))
    relations = {name: values.pop(name) for name in ("dgs", "plan_actions") if name in values}
    detail = {}
    for name, items in relations.items():
        before = sorted(getattr(agreement, name).values_list("pk", flat=True))
        getattr(agreement, name).set(items)
        after = sorted(getattr(agreement, name).values_list("pk", flat=True))
        if before != after:
            detail[name] = [before, after]
    return _set(agreement, actor, "agreement_update", values, detail=detail)


@transaction.atomic
def articles_replace(*, agreement: Agreement, actor, articles: list[dict]) -> Agreement:
    """The drafter edits the bilingual article list (number, heading_it, text_it, heading_other, text_other)."""
    _require(actor, Role.DRAFTER)
    agreement = _lock(agreement)
    _require_status(agreement, Status.PROPOSAL, Status.NEGOTIATION)
    numbers = [int(a["number"]) for a in articles]
    if len(set(numbers)) != len(numbers):
        raise ValidationFailed(_("Due articoli hanno lo stesso numero."))
    for a in articles:
        if not str(a.get("heading_it", "")).strip() or not str(a.get("text_it", "")).strip():
            raise ValidationFailed(_("Ogni articolo deve avere rubrica e testo in italiano."))
    Article.objects.filter(agreement=agreement).delete()
    Article.objects.bulk_create(
        Article(
            agreement=agreement,
            number=int(a["number"]),
            heading_it=a["heading_it"].strip(),
            text_it=a["text_it"].strip(),
            heading_other=str(a.get("heading_other", "")).strip(),
            text_other=str(a.get("text_other", "")).strip(),
        )
        for a in articles
    )
    return _set(agreement, actor, "articles_replace", {}, detail={"articles": len(articles)})


@transaction.atomic
def signatories_replace(*, agreement: Agreement, actor, signatories: list[dict]) -> Agreement:
    _require(actor, Role.DRAFTER)
    agreement = _lock(agreement)
    Signatory.objects.filter(agreement=agreement).delete()
    Signatory.objects.bulk_create(
        Signatory(agreement=agreement, side=s["side"], name=s["name"], role=s["role"], order=i)
        for i, s in enumerate(signatories)
    )
    return _set(agreement, actor, "signatories_replace", {}, detail={"signatories": len(signatories)})


# --- Negotiation and consultation ---------------------------------------------------------------------------


@transaction.atomic
def text_mark_agreed(*, agreement: Agreement, actor, on_behalf_of=None) -> Agreement:
    """Step 2 ends: the text is agreed with the counterpart and goes to the DGs (or straight to the director)."""
    _require(actor, Role.DRAFTER, on_behalf_of=on_behalf_of)
    agreement = _lock(agreement)
    _require_status(agreement, Status.PROPOSAL, Status.NEGOTIATION)
    today = dates.today()
    dgs = list(agreement.dgs.all())
    if not dgs:
        return _set(agreement, actor, "text_mark_agreed", {"text_agreed_on": today, "status": Status.APPROVAL},
                    on_behalf_of=on_behalf_of)
    round_ = agreement.consultation_round + 1
    due = today + datetime.timedelta(days=agreement.consultation_days)
    Opinion.objects.bulk_create(Opinion(agreement=agreement, dg=dg, round=round_, due_date=due) for dg in dgs)
    return _set(
        agreement,
        actor,
        "text_mark_agreed",
        {
            "text_agreed_on": today,
            "status": Status.CONSULTATION,
            "consultation_round": round_,
            "consultation_started_on": today,
        },
        on_behalf_of=on_behalf_of,
        detail={"dgs": [dg.name for dg in dgs], "due_date": due},
    )


def consultation_due_date(agreement: Agreement) -> datetime.date | None:
    opinion = (
        Opinion.objects.filter(agreement=agreement, round=agreement.consultation_round).order_by("-due_date").first()
    )
    return opinion.due_date if opinion else None


@transaction.atomic
def consultation_deadline_set(*, agreement: Agreement, actor, due_date: datetime.date) -> Agreement:
    """The drafter moves the consultation deadline of the current round (per agreement, editable)."""
    _require(actor, Role.DRAFTER, Role.DIRECTOR)
    agreement = _lock(agreement)
    _require_status(agreement, Status.CONSULTATION)
    if due_date < dates.today():
        raise ValidationFailed(_("La nuova scadenza non può essere nel passato."))
    Opinion.objects.filter(
        agreement=agreement, round=agreement.consultation_round, kind=OpinionKind.PENDING
    ).update(due_date=due_date)
    return _set(agreement, actor, "consultation_deadline_set", {}, detail={"due_date": due_date})


@transaction.atomic
def opinion_give(*, agreement: Agreement, dg, actor, kind: str, notes: str = "", on_behalf_of=None) -> Opinion:
    """A referent of `dg` gives the DG's opinion in the current round."""
    principal = _acting(actor, on_behalf_of)
    if not has_role(principal, Role.ADMIN) and not (
        has_role(principal, Role.DG_REFERENT) and user_dg_id(principal) == dg.pk
    ):
        raise PermissionDeniedError(_("Solo un referente della %(dg)s può esprimere questo parere.") % {"dg": dg})
    if kind not in (OpinionKind.FAVOURABLE, OpinionKind.FAVOURABLE_REMARKS, OpinionKind.UNFAVOURABLE):
        raise ValidationFailed(_("Parere non valido."))
    if kind != OpinionKind.FAVOURABLE and not notes.strip():
        raise ValidationFailed(_("Motivare il parere nelle note."))
    agreement = _lock(agreement)
    _require_status(agreement, Status.CONSULTATION)
    opinion = Opinion.objects.select_for_update().get(agreement=agreement, dg=dg, round=agreement.consultation_round)
    if opinion.kind != OpinionKind.PENDING:
        raise InvalidStateError(_("Il parere della %(dg)s è già stato registrato.") % {"dg": dg})
    opinion.kind, opinion.notes, opinion.given_by = kind, notes.strip(), actor
    opinion.given_at = timezone.now()
    opinion.save(update_fields=["kind", "notes", "given_by", "given_at"])
    audit_record(
        actor=actor, on_behalf_of=on_behalf_of, agreement=agreement, action="opinion_give",
        changes={"opinion": [OpinionKind.PENDING, kind]}, detail={"dg": dg.name, "notes": notes.strip()},
    )
    return opinion


@transaction.atomic
def opinions_silent_assent(*, agreement: Agreement) -> list[Opinion]:
    """The deadline passed: every opinion still pending is silent assent, and the director is told."""
    agreement = _lock(agreement)
    pending = list(
        Opinion.objects.select_for_update()
        .filter(agreement=agreement, round=agreement.consultation_round, kind=OpinionKind.PENDING)
        .select_related("dg")
    )
    if not pending:
        return []
    Opinion.objects.filter(pk__in=[o.pk for o in pending]).update(kind=OpinionKind.SILENT_ASSENT)
    names = [o.dg.name for o in pending]
    audit_record(actor=None, agreement=agreement, action="opinions_silent_assent", detail={"dgs": names})
    _notify(
        agreement,
        key=f"silent-assent-{agreement.pk}-{agreement.consultation_round}",
        users=[agreement.director or agreement.drafted_by],
        subject=_("%(ref)s: silenzio-assenso delle DG") % {"ref": agreement.reference},
        text=_(
            "La consultazione sull'accordo %(ref)s «%(title)s» è scaduta senza parere di: %(dgs)s.\n"
            "Il parere è registrato come silenzio-assenso.\n"
            "Ricevi questo messaggio come dirigente responsabile dell'accordo."
        )
        % {"ref": agreement.reference, "title": agreement.title, "dgs": ", ".join(names)},
    )
    return pending


def consultation_settled(agreement: Agreement) -> bool:
    return not Opinion.objects.filter(
        agreement=agreement, round=agreement.consultation_round, kind=OpinionKind.PENDING
    ).exists()


def consultation_unfavourable(agreement: Agreement) -> bool:
    return Opinion.objects.filter(
        agreement=agreement, round=agreement.consultation_round, kind=OpinionKind.UNFAVOURABLE
    ).exists()


@transaction.atomic
def consultation_close(*, agreement: Agreement) -> Agreement:
    """All DGs have answered (or kept silent): back to the text after an unfavourable opinion, else to approval."""
    agreement = _lock(agreement)
    _require_status(agreement, Status.CONSULTATION)
    target = Status.NEGOTIATION if consultation_unfavourable(agreement) else Status.APPROVAL
    return _set(agreement, None, "consultation_close", {"status": target})


# --- Approval ------------------------------------------------------------------------------------------------


class Decision:
    APPROVE = "approve"
    SEND_BACK = "send_back"
    REJECT = "reject"


@transaction.atomic
def agreement_decide(*, agreement: Agreement, actor, decision: str, remarks: str = "", on_behalf_of=None):
    """Step 4: the director approves, sends back with remarks, or rejects. Never the drafter (four-eyes)."""
    _require(actor, Role.DIRECTOR, on_behalf_of=on_behalf_of)
    agreement = _lock(agreement)
    _require_status(agreement, Status.APPROVAL)
    principal = _acting(actor, on_behalf_of)
    if agreement.drafted_by_id in (actor.pk, principal.pk):
        raise PermissionDeniedError(_("Chi ha redatto il testo non può approvarlo."))
    if decision in (Decision.SEND_BACK, Decision.REJECT) and not remarks.strip():
        raise ValidationFailed(_("Indicare le osservazioni o la motivazione."))
    if decision == Decision.APPROVE:
        target = Status.GIUNTA if agreement.is_binding else Status.SIGNATURE
        values = {"status": target, "approved_on": dates.today(), "approved_by": principal}
    elif decision == Decision.SEND_BACK:
        values = {"status": Status.NEGOTIATION}
    elif decision == Decision.REJECT:
        values = {"status": Status.REJECTED, "closed_reason": remarks.strip()}
    else:
        raise ValidationFailed(_("Decisione non valida."))
    return _set(agreement, actor, f"agreement_{decision}", values, on_behalf_of=on_behalf_of,
                detail={"remarks": remarks.strip()})


# --- Giunta, notices and the 30-day wait --------------------------------------------------------------------


@transaction.atomic
def giunta_record(*, agreement: Agreement, actor, dgr_number: str, dgr_date: datetime.date, on_behalf_of=None):
    """Step 5: the secretariat records the Giunta resolution (DGR) approving the draft."""
    _require(actor, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    dgr_number = (dgr_number or "").strip()
    if not DGR_NUMBER.match(dgr_number):
        raise ValidationFailed(_("Numero DGR nel formato numero/anno, per esempio 1234/2022."))
    if int(dgr_number.split("/")[1]) != dgr_date.year:
        raise ValidationFailed(_("L'anno del numero DGR deve coincidere con l'anno della data."))
    agreement = _lock(agreement)
    _require_status(agreement, Status.GIUNTA)
    _check_date_order((agreement.approved_on, dgr_date, _("La DGR non può precedere l'approvazione del dirigente.")))
    if dgr_date > dates.today():
        raise ValidationFailed(_("La data della DGR non può essere futura."))
    return _set(agreement, actor, "giunta_record",
                {"dgr_number": dgr_number, "dgr_date": dgr_date, "status": Status.NOTIFICATION},
                on_behalf_of=on_behalf_of)


def _notice_checks(agreement, date):
    _check_date_order((agreement.dgr_date, date, _("La notifica non può precedere la DGR.")))
    if date > dates.today():
        raise ValidationFailed(_("La data della notifica non può essere futura."))


@transaction.atomic
def notice_government_record(*, agreement: Agreement, actor, date: datetime.date, protocol: str, on_behalf_of=None):
    """Step 6a: prior notice to the Presidenza del Consiglio (DAR) and the Ministero degli Affari Esteri."""
    _require(actor, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    agreement = _lock(agreement)
    _require_status(agreement, Status.NOTIFICATION)
    _notice_checks(agreement, date)
    if not protocol.strip():
        raise ValidationFailed(_("Indicare il numero di protocollo."))
    return _set(agreement, actor, "notice_government_record",
                {"notice_government_date": date, "notice_government_protocol": protocol.strip()},
                on_behalf_of=on_behalf_of)


@transaction.atomic
def notice_assembly_record(*, agreement: Agreement, actor, date: datetime.date, protocol: str, on_behalf_of=None):
    """Step 6b: the informativa to the Assemblea legislativa."""
    _require(actor, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    agreement = _lock(agreement)
    _require_status(agreement, Status.NOTIFICATION)
    _notice_checks(agreement, date)
    if not protocol.strip():
        raise ValidationFailed(_("Indicare il numero di protocollo."))
    return _set(agreement, actor, "notice_assembly_record",
                {"notice_assembly_date": date, "notice_assembly_protocol": protocol.strip()},
                on_behalf_of=on_behalf_of)


@transaction.atomic
def observations_open(*, agreement: Agreement) -> Agreement:
    """Both notices are out: the 30-day wait starts (step 7)."""
    agreement = _lock(agreement)
    _require_status(agreement, Status.NOTIFICATION)
    return _set(agreement, None, "observations_open", {"status": Status.OBSERVATIONS, "observations_outcome": ""},
                detail={"last_day": dates.observations_last_day(agreement.notice_government_date)})


@transaction.atomic
def observations_record(
    *,
    agreement: Agreement,
    actor,
    outcome: str,
    date: datetime.date,
    text: str = "",
    full_powers_date: datetime.date | None = None,
    full_powers_protocol: str = "",
    on_behalf_of=None,
):
    """The government answered: observations (back to the text) or nulla osta; for an accordo, full powers."""
    _require(actor, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    agreement = _lock(agreement)
    _require_status(agreement, Status.OBSERVATIONS)
    if agreement.observations_outcome:
        raise InvalidStateError(_("L'esito è già registrato."))
    _check_date_order((agreement.notice_government_date, date, _("La risposta non può precedere la notifica.")))
    if date > dates.today():
        raise ValidationFailed(_("La data non può essere futura."))
    values = {"observations_outcome": outcome, "observations_date": date}
    if outcome == ObservationsOutcome.OBSERVATIONS:
        if not text.strip():
            raise ValidationFailed(_("Riportare le osservazioni ricevute."))
        values["observations_text"] = text.strip()
    elif outcome == ObservationsOutcome.NULLA_OSTA:
        if agreement.needs_full_powers:
            if not full_powers_date or not full_powers_protocol.strip():
                raise ValidationFailed(
                    _("Per un accordo con uno Stato estero registrare i pieni poteri del Ministero degli Esteri.")
                )
            _check_date_order((agreement.notice_government_date, full_powers_date,
                               _("I pieni poteri non possono precedere la notifica.")))
            values.update(full_powers_date=full_powers_date, full_powers_protocol=full_powers_protocol.strip())
    else:
        raise ValidationFailed(_("Esito non valido."))
    return _set(agreement, actor, "observations_record", values, on_behalf_of=on_behalf_of)


@transaction.atomic
def observations_silence(*, agreement: Agreement) -> Agreement:
    """Thirty days passed without observations (never for an accordo: art. 6 c. 3 wants full powers)."""
    agreement = _lock(agreement)
    _require_status(agreement, Status.OBSERVATIONS)
    if agreement.observations_outcome or agreement.needs_full_powers:
        return agreement
    return _set(agreement, None, "observations_silence", {"observations_outcome": ObservationsOutcome.SILENCE})


@transaction.atomic
def observations_close(*, agreement: Agreement) -> Agreement:
    agreement = _lock(agreement)
    _require_status(agreement, Status.OBSERVATIONS)
    if agreement.observations_outcome == ObservationsOutcome.OBSERVATIONS:
        values = {"status": Status.NEGOTIATION}
    else:
        values = {"status": Status.SIGNATURE}
    return _set(agreement, None, "observations_close", values)


# --- Signature, ratification, publication -------------------------------------------------------------------


def earliest_signature_date(agreement: Agreement) -> datetime.date | None:
    """Signature may not come before the end of the 30-day wait, unless a nulla osta came first."""
    if not agreement.is_binding:
        return agreement.approved_on
    if agreement.observations_outcome == ObservationsOutcome.NULLA_OSTA and agreement.observations_date:
        return max(agreement.observations_date, agreement.full_powers_date or agreement.observations_date)
    if agreement.notice_government_date:
        return dates.observations_last_day(agreement.notice_government_date) + datetime.timedelta(days=1)
    return None


def _end_date(agreement: Agreement, entry_into_force: datetime.date):
    return dates.add_months(entry_into_force, agreement.duration_months) if agreement.duration_months else None


@transaction.atomic
def signature_record(
    *, agreement: Agreement, actor, place: str, date: datetime.date, signatories=None, on_behalf_of=None
):
    """Step 8. A non-binding text enters into force when signed; a binding one goes to the Assembly."""
    _require(actor, Role.DRAFTER, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    agreement = _lock(agreement)
    _require_status(agreement, Status.SIGNATURE)
    if agreement.needs_full_powers and not agreement.full_powers_date:
        raise InvalidStateError(
            _("Firma bloccata: mancano i pieni poteri del Ministero degli Affari Esteri (L. 131/2003 art. 6 c. 3).")
        )
    if not place.strip():
        raise ValidationFailed(_("Indicare il luogo di firma."))
    earliest = earliest_signature_date(agreement)
    if earliest and date < earliest:
        raise ValidationFailed(
            _("La firma non può precedere il %(day)s (fine dell'attesa di 30 giorni o nulla osta).")
            % {"day": earliest.strftime("%d/%m/%Y")}
        )
    if date > dates.today():
        raise ValidationFailed(_("La data di firma non può essere futura."))
    if signatories is not None:
        Signatory.objects.filter(agreement=agreement).delete()
        Signatory.objects.bulk_create(
            Signatory(agreement=agreement, side=s["side"], name=s["name"], role=s["role"], order=i)
            for i, s in enumerate(signatories)
        )
    values = {"signature_place": place.strip(), "signed_on": date}
    if agreement.is_binding:
        values["status"] = Status.RATIFICATION
    else:
        values.update(status=Status.PUBLICATION, entry_into_force=date, end_date=_end_date(agreement, date))
    return _set(agreement, actor, "signature_record", values, on_behalf_of=on_behalf_of)


@transaction.atomic
def ratification_record(
    *,
    agreement: Agreement,
    actor,
    transmission_date: datetime.date,
    committee_opinion_date: datetime.date | None,
    act: str,
    date: datetime.date,
    entry_into_force: datetime.date | None = None,
    on_behalf_of=None,
):
    """Step 9: Assembly ratification. Entry into force is the ratification date unless the text says otherwise."""
    _require(actor, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    agreement = _lock(agreement)
    _require_status(agreement, Status.RATIFICATION)
    if not act.strip():
        raise ValidationFailed(_("Indicare l'atto di ratifica."))
    _check_date_order(
        (agreement.signed_on, transmission_date, _("La trasmissione all'Assemblea non può precedere la firma.")),
        (transmission_date, committee_opinion_date, _("Il parere di commissione non può precedere la trasmissione.")),
        (committee_opinion_date or transmission_date, date, _("La ratifica non può precedere il parere.")),
        (date, entry_into_force, _("L'entrata in vigore non può precedere la ratifica.")),
    )
    if date > dates.today():
        raise ValidationFailed(_("La data di ratifica non può essere futura."))
    eif = entry_into_force or date
    return _set(
        agreement,
        actor,
        "ratification_record",
        {
            "assembly_transmission_date": transmission_date,
            "assembly_committee_opinion_date": committee_opinion_date,
            "ratification_act": act.strip(),
            "ratification_date": date,
            "entry_into_force": eif,
            "end_date": _end_date(agreement, eif),
            "status": Status.PUBLICATION,
        },
        on_behalf_of=on_behalf_of,
    )


@transaction.atomic
def publication_record(*, agreement: Agreement, actor, burert_reference: str, published_on: datetime.date,
                       on_behalf_of=None):
    """Step 10: BURERT publication; the agreement is in force. A renewal ends the agreement it renews."""
    _require(actor, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    agreement = _lock(agreement)
    _require_status(agreement, Status.PUBLICATION)
    if not burert_reference.strip():
        raise ValidationFailed(_("Indicare il riferimento BURERT."))
    _check_date_order((agreement.signed_on, published_on, _("La pubblicazione non può precedere la firma.")))
    if published_on > dates.today():
        raise ValidationFailed(_("La data di pubblicazione non può essere futura."))
    agreement = _set(agreement, actor, "publication_record",
                     {"burert_reference": burert_reference.strip(), "published_on": published_on,
                      "status": Status.IN_FORCE}, on_behalf_of=on_behalf_of)
    if agreement.renews_id:
        old = _lock(agreement.renews)
        if old.status == Status.IN_FORCE:
            _set(old, actor, "agreement_renewed", {"status": Status.RENEWED},
                 detail={"renewed_by": agreement.reference})
    return agreement


# --- Closing, renewal, expiry -------------------------------------------------------------------------------


class Closure:
    WITHDRAW = "withdraw"
    ARCHIVE = "archive"
    TERMINATE = "terminate"

    STATUS = {WITHDRAW: Status.WITHDRAWN, ARCHIVE: Status.ARCHIVED, TERMINATE: Status.TERMINATED}


@transaction.atomic
def agreement_close(*, agreement: Agreement, actor, closure: str, reason: str) -> Agreement:
    """A director withdraws or archives an agreement at any step (or records withdrawal, recesso), with a reason."""
    _require(actor, Role.DIRECTOR)
    if closure not in Closure.STATUS:
        raise ValidationFailed(_("Chiusura non valida."))
    if not reason.strip():
        raise ValidationFailed(_("Indicare la motivazione."))
    agreement = _lock(agreement)
    if closure == Closure.TERMINATE:
        _require_status(agreement, Status.IN_FORCE)
    elif agreement.status in (Status.WITHDRAWN, Status.ARCHIVED, Status.REJECTED, Status.RENEWED):
        raise InvalidStateError(_("L'accordo è già chiuso."))
    return _set(agreement, actor, f"agreement_{closure}",
                {"status": Closure.STATUS[closure], "closed_reason": reason.strip()})


@transaction.atomic
def renewal_decline(*, agreement: Agreement, actor, reason: str) -> Agreement:
    """A decision not to renew: expiry reminders stop repeating."""
    _require(actor, Role.DIRECTOR, Role.DRAFTER)
    if not reason.strip():
        raise ValidationFailed(_("Indicare la motivazione."))
    agreement = _lock(agreement)
    _require_status(agreement, Status.IN_FORCE)
    return _set(agreement, actor, "renewal_decline", {"no_renewal_decided_on": dates.today()},
                detail={"reason": reason.strip()})


@transaction.atomic
def agreements_expire(*, today: datetime.date) -> int:
    """Daily: agreements in force past their end date expire, or renew themselves under a tacit clause."""
    count = 0
    for agreement in Agreement.objects.select_for_update(skip_locked=True).filter(
        status=Status.IN_FORCE, end_date__lt=today
    ):
        if (
            agreement.renewal_clause == RenewalClause.TACIT
            and not agreement.no_renewal_decided_on
            and agreement.duration_months
        ):
            _set(agreement, None, "agreement_tacit_renewal",
                 {"end_date": dates.add_months(agreement.end_date, agreement.duration_months)})
        else:
            _set(agreement, None, "agreement_expire", {"status": Status.EXPIRED})
        count += 1
    return count


RENEWAL_COPIED_FIELDS = (
    "kind", "binding", "languages", "authentic_languages", "subject_areas", "duration_months",
    "renewal_clause", "renewal_notice_days", "consultation_days", "estimated_cost", "director",
)


@transaction.atomic
def renewal_create(*, agreement: Agreement, actor, automatic: bool = False) -> Agreement:
    """A renewal is a new agreement through the whole procedure, prefilled from the old one and linked to it."""
    if not automatic:
        _require(actor, Role.DRAFTER)
    old = _lock(agreement)
    _require_status(old, Status.IN_FORCE)
    if old.renewals.exclude(status__in=[Status.REJECTED, Status.WITHDRAWN, Status.ARCHIVED]).exists():
        raise InvalidStateError(_("Il rinnovo di questo accordo è già stato avviato."))
    drafter = actor if not automatic else old.drafted_by
    new = Agreement.objects.create(
        reference=_next_reference(old.kind, dates.today().year),
        title=_("Rinnovo: %(title)s") % {"title": old.title} if not old.title.startswith("Rinnovo") else old.title,
        counterpart=old.counterpart,
        drafted_by=drafter,
        renews=old,
        status=Status.NEGOTIATION,
        **{name: getattr(old, name) for name in RENEWAL_COPIED_FIELDS},
    )
    new.dgs.set(old.dgs.all())
    new.plan_actions.set(old.plan_actions.all())
    new.other_counterparts.set(old.other_counterparts.all())
    Article.objects.bulk_create(
        Article(agreement=new, number=a.number, heading_it=a.heading_it, text_it=a.text_it,
                heading_other=a.heading_other, text_other=a.text_other)
        for a in old.articles.all()
    )
    Signatory.objects.bulk_create(
        Signatory(agreement=new, side=s.side, name=s.name, role=s.role, order=s.order) for s in old.signatories.all()
    )
    audit_record(actor=actor, agreement=old, action="renewal_create",
                 detail={"renewal": new.reference, "automatic": automatic})
    return new


# --- People --------------------------------------------------------------------------------------------------


@transaction.atomic
def delegation_create(*, actor, user, deputy, starts_on: datetime.date, ends_on: datetime.date) -> Delegation:
    """`deputy` acts on `user`'s tasks between the dates. Users name their own deputies; admins anyone's."""
    if actor.pk != user.pk and not has_role(actor, Role.ADMIN):
        raise PermissionDeniedError(_("Puoi nominare un sostituto solo per te stesso."))
    if deputy.pk == user.pk:
        raise ValidationFailed(_("Non puoi nominare te stesso come sostituto."))
    if ends_on < starts_on:
        raise ValidationFailed(_("La data di fine precede quella di inizio."))
    delegation = Delegation.objects.create(user=user, deputy=deputy, starts_on=starts_on, ends_on=ends_on)
    audit_record(actor=actor, action="delegation_create",
                 detail={"user": user.get_username(), "deputy": deputy.get_username(),
                         "starts_on": starts_on, "ends_on": ends_on})
    return delegation


def deputy_of(*, deputy, user, on: datetime.date | None = None) -> bool:
    on = on or dates.today()
    return Delegation.objects.filter(user=user, deputy=deputy, starts_on__lte=on, ends_on__gte=on).exists()


# --- Notifications -------------------------------------------------------------------------------------------


def _notify(agreement: Agreement, *, key: str, users, subject: str, text: str):
    """Queue an e-mail in the outbox, in the caller's transaction (sent by the relay after commit)."""
    from .outbox import outbox_enqueue

    to = sorted({u.email for u in users if u is not None and u.email})
    if to:
        outbox_enqueue(key=key, to=to, subject=subject, text=text, html="", agreement=agreement)


# --- Import of past agreements ----------------------------------------------------------------------------


IMPORTABLE_STATUSES = (Status.IN_FORCE, Status.EXPIRED, Status.TERMINATED, Status.ARCHIVED)


@transaction.atomic
def agreement_import(*, actor, title: str, kind: str, counterpart, status: str, dgs=(), plan_actions=(),
                     year: int, notes: str = "", **record) -> Agreement:
    """Record an agreement concluded before the product existed (from the plan or the paper archive): it gets a
    reference of its year and its legal dates as they were, with no procedure to run. One audit event."""
    if actor is not None:
        _require(actor, Role.ADMIN)
    if kind not in AgreementKind.values or status not in IMPORTABLE_STATUSES:
        raise ValidationFailed(_("Tipo o stato non importabile: %(kind)s, %(status)s") % {"kind": kind,
                                                                                         "status": status})
    _check_date_order((record.get("entry_into_force"), record.get("end_date"),
                       _("La scadenza non può precedere l'entrata in vigore.")))
    if record.get("entry_into_force") and record.get("duration_months") and not record.get("end_date"):
        record["end_date"] = dates.add_months(record["entry_into_force"], record["duration_months"])
    agreement = Agreement.objects.create(reference=_next_reference(kind, year), title=title.strip(), kind=kind,
                                         counterpart=counterpart, status=status, notes=notes, **record)
    agreement.dgs.set(dgs)
    agreement.plan_actions.set(plan_actions)
    audit_record(actor=actor, agreement=agreement, action="agreement_import",
                 detail={"reference": agreement.reference, "status": status})
    return agreement
