"""The steps of the procedure: one function each, one transaction, one audit event naming the actor.

The flow (workflows/flows.py) calls them from its tasks and completes the task in the same transaction; they know
nothing of Viewflow. `on_behalf_of` is the absent user a deputy acts for; the principal's roles then count.
"""

import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.common import dates
from agreements.common.audit import audit_record
from agreements.common.errors import InvalidDataError, InvalidStateError, PermissionDeniedError
from agreements.common.errors import ServiceError as ValidationFailed
from agreements.common.guards import acting, require_role
from agreements.common.roles import Role, has_role, user_dg_id
from agreements.models import Agreement, Opinion, OpinionKind, Signatory, Status
from agreements.models.agreement import (
    AssemblyObservations,
    ObservationsOutcome,
    RatificationForm,
    SignatoryOffice,
)
from agreements.notifications import services as notifications
from agreements.outbox.services import outbox_enqueue
from agreements.records.services import DGR_NUMBER, check_date_order, locked, require_status, write_fields

# --- Start of the procedure: qualification, Assembly informed, negotiations notified --------------------------


def _no_future(day, message, field: str):
    """An act cannot be dated in the future: refused as an error on `field` (the API names it, 422)."""
    if day and day > dates.today():
        raise InvalidDataError(message, {field: [message]})


def _require_start(agreement: Agreement):
    """The steps before the text: a proposal, or a renewal (a new agreement) whose text is not yet agreed."""
    require_status(agreement, Status.PROPOSAL, Status.NEGOTIATION)
    if agreement.text_agreed_on:
        raise InvalidStateError(_("Questo passo precede la negoziazione del testo."))


@transaction.atomic
def qualification_record(*, agreement: Agreement, actor, creates_commitments: bool, reason: str,
                         on_behalf_of=None) -> Agreement:
    """A memorandum, protocollo or lettera d'intenti: the director records whether the text commits the Region
    (L. 131/2003 art. 6 c. 2 speaks of any act, whatever its name). If it does, the full procedure follows."""
    require_role(actor, Role.DIRECTOR, on_behalf_of=on_behalf_of)
    agreement = locked(agreement)
    _require_start(agreement)
    if not agreement.is_light_kind:
        raise InvalidStateError(_("Intese e accordi seguono sempre la procedura completa."))
    if not reason.strip():
        raise ValidationFailed(_("Motivare la qualificazione: quali impegni crea il testo, o perché non ne crea."))
    return write_fields(agreement, actor, "qualification_record",
                        {"binding": bool(creates_commitments), "qualified_on": dates.today(),
                         "qualification_reason": reason.strip()}, on_behalf_of=on_behalf_of)


