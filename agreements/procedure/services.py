"""The steps of the procedure: one function each, one transaction, one audit event naming the actor.

The flow (workflows/flows.py) calls them from its tasks and completes the task in the same transaction; they know
nothing of Viewflow. `on_behalf_of` is the absent user a deputy acts for; the principal's roles then count.
"""

import datetime

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.common import dates
from agreements.common.audit import audit_record
from agreements.common.errors import InvalidStateError, PermissionDeniedError
from agreements.common.errors import ServiceError as ValidationFailed
from agreements.common.guards import acting, require_role
from agreements.common.roles import Role, has_role, user_dg_id
from agreements.models import Agreement, Opinion, OpinionKind, Signatory, Status
from agreements.models.agreement import ObservationsOutcome
from agreements.notifications import services as notifications
from agreements.outbox.services import outbox_enqueue
from agreements.records.services import DGR_NUMBER, check_date_order, locked, require_status, write_fields

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


@transaction.atomic
def giunta_record(*, agreement: Agreement, actor, dgr_number: str, dgr_date: datetime.date, on_behalf_of=None):
    """Step 5: the secretariat records the Giunta resolution (DGR) approving the draft."""
    require_role(actor, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    dgr_number = (dgr_number or "").strip()
    if not DGR_NUMBER.match(dgr_number):
        raise ValidationFailed(_("Numero DGR nel formato numero/anno, per esempio 1234/2022."))
    if int(dgr_number.split("/")[1]) != dgr_date.year:
        raise ValidationFailed(_("L'anno del numero DGR deve coincidere con l'anno della data."))
    agreement = locked(agreement)
    require_status(agreement, Status.GIUNTA)
    check_date_order((agreement.approved_on, dgr_date, _("La DGR non può precedere l'approvazione del dirigente.")))
    if dgr_date > dates.today():
        raise ValidationFailed(_("La data della DGR non può essere futura."))
    return write_fields(agreement, actor, "giunta_record",
                        {"dgr_number": dgr_number, "dgr_date": dgr_date, "status": Status.NOTIFICATION},
                        on_behalf_of=on_behalf_of)


def _notice_checks(agreement, date):
    check_date_order((agreement.dgr_date, date, _("La notifica non può precedere la DGR.")))
    if date > dates.today():
        raise ValidationFailed(_("La data della notifica non può essere futura."))


@transaction.atomic
def notice_government_record(*, agreement: Agreement, actor, date: datetime.date, protocol: str, on_behalf_of=None):
    """Step 6a: prior notice to the Presidenza del Consiglio (DAR) and the Ministero degli Affari Esteri."""
    require_role(actor, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    agreement = locked(agreement)
    require_status(agreement, Status.NOTIFICATION)
    _notice_checks(agreement, date)
    if not protocol.strip():
        raise ValidationFailed(_("Indicare il numero di protocollo."))
    return write_fields(agreement, actor, "notice_government_record",
                        {"notice_government_date": date, "notice_government_protocol": protocol.strip()},
                        on_behalf_of=on_behalf_of)


@transaction.atomic
def notice_assembly_record(*, agreement: Agreement, actor, date: datetime.date, protocol: str, on_behalf_of=None):
    """Step 6b: the informativa to the Assemblea legislativa."""
    require_role(actor, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    agreement = locked(agreement)
    require_status(agreement, Status.NOTIFICATION)
    _notice_checks(agreement, date)
    if not protocol.strip():
        raise ValidationFailed(_("Indicare il numero di protocollo."))
    return write_fields(agreement, actor, "notice_assembly_record",
                        {"notice_assembly_date": date, "notice_assembly_protocol": protocol.strip()},
                        on_behalf_of=on_behalf_of)


@transaction.atomic
def observations_open(*, agreement: Agreement) -> Agreement:
    """Both notices are out: the 30-day wait starts (step 7)."""
    agreement = locked(agreement)
    require_status(agreement, Status.NOTIFICATION)
    return write_fields(agreement, None, "observations_open",
                        {"status": Status.OBSERVATIONS, "observations_outcome": ""},
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
    require_role(actor, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    agreement = locked(agreement)
    require_status(agreement, Status.OBSERVATIONS)
    if agreement.observations_outcome:
        raise InvalidStateError(_("L'esito è già registrato."))
    check_date_order((agreement.notice_government_date, date, _("La risposta non può precedere la notifica.")))
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
            check_date_order((agreement.notice_government_date, full_powers_date,
                               _("I pieni poteri non possono precedere la notifica.")))
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
def observations_close(*, agreement: Agreement) -> Agreement:
    agreement = locked(agreement)
    require_status(agreement, Status.OBSERVATIONS)
    if agreement.observations_outcome == ObservationsOutcome.OBSERVATIONS:
        values = {"status": Status.NEGOTIATION}
    else:
        values = {"status": Status.SIGNATURE}
    return write_fields(agreement, None, "observations_close", values)


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
    return entry_into_force + relativedelta(months=agreement.duration_months) if agreement.duration_months else None


@transaction.atomic
def signature_record(
    *, agreement: Agreement, actor, place: str, date: datetime.date, signatories=None, on_behalf_of=None
):
    """Step 8. A non-binding text enters into force when signed; a binding one goes to the Assembly."""
    require_role(actor, Role.DRAFTER, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    agreement = locked(agreement)
    require_status(agreement, Status.SIGNATURE)
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
    return write_fields(agreement, actor, "signature_record", values, on_behalf_of=on_behalf_of)


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
    require_role(actor, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    agreement = locked(agreement)
    require_status(agreement, Status.RATIFICATION)
    if not act.strip():
        raise ValidationFailed(_("Indicare l'atto di ratifica."))
    check_date_order(
        (agreement.signed_on, transmission_date, _("La trasmissione all'Assemblea non può precedere la firma.")),
        (transmission_date, committee_opinion_date, _("Il parere di commissione non può precedere la trasmissione.")),
        (committee_opinion_date or transmission_date, date, _("La ratifica non può precedere il parere.")),
        (date, entry_into_force, _("L'entrata in vigore non può precedere la ratifica.")),
    )
    if date > dates.today():
        raise ValidationFailed(_("La data di ratifica non può essere futura."))
    eif = entry_into_force or date
    return write_fields(
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
    require_role(actor, Role.SECRETARIAT, on_behalf_of=on_behalf_of)
    agreement = locked(agreement)
    require_status(agreement, Status.PUBLICATION)
    if not burert_reference.strip():
        raise ValidationFailed(_("Indicare il riferimento BURERT."))
    check_date_order((agreement.signed_on, published_on, _("La pubblicazione non può precedere la firma.")))
    if published_on > dates.today():
        raise ValidationFailed(_("La data di pubblicazione non può essere futura."))
    agreement = write_fields(agreement, actor, "publication_record",
                             {"burert_reference": burert_reference.strip(), "published_on": published_on,
                      "status": Status.IN_FORCE}, on_behalf_of=on_behalf_of)
    if agreement.renews_id:
        old = locked(agreement.renews)
        if old.status == Status.IN_FORCE:
            write_fields(old, actor, "agreement_renewed", {"status": Status.RENEWED},
                         detail={"renewed_by": agreement.reference})
    return agreement


# --- Notifications -------------------------------------------------------------------------------------------


def _notify(agreement: Agreement, *, key: str, users, subject: str, text: str):
    """Queue an e-mail in the outbox, in the caller's transaction (sent by the relay after commit)."""
    to = sorted({u.email for u in users if u is not None and u.email})
    if to:
        outbox_enqueue(key=key, to=to, subject=subject, text=text, html="", agreement=agreement)