@transaction.atomic
def assembly_inform_start(*, agreement: Agreement, actor, date: datetime.date, protocol: str, on_behalf_of=None):
    """Statuto art. 13 c. 2: the Giunta informs the Assemblea legislativa from the activation of the procedure."""
    require_role(actor, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    agreement = locked(agreement)
    _require_start(agreement)
    if not protocol.strip():
        raise ValidationFailed(_("Indicare il numero di protocollo."))
    check_date_order((timezone.localdate(agreement.created_at), date,
                      _("L'informativa non può precedere la proposta."), "date"))
    _no_future(date, _("La data dell'informativa non può essere futura."), "date")
    return write_fields(agreement, actor, "assembly_inform_start",
                        {"assembly_informed_on": date, "assembly_informed_protocol": protocol.strip()},
                        on_behalf_of=on_behalf_of)


@transaction.atomic
def negotiation_notice_record(*, agreement: Agreement, actor, date: datetime.date, protocol: str, criteria: str = "",
                              on_behalf_of=None):
    """L. 131/2003 art. 6 c. 3: for an accordo with a State the Foreign Ministry and the DAR are told when
    negotiations start; the criteria the Ministry may give are recorded."""
    require_role(actor, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    agreement = locked(agreement)
    _require_start(agreement)
    if not agreement.needs_full_powers:
        raise InvalidStateError(_("La comunicazione dell'avvio dei negoziati riguarda gli accordi con Stati esteri."))
    if not protocol.strip():
        raise ValidationFailed(_("Indicare il numero di protocollo."))
    _no_future(date, _("La data della comunicazione non può essere futura."), "date")
    return write_fields(agreement, actor, "negotiation_notice_record",
                        {"negotiation_notice_date": date, "negotiation_notice_protocol": protocol.strip(),
                         "negotiation_criteria": criteria.strip()}, on_behalf_of=on_behalf_of)


# --- Negotiation and consultation ---------------------------------------------------------------------------


@transaction.atomic
def text_mark_agreed(*, agreement: Agreement, actor, on_behalf_of=None) -> Agreement:
    """Step 2 ends: the text is agreed with the counterpart and goes to the DGs (or straight to the director)."""
    require_role(actor, Role.DRAFTER, on_behalf_of=on_behalf_of)
    agreement = locked(agreement)
    require_status(agreement, Status.PROPOSAL, Status.NEGOTIATION)
    today = dates.today()
    dgs = list(agreement.dgs.all())
    if not dgs:
        return write_fields(agreement, actor, "text_mark_agreed", {"text_agreed_on": today, "status": Status.APPROVAL},
                            on_behalf_of=on_behalf_of)
    round_ = agreement.consultation_round + 1
    due = today + datetime.timedelta(days=agreement.consultation_days)
    Opinion.objects.bulk_create(Opinion(agreement=agreement, dg=dg, round=round_, due_date=due) for dg in dgs)
    return write_fields(
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
    require_role(actor, Role.DRAFTER, Role.DIRECTOR)
    agreement = locked(agreement)
    require_status(agreement, Status.CONSULTATION)
    if due_date < dates.today():
        raise ValidationFailed(_("La nuova scadenza non può essere nel passato."))
    Opinion.objects.filter(
        agreement=agreement, round=agreement.consultation_round, kind=OpinionKind.PENDING
    ).update(due_date=due_date)
    agreement = write_fields(agreement, actor, "consultation_deadline_set", {}, detail={"due_date": due_date})
    notifications.deadline_moved(agreement=agreement, due_date=due_date, actor=actor)
    return agreement


@transaction.atomic
def opinion_give(*, agreement: Agreement, dg, actor, kind: str, notes: str = "", on_behalf_of=None) -> Opinion:
    """A referent of `dg` gives the DG's opinion in the current round."""
    principal = acting(actor, on_behalf_of)
    if not has_role(principal, Role.ADMIN) and not (
        has_role(principal, Role.DG_REFERENT) and user_dg_id(principal) == dg.pk
    ):
        raise PermissionDeniedError(_("Solo un referente della %(dg)s può esprimere questo parere.") % {"dg": dg})
    if kind not in (OpinionKind.FAVOURABLE, OpinionKind.FAVOURABLE_REMARKS, OpinionKind.UNFAVOURABLE):
        raise ValidationFailed(_("Parere non valido."))
    if kind != OpinionKind.FAVOURABLE and not notes.strip():
        raise ValidationFailed(_("Motivare il parere nelle note."))
    agreement = locked(agreement)
    require_status(agreement, Status.CONSULTATION)
    opinion = Opinion.objects.select_for_update().get(agreement=agreement, dg=dg, round=agreement.consultation_round)
    opinion.agreement, opinion.dg = agreement, dg  # in hand: the notification reads them
    if opinion.kind != OpinionKind.PENDING:
        raise InvalidStateError(_("Il parere della %(dg)s è già stato registrato.") % {"dg": dg})
    opinion.kind, opinion.notes, opinion.given_by = kind, notes.strip(), actor
    opinion.given_at = timezone.now()
    opinion.save(update_fields=["kind", "notes", "given_by", "given_at"])
    audit_record(
        actor=actor, on_behalf_of=on_behalf_of, agreement=agreement, action="opinion_give",
        changes={"opinion": [OpinionKind.PENDING, kind]}, detail={"dg": dg.name, "notes": notes.strip()},
    )
    notifications.opinion_given(opinion=opinion, actor=actor)
    return opinion


@transaction.atomic
def opinions_silent_assent(*, agreement: Agreement) -> list[Opinion]:
    """The deadline passed: every opinion still pending is silent assent, and the director is told."""
    agreement = locked(agreement)
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
    """No opinion of the agreement's current round (as stored, not as `agreement` holds it) is pending."""
    return not Opinion.objects.filter(
        agreement=agreement, round=F("agreement__consultation_round"), kind=OpinionKind.PENDING
    ).exists()


def observations_settled(agreement: Agreement) -> bool:
    """The government's answer (observations, nulla osta, or silence) is recorded, as stored."""
    return Agreement.objects.filter(pk=agreement.pk).exclude(observations_outcome="").exists()


def consultation_unfavourable(agreement: Agreement) -> bool:
    return Opinion.objects.filter(
        agreement=agreement, round=agreement.consultation_round, kind=OpinionKind.UNFAVOURABLE
    ).exists()


@transaction.atomic
def consultation_close(*, agreement: Agreement) -> Agreement:
    """All DGs have answered (or kept silent): back to the text after an unfavourable opinion, else to approval."""
    agreement = locked(agreement)
    require_status(agreement, Status.CONSULTATION)
    target = Status.NEGOTIATION if consultation_unfavourable(agreement) else Status.APPROVAL
    return write_fields(agreement, None, "consultation_close", {"status": target})


# --- Approval ------------------------------------------------------------------------------------------------


class Decision:
    APPROVE = "approve"
    SEND_BACK = "send_back"
    REJECT = "reject"


@transaction.atomic
def agreement_decide(*, agreement: Agreement, actor, decision: str, remarks: str = "", on_behalf_of=None):
    """Step 4: the director approves, sends back with remarks, or rejects. Never the drafter (four-eyes)."""
    require_role(actor, Role.DIRECTOR, on_behalf_of=on_behalf_of)
    agreement = locked(agreement)
    require_status(agreement, Status.APPROVAL)
    principal = acting(actor, on_behalf_of)
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
    return write_fields(agreement, actor, f"agreement_{decision}", values, on_behalf_of=on_behalf_of,
                        detail={"remarks": remarks.strip()})


# --- Giunta, notices and the 30-day wait --------------------------------------------------------------------


def _dgr_checked(dgr_number: str, dgr_date: datetime.date) -> str:
    dgr_number = (dgr_number or "").strip()
    if not DGR_NUMBER.match(dgr_number):
        raise ValidationFailed(_("Numero DGR nel formato numero/anno, per esempio 1234/2022."))
    if int(dgr_number.split("/")[1]) != dgr_date.year:
        raise ValidationFailed(_("L'anno del numero DGR deve coincidere con l'anno della data."))
    return dgr_number


@transaction.atomic
def giunta_record(*, agreement: Agreement, actor, dgr_number: str, dgr_date: datetime.date, on_behalf_of=None):
    """Step 5: the secretariat records the Giunta resolution (DGR) approving the draft."""
    require_role(actor, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    dgr_number = _dgr_checked(dgr_number, dgr_date)
    agreement = locked(agreement)
    require_status(agreement, Status.GIUNTA)
    check_date_order((agreement.approved_on, dgr_date, _("La DGR non può precedere l'approvazione del dirigente."),
                      "dgr_date"))
    _no_future(dgr_date, _("La data della DGR non può essere futura."), "dgr_date")
    return write_fields(agreement, actor, "giunta_record",
                        # A (new) draft starts a new coordination: the answers to an earlier draft do not carry over.
                        {"dgr_number": dgr_number, "dgr_date": dgr_date, "status": Status.NOTIFICATION,
                         "observations_outcome": "", "assembly_observations": "", "outcome_report_date": None,
                         "outcome_report_protocol": ""},
                        on_behalf_of=on_behalf_of)


def _notice_locked(agreement, actor, date, protocol, on_behalf_of) -> Agreement:
    """What both notices (to the government, to the Assembly) check before writing: the secretariat's role, the
    state, a sending date after the DGR and not in the future, a protocol number. Returns the locked agreement."""
    require_role(actor, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    agreement = locked(agreement)
    require_status(agreement, Status.NOTIFICATION)
    check_date_order((agreement.dgr_date, date, _("La notifica non può precedere la DGR."), "date"))
    _no_future(date, _("La data della notifica non può essere futura."), "date")
    if not protocol.strip():
        raise ValidationFailed(_("Indicare il numero di protocollo."))
    return agreement


@transaction.atomic
def notice_government_record(*, agreement: Agreement, actor, date: datetime.date, protocol: str,
                             dar_received_on: datetime.date | None = None,
                             maeci_received_on: datetime.date | None = None, on_behalf_of=None):
    """Step 6a: prior notice to the Presidenza del Consiglio (DAR) and the Ministero degli Affari Esteri, with the
    day each received it (PEC receipt). The 30 days run from the later receipt (dates.observations_start)."""
    agreement = _notice_locked(agreement, actor, date, protocol, on_behalf_of)
    for field, received in (("dar_received_on", dar_received_on), ("maeci_received_on", maeci_received_on)):
        check_date_order((date, received, _("La ricevuta non può precedere l'invio."), field))
        _no_future(received, _("La data di ricevimento non può essere futura."), field)
    return write_fields(agreement, actor, "notice_government_record",
                        {"notice_government_date": date, "notice_government_protocol": protocol.strip(),
                         "notice_dar_received_on": dar_received_on, "notice_maeci_received_on": maeci_received_on,
                         "observations_from": dates.observations_start(date, dar_received_on, maeci_received_on)},
                        on_behalf_of=on_behalf_of)


@transaction.atomic
def notice_assembly_record(*, agreement: Agreement, actor, date: datetime.date, protocol: str, on_behalf_of=None):
    """Step 6b: the draft resolved by the Giunta goes to the Assemblea legislativa with the notice of L. 131/2003
    art. 6 c. 2 (L.R. 16/2008 art. 17 c. 2)."""
    agreement = _notice_locked(agreement, actor, date, protocol, on_behalf_of)
    return write_fields(agreement, actor, "notice_assembly_record",
                        {"notice_assembly_date": date, "notice_assembly_protocol": protocol.strip()},
                        on_behalf_of=on_behalf_of)


@transaction.atomic
def observations_open(*, agreement: Agreement) -> Agreement:
    """Both notices are out: the 30-day wait starts (step 7)."""
    agreement = locked(agreement)
    require_status(agreement, Status.NOTIFICATION)
    return write_fields(agreement, None, "observations_open",
                        {"status": Status.OBSERVATIONS, "observations_outcome": "", "assembly_observations": "",
                         "outcome_report_date": None, "outcome_report_protocol": ""},
                        detail={"last_day": dates.observations_last_day(dates.observations_from(agreement))})


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
    require_role(actor, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    agreement = locked(agreement)
    require_status(agreement, Status.OBSERVATIONS)
    if agreement.observations_outcome:
        raise InvalidStateError(_("L'esito è già registrato."))
    check_date_order((agreement.notice_government_date, date, _("La risposta non può precedere la notifica."), "date"))
    _no_future(date, _("La data non può essere futura."), "date")
    if not agreement.needs_full_powers and (full_powers_date or full_powers_protocol.strip()):
        raise ValidationFailed(_("I pieni poteri si registrano solo per un accordo con uno Stato estero."))
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
            check_date_order((agreement.notice_government_date, full_powers_date,
                               _("I pieni poteri non possono precedere la notifica."), "full_powers_date"))
            _no_future(full_powers_date, _("La data dei pieni poteri non può essere futura."),
                       "full_powers_date")
            values.update(full_powers_date=full_powers_date, full_powers_protocol=full_powers_protocol.strip())
    else:
        raise ValidationFailed(_("Esito non valido."))
    return write_fields(agreement, actor, "observations_record", values, on_behalf_of=on_behalf_of)


@transaction.atomic
def observations_silence(*, agreement: Agreement) -> Agreement:
    """Thirty days passed without observations (never for an accordo: art. 6 c. 3 wants full powers)."""
    agreement = locked(agreement)
    require_status(agreement, Status.OBSERVATIONS)
    if agreement.observations_outcome or agreement.needs_full_powers:
        return agreement
    return write_fields(agreement, None, "observations_silence", {"observations_outcome": ObservationsOutcome.SILENCE})


@transaction.atomic
def outcome_report_record(*, agreement: Agreement, actor, date: datetime.date, protocol: str, on_behalf_of=None):
    """L.R. 16/2008 art. 17 c. 2: the outcome of the coordination with the State (silence, nulla osta or
    observations, and the measures taken) is communicated to the Assemblea legislativa."""
    require_role(actor, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    agreement = locked(agreement)
    require_status(agreement, Status.OBSERVATIONS)
    if not agreement.observations_outcome:
        raise InvalidStateError(_("L'esito del coordinamento con lo Stato non è ancora noto."))
    if not protocol.strip():
        raise ValidationFailed(_("Indicare il numero di protocollo."))
    check_date_order((agreement.observations_date or agreement.notice_government_date, date,
                      _("La comunicazione non può precedere l'esito."), "date"))
    _no_future(date, _("La data della comunicazione non può essere futura."), "date")
    return write_fields(agreement, actor, "outcome_report_record",
                        {"outcome_report_date": date, "outcome_report_protocol": protocol.strip()},
                        on_behalf_of=on_behalf_of, detail={"outcome": agreement.observations_outcome})


@transaction.atomic
def assembly_observations_record(*, agreement: Agreement, actor, outcome: str, date: datetime.date | None = None,
                                 act: str = "", text: str = "", on_behalf_of=None):
    """L.R. 16/2008 art. 17 c. 2: the Assembly may formulate observations on the draft. Observations that ask for
    changes send the text back to negotiation, like the government's."""
    require_role(actor, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    agreement = locked(agreement)
    require_status(agreement, Status.OBSERVATIONS)
    if agreement.assembly_observations:
        raise InvalidStateError(_("Le osservazioni dell'Assemblea sono già registrate."))
    if outcome not in (AssemblyObservations.NONE, AssemblyObservations.REMARKS, AssemblyObservations.CHANGES):
        raise ValidationFailed(_("Esito non valido."))
    values = {"assembly_observations": outcome, "assembly_observations_date": None,
              "assembly_observations_act": "", "assembly_observations_text": ""}
    if outcome != AssemblyObservations.NONE:
        if not date or not act.strip() or not text.strip():
            raise ValidationFailed(_("Indicare data, atto e testo delle osservazioni dell'Assemblea."))
        check_date_order((agreement.notice_assembly_date, date,
                          _("Le osservazioni non possono precedere la trasmissione del progetto."), "date"))
        _no_future(date, _("La data delle osservazioni non può essere futura."), "date")
        values.update(assembly_observations_date=date, assembly_observations_act=act.strip(),
                      assembly_observations_text=text.strip())
    return write_fields(agreement, actor, "assembly_observations_record", values, on_behalf_of=on_behalf_of)


def text_sent_back(agreement: Agreement) -> bool:
    """The government's observations, or the Assembly's asking for changes, send the text back."""
    return (agreement.observations_outcome == ObservationsOutcome.OBSERVATIONS
            or agreement.assembly_observations == AssemblyObservations.CHANGES)


@transaction.atomic
def observations_close(*, agreement: Agreement) -> Agreement:
    agreement = locked(agreement)
    require_status(agreement, Status.OBSERVATIONS)
    values = {"status": Status.NEGOTIATION if text_sent_back(agreement) else Status.FINAL_APPROVAL}
    return write_fields(agreement, None, "observations_close", values)


@transaction.atomic
def final_approval_record(*, agreement: Agreement, actor, dgr_number: str, dgr_date: datetime.date,
                          on_behalf_of=None) -> Agreement:
    """L.R. 16/2008 art. 17 c. 3: after the coordination with the State, the Giunta approves the intesa for good
    (a second DGR) before it is signed."""
    require_role(actor, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    dgr_number = _dgr_checked(dgr_number, dgr_date)
    agreement = locked(agreement)
    require_status(agreement, Status.FINAL_APPROVAL)
    if dgr_number == agreement.dgr_number:
        raise ValidationFailed(_("L'approvazione definitiva è una nuova delibera: il numero non può essere quello "
                                 "della DGR sul progetto."))
    check_date_order(
        (agreement.dgr_date, dgr_date, _("L'approvazione definitiva non può precedere la DGR sul progetto."),
         "dgr_date"),
        (agreement.observations_date or agreement.notice_government_date, dgr_date,
         _("L'approvazione definitiva non può precedere l'esito del coordinamento con lo Stato."), "dgr_date"),
    )
    _no_future(dgr_date, _("La data della DGR non può essere futura."), "dgr_date")
    return write_fields(agreement, actor, "final_approval_record",
                        {"final_dgr_number": dgr_number, "final_dgr_date": dgr_date, "status": Status.SIGNATURE},
                        on_behalf_of=on_behalf_of)


# --- Signature, ratification, publication -------------------------------------------------------------------


def earliest_signature_date(agreement: Agreement) -> datetime.date | None:
    """Signature may not come before the end of the 30-day wait (counted from the later receipt of the notice),
    unless a nulla osta came first; never before the final approval of the Giunta."""
    if not agreement.is_binding:
        return agreement.approved_on
    candidates = [agreement.final_dgr_date]
    if agreement.observations_outcome == ObservationsOutcome.NULLA_OSTA and agreement.observations_date:
        candidates += [agreement.observations_date, agreement.full_powers_date]
    elif dates.observations_from(agreement):
        last_day = dates.observations_last_day(dates.observations_from(agreement))
        candidates.append(last_day + datetime.timedelta(days=1))
    candidates = [day for day in candidates if day]
    return max(candidates) if candidates else None


def _end_date(agreement: Agreement, entry_into_force: datetime.date):
    return dates.end_date(entry_into_force, agreement.duration_months) if agreement.duration_months else None


def _signatory_checked(agreement, office, name, delegation_act, delegation_date, date):
    """L.R. 16/2008 art. 17 c. 3 and Statuto art. 13 c. 2: the President of the Region, or an assessore the
    President delegated (with the act of delegation)."""
    if not agreement.is_binding and not office:
        return {}
    if office == SignatoryOffice.OTHER or office not in (SignatoryOffice.PRESIDENT, SignatoryOffice.ASSESSORE):
        raise ValidationFailed(
            _("Per la Regione firmano solo il Presidente della Regione o l'assessore da lui delegato "
              "(L.R. 16/2008 art. 17 c. 3, Statuto art. 13 c. 2).")
        )
    if not (name or "").strip():
        raise ValidationFailed(_("Indicare il nome del firmatario della Regione."))
    values = {"region_signatory_office": office, "region_signatory_name": name.strip(), "delegation_act": "",
              "delegation_date": None}
    if office == SignatoryOffice.ASSESSORE:
        if not (delegation_act or "").strip() or not delegation_date:
            raise ValidationFailed(_("Per un assessore indicare l'atto di delega del Presidente (numero e data)."))
        check_date_order((delegation_date, date, _("La delega non può essere successiva alla firma."),
                          "delegation_date"))
        values.update(delegation_act=delegation_act.strip(), delegation_date=delegation_date)
    return values


def _entered_into_force(agreement: Agreement, actor, on_behalf_of=None):
    """A renewal in force ends the agreement it renews."""
    if agreement.renews_id:
        old = locked(agreement.renews)
        if old.status == Status.IN_FORCE:
            write_fields(old, actor, "agreement_renewed", {"status": Status.RENEWED},
                         detail={"renewed_by": agreement.reference}, on_behalf_of=on_behalf_of)


@transaction.atomic
def signature_record(
    *, agreement: Agreement, actor, place: str, date: datetime.date, signatories=None,
    region_signatory_office: str = "", region_signatory_name: str = "", delegation_act: str = "",
    delegation_date: datetime.date | None = None, on_behalf_of=None,
):
    """Step 8. A text without commitments enters into force when signed (no ratification, no BURERT); a binding
    one, approved for good by the Giunta, goes to the Assembly for ratification."""
    require_role(actor, Role.DRAFTER, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    agreement = locked(agreement)
    require_status(agreement, Status.SIGNATURE)
    if agreement.is_binding and not agreement.final_dgr_date:
        raise InvalidStateError(
            _("Firma bloccata: manca l'approvazione definitiva della Giunta (L.R. 16/2008 art. 17 c. 3).")
        )
    if agreement.needs_full_powers and not agreement.full_powers_date:
        raise InvalidStateError(
            _("Firma bloccata: mancano i pieni poteri del Ministero degli Affari Esteri (L. 131/2003 art. 6 c. 3).")
        )
    if not place.strip():
        raise ValidationFailed(_("Indicare il luogo di firma."))
    earliest = earliest_signature_date(agreement)
    if earliest and date < earliest:
        raise ValidationFailed(
            _("La firma non può precedere il %(day)s (fine dell'attesa di 30 giorni, nulla osta o approvazione "
              "definitiva).")
            % {"day": earliest.strftime("%d/%m/%Y")}, field="date",
        )
    _no_future(date, _("La data di firma non può essere futura."), "date")
    values = {"signature_place": place.strip(), "signed_on": date}
    values.update(_signatory_checked(agreement, region_signatory_office, region_signatory_name, delegation_act,
                                     delegation_date, date))
    if signatories is not None:
        Signatory.objects.filter(agreement=agreement).delete()
        Signatory.objects.bulk_create(
            Signatory(agreement=agreement, side=s["side"], name=s["name"], role=s["role"], order=i)
            for i, s in enumerate(signatories)
        )
    if agreement.is_binding:
        values["status"] = Status.RATIFICATION
    else:
        values.update(status=Status.IN_FORCE, entry_into_force=date, end_date=_end_date(agreement, date))
    agreement = write_fields(agreement, actor, "signature_record", values, on_behalf_of=on_behalf_of)
    if not agreement.is_binding:
        _entered_into_force(agreement, actor, on_behalf_of)
    return agreement


@transaction.atomic
def ratification_record(
    *,
    agreement: Agreement,
    actor,
    transmission_date: datetime.date,
    information_attached: bool,
    committee_opinion_date: datetime.date | None,
    form: str,
    act: str,
    date: datetime.date,
    on_behalf_of=None,
):
    """Step 9 (L.R. 16/2008 art. 17 c. 3-4, Statuto art. 13 c. 2): the Giunta sends the signed text to the Assembly
    with the information of art. 15 c. 2; the Assembly ratifies by resolution, or by regional law when the intesa
    changes regional laws. The intesa is in force from the ratification date; publication follows."""
    require_role(actor, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    agreement = locked(agreement)
    require_status(agreement, Status.RATIFICATION)
    if not information_attached:
        raise ValidationFailed(
            _("La trasmissione per la ratifica deve contenere le informazioni dell'art. 15 c. 2 lett. d), e), g) "
              "della L.R. 16/2008.")
        )
    if form not in (RatificationForm.RESOLUTION, RatificationForm.LAW):
        raise ValidationFailed(_("Indicare se la ratifica è avvenuta con delibera o con legge regionale."))
    if not act.strip():
        raise ValidationFailed(_("Indicare l'atto di ratifica."))
    check_date_order(
        (agreement.signed_on, transmission_date, _("La trasmissione all'Assemblea non può precedere la firma."),
         "transmission_date"),
        (transmission_date, committee_opinion_date, _("Il parere di commissione non può precedere la trasmissione."),
         "committee_opinion_date"),
        (committee_opinion_date or transmission_date, date, _("La ratifica non può precedere il parere."), "date"),
    )
    _no_future(date, _("La data di ratifica non può essere futura."), "date")
    agreement = write_fields(
        agreement,
        actor,
        "ratification_record",
        {
            "assembly_transmission_date": transmission_date,
            "assembly_committee_opinion_date": committee_opinion_date,
            "ratification_form": form,
            "ratification_act": act.strip(),
            "ratification_date": date,
            "entry_into_force": date,
            "end_date": _end_date(agreement, date),
            "status": Status.IN_FORCE,
        },
        on_behalf_of=on_behalf_of,
    )
    _entered_into_force(agreement, actor, on_behalf_of)
    return agreement


@transaction.atomic
def publication_record(*, agreement: Agreement, actor, burert_reference: str, published_on: datetime.date,
                       with_ratification_act: bool = False, on_behalf_of=None):
    """Step 10 (L.R. 16/2008 art. 17 c. 5): the text is published in the BURERT together with the ratification
    act. The agreement is already in force (from ratification): publication does not change that."""
    require_role(actor, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    agreement = locked(agreement)
    require_status(agreement, Status.IN_FORCE)
    if not agreement.ratification_date:
        raise InvalidStateError(_("Si pubblica nel BURERT solo un'intesa ratificata."))
    if agreement.published_on:
        raise InvalidStateError(_("La pubblicazione è già registrata."))
    if not burert_reference.strip():
        raise ValidationFailed(_("Indicare il riferimento BURERT."))
    if not with_ratification_act:
        raise ValidationFailed(_("Il testo si pubblica nel BURERT insieme all'atto di ratifica "
                                 "(L.R. 16/2008 art. 17 c. 5)."))
    check_date_order((agreement.ratification_date, published_on,
                      _("La pubblicazione non può precedere la ratifica."), "published_on"))
    _no_future(published_on, _("La data di pubblicazione non può essere futura."), "published_on")
    return write_fields(agreement, actor, "publication_record",
                        {"burert_reference": burert_reference.strip(), "published_on": published_on},
                        on_behalf_of=on_behalf_of, detail={"ratification_act": agreement.ratification_act})


def publication_reference(agreement: Agreement) -> str:
    """The publication names both: the text of the intesa and the ratification act."""
    if not agreement.burert_reference:
        return ""
    return _("%(burert)s: testo e atto di ratifica %(act)s") % {"burert": agreement.burert_reference,
                                                                 "act": agreement.ratification_act}


# --- Notifications -------------------------------------------------------------------------------------------


def _notify(agreement: Agreement, *, key: str, users, subject: str, text: str):
    """Queue an e-mail in the outbox, in the caller's transaction (sent by the relay after commit)."""
    to = sorted({u.email for u in users if u is not None and u.email})
    if to:
        outbox_enqueue(key=key, to=to, subject=subject, text=text, html="", agreement=agreement)
