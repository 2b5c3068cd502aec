"""The lifecycle end to end through the Viewflow flow, on PostgreSQL: every branch of the procedure."""

import datetime

import pytest
import time_machine
from django.utils import timezone
from viewflow.workflow.status import STATUS

from agreements.common.errors import InvalidStateError, PermissionDeniedError, ServiceError
from agreements.models import AgreementKind, AuditEvent, CounterpartType, Opinion, OpinionKind, Status
from agreements.procedure.services import Decision
from tests.support.factories import CounterpartFactory
from tests.support.lifecycle import (
    PRESIDENT,
    complete,
    open_steps,
    open_tasks,
    task_of,
    through_coordination,
    through_start,
)
from workflows import completion
from workflows import services as wf
from workflows.models import AgreementProcess

pytestmark = pytest.mark.django_db
START = datetime.datetime(2026, 1, 12, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def days(n):
    return datetime.timedelta(days=n)


def propose(drafter, director, dgs=(), kind=AgreementKind.INTESA, counterpart=None, start=True, **extra):
    """A proposal, carried (unless start=False) through the steps before the text: qualification of a light kind
    (as binding as `binding` says), initial informativa to the Assembly, notice of negotiations for an accordo."""
    agreement = wf.proposal_start(
        actor=drafter, title="Intesa con la Nouvelle-Aquitaine", kind=kind,
        counterpart=counterpart or CounterpartFactory(name="Région Nouvelle-Aquitaine"),
        dgs=list(dgs), director=director, duration_months=36, **extra,
    )
    if start:
        through_start(agreement, director, creates_commitments=extra.get("binding", True))
    return agreement


def through_giunta(agreement, drafter, director, secretariat, referents):
    complete(agreement, "negotiate", drafter, confirm=True)
    for dg, referent in referents:
        complete(agreement, "consult_dg", referent, dg=dg, kind=OpinionKind.FAVOURABLE, notes="")
    complete(agreement, "approve", director, decision=Decision.APPROVE, remarks="")
    return complete(agreement, "giunta", secretariat, dgr_number="57/2026", dgr_date=timezone.localdate())


def notices(agreement, secretariat, dar_received_on=None, maeci_received_on=None):
    today = timezone.localdate()
    complete(agreement, "notify_government", secretariat, date=today, protocol="PG/2026/001",
             dar_received_on=dar_received_on or today, maeci_received_on=maeci_received_on or today)
    return complete(agreement, "transmit_assembly", secretariat, date=today, protocol="AL/2026/002")


def sign(agreement, user, place="Bordeaux", **signatory):
    return complete(agreement, "sign", user, place=place, date=timezone.localdate(), **(signatory or PRESIDENT))


def ratify(agreement, secretariat, form="resolution", act="Delibera AL 12/2026"):
    today = timezone.localdate()
    return complete(agreement, "ratify", secretariat, transmission_date=today, information_attached=True,
                    committee_opinion_date=None, form=form, act=act, date=today)


def test_intesa_runs_from_proposal_to_in_force_with_silence_after_30_days(
    clock, drafter, director, secretariat, dg_agri, dg_crli, referent_agri, referent_crli
):
    agreement = propose(drafter, director, dgs=[dg_agri, dg_crli], start=False)
    assert agreement.reference == "INT-2026-001"
    # Statuto art. 13 c. 2: the Assembly is informed from the activation, before any DG sees the text.
    assert open_steps(agreement) == ["inform_assembly_start"]
    with pytest.raises(PermissionDeniedError):  # the drafter does not hold the secretariat's task
        complete(agreement, "inform_assembly_start", drafter, date=timezone.localdate(), protocol="AL/1")
    agreement = complete(agreement, "inform_assembly_start", secretariat, date=timezone.localdate(),
                         protocol="AL/2026/001")
    assert agreement.assembly_informed_on == timezone.localdate()
    assert open_steps(agreement) == ["negotiate"]
    assert task_of(agreement, "negotiate").owner == drafter

    agreement = complete(agreement, "negotiate", drafter, confirm=True)
    assert agreement.status == Status.CONSULTATION
    assert open_steps(agreement) == ["consult_dg", "consult_dg"]
    assert {t.data["dg"] for t in open_tasks(agreement)} == {dg_agri.pk, dg_crli.pk}

    complete(agreement, "consult_dg", referent_agri, dg=dg_agri, kind=OpinionKind.FAVOURABLE, notes="")
    assert open_steps(agreement) == ["consult_dg"]
    agreement = complete(agreement, "consult_dg", referent_crli, dg=dg_crli,
                         kind=OpinionKind.FAVOURABLE_REMARKS, notes="Citare il programma Interreg.")
    assert agreement.status == Status.APPROVAL
    assert open_steps(agreement) == ["approve"]
    # The consultation timer was cancelled by the join: nothing is left scheduled.
    process = AgreementProcess.objects.get(agreement=agreement)
    assert not process.task_set.filter(status=STATUS.SCHEDULED).exists()

    agreement = complete(agreement, "approve", director, decision=Decision.APPROVE, remarks="")
    assert agreement.status == Status.GIUNTA
    agreement = complete(agreement, "giunta", secretariat, dgr_number="57/2026", dgr_date=timezone.localdate())
    assert open_steps(agreement) == ["notify_government", "transmit_assembly"]
    agreement = notices(agreement, secretariat)
    assert agreement.status == Status.OBSERVATIONS
    assert open_steps(agreement) == ["record_observations"]

    # Day 30 after the notice: still waiting; signature is not possible.
    clock.move_to(START + days(30))
    assert wf.timers_fire_due() == 0
    assert open_steps(agreement) == ["record_observations"]
    # Day 31: the 30-day wait ended by itself; the timer fires once however often the beat calls.
    clock.move_to(START + days(31))
    assert wf.timers_fire_due() == 1
    assert wf.timers_fire_due() == 0
    agreement.refresh_from_db()
    assert agreement.observations_outcome == "silence"
    # L.R. 16/2008 art. 17 c. 2-3: the outcome goes to the Assembly, its observations are recorded, then the
    # Giunta approves for good; only then the signature.
    assert open_steps(agreement) == ["report_outcome"]
    complete(agreement, "report_outcome", secretariat, date=timezone.localdate(), protocol="AL/2026/003")
    complete(agreement, "assembly_observations", secretariat, outcome="remarks", date=timezone.localdate(),
             act="Risoluzione AL 4/2026", text="Coinvolgere le università.")
    agreement.refresh_from_db()
    assert agreement.status == Status.FINAL_APPROVAL
    assert open_steps(agreement) == ["final_approval"]
    agreement = complete(agreement, "final_approval", secretariat, dgr_number="80/2026", dgr_date=timezone.localdate())
    assert (agreement.final_dgr_number, agreement.dgr_number) == ("80/2026", "57/2026")
    assert open_steps(agreement) == ["sign"]

    agreement = sign(agreement, drafter)
    assert agreement.status == Status.RATIFICATION
    assert agreement.region_signatory_office == "president"
    ratified = timezone.localdate()
    agreement = ratify(agreement, secretariat)
    # Statuto art. 13 c. 2: in force from the ratification date, before and whatever the publication.
    assert agreement.status == Status.IN_FORCE
    assert agreement.entry_into_force == ratified
    assert agreement.end_date == datetime.date(2029, 2, 12)
    assert open_steps(agreement) == ["publish"]
    clock.move_to(START + days(40))
    agreement = complete(agreement, "publish", secretariat, burert_reference="BURERT n. 45",
                         published_on=timezone.localdate(), with_ratification_act=True)
    assert agreement.status == Status.IN_FORCE
    assert agreement.entry_into_force == ratified  # publication did not move it
    assert open_steps(agreement) == []
    assert AgreementProcess.objects.get(agreement=agreement).status == STATUS.DONE

    # Every step left an audit event naming who acted; the system steps name nobody.
    events = AuditEvent.objects.filter(agreement=agreement).order_by("pk")
    actions = list(events.values_list("action", "actor__username"))
    assert ("agreement_create", "redattore") in actions
    assert ("agreement_approve", "dirigente") in actions
    assert ("observations_silence", None) in actions
    assert ("assembly_inform_start", "segreteria") in actions
    assert ("final_approval_record", "segreteria") in actions
    assert ("publication_record", "segreteria") in actions


def test_silent_assent_at_the_consultation_deadline_notifies_the_director(
    clock, drafter, director, dg_agri, dg_crli, referent_agri, referent_crli
):
    from agreements.models import OutboxMessage

    agreement = propose(drafter, director, dgs=[dg_agri, dg_crli])
    complete(agreement, "negotiate", drafter, confirm=True)
    complete(agreement, "consult_dg", referent_agri, dg=dg_agri, kind=OpinionKind.FAVOURABLE, notes="")

    clock.move_to(START + days(15))  # the deadline day itself: DG CRLI may still answer
    assert wf.timers_fire_due() == 0
    clock.move_to(START + days(16))
    assert wf.timers_fire_due() == 1
    opinion = Opinion.objects.get(agreement=agreement, dg=dg_crli)
    assert opinion.kind == OpinionKind.SILENT_ASSENT
    assert open_steps(agreement) == ["approve"]
    message = OutboxMessage.objects.get(agreement=agreement, message_id__startswith="<silent-assent-")
    assert message.to == [director.email]
    assert "silenzio" in message.subject.lower()


def test_unfavourable_opinion_sends_the_text_back_and_a_new_round_starts(
    clock, drafter, director, dg_agri, dg_crli, referent_agri, referent_crli
):
    agreement = propose(drafter, director, dgs=[dg_agri, dg_crli])
    complete(agreement, "negotiate", drafter, confirm=True)
    complete(agreement, "consult_dg", referent_agri, dg=dg_agri, kind=OpinionKind.UNFAVOURABLE,
             notes="Art. 5 in contrasto con il PSR.")
    agreement = complete(agreement, "consult_dg", referent_crli, dg=dg_crli, kind=OpinionKind.FAVOURABLE, notes="")
    assert agreement.status == Status.NEGOTIATION
    assert open_steps(agreement) == ["negotiate"]
    agreement = complete(agreement, "negotiate", drafter, confirm=True)
    assert agreement.consultation_round == 2
    assert Opinion.objects.filter(agreement=agreement, round=2, kind=OpinionKind.PENDING).count() == 2


def test_director_sends_back_then_rejects(clock, drafter, director):
    agreement = propose(drafter, director, kind=AgreementKind.MEMORANDUM, binding=False)
    complete(agreement, "negotiate", drafter, confirm=True)  # no DGs: straight to the director
    agreement = complete(agreement, "approve", director, decision=Decision.SEND_BACK, remarks="Rivedere l'art. 3.")
    assert open_steps(agreement) == ["negotiate"]
    complete(agreement, "negotiate", drafter, confirm=True)
    with pytest.raises(ServiceError):
        complete(agreement, "approve", director, decision=Decision.REJECT, remarks="")  # a reason is required
    agreement = complete(agreement, "approve", director, decision=Decision.REJECT, remarks="Non prioritario.")
    assert agreement.status == Status.REJECTED
    assert open_steps(agreement) == []


def test_memorandum_without_commitments_takes_the_light_path_and_needs_no_burert(clock, drafter, director):
    agreement = propose(drafter, director, kind=AgreementKind.MEMORANDUM, binding=False)
    assert agreement.qualified_on == timezone.localdate() and not agreement.binding
    complete(agreement, "negotiate", drafter, confirm=True)
    agreement = complete(agreement, "approve", director, decision=Decision.APPROVE, remarks="")
    assert open_steps(agreement) == ["sign"]
    agreement = complete(agreement, "sign", drafter, place="Bologna", date=timezone.localdate())
    assert agreement.status == Status.IN_FORCE
    assert agreement.entry_into_force == timezone.localdate()
    assert open_steps(agreement) == []  # no BURERT reference asked
    assert AgreementProcess.objects.get(agreement=agreement).status == STATUS.DONE


def test_observations_from_the_government_send_the_text_back(
    clock, drafter, director, secretariat, dg_agri, referent_agri
):
    agreement = propose(drafter, director, dgs=[dg_agri])
    through_giunta(agreement, drafter, director, secretariat, [(dg_agri, referent_agri)])
    notices(agreement, secretariat)
    clock.move_to(START + days(10))
    agreement = complete(agreement, "record_observations", secretariat, outcome="observations",
                         date=timezone.localdate(), text="Riformulare l'art. 7.", full_powers_date=None,
                         full_powers_protocol="")
    # The outcome, observations included, is communicated to the Assembly; then the text goes back.
    assert open_steps(agreement) == ["report_outcome"]
    agreement = complete(agreement, "report_outcome", secretariat, date=timezone.localdate(), protocol="AL/9")
    assert agreement.status == Status.NEGOTIATION
    assert open_steps(agreement) == ["negotiate"]
    clock.move_to(START + days(40))
    assert wf.timers_fire_due() == 0  # the 30-day timer was cancelled with the branch


def test_nulla_osta_lets_signature_come_before_30_days(clock, drafter, director, secretariat):
    agreement = propose(drafter, director)
    through_giunta(agreement, drafter, director, secretariat, [])
    notices(agreement, secretariat)
    clock.move_to(START + days(5))
    agreement = complete(agreement, "record_observations", secretariat, outcome="nulla_osta",
                         date=timezone.localdate(), text="", full_powers_date=None, full_powers_protocol="")
    agreement = through_coordination(agreement, secretariat)
    assert open_steps(agreement) == ["sign"]
    agreement = sign(agreement, drafter, place="Bologna")
    assert agreement.status == Status.RATIFICATION


def test_accordo_with_a_state_cannot_be_signed_without_full_powers(clock, drafter, director, secretariat):
    state = CounterpartFactory(name="Repubblica di Moldova", country="Moldova", type=CounterpartType.STATE)
    agreement = propose(drafter, director, kind=AgreementKind.ACCORDO, counterpart=state)
    through_giunta(agreement, drafter, director, secretariat, [])
    notices(agreement, secretariat)
    # No silence for an accordo: 60 days pass and nothing fires.
    clock.move_to(START + days(60))
    assert wf.timers_fire_due() == 0
    assert open_steps(agreement) == ["record_observations"]
    with pytest.raises(ServiceError, match="pieni poteri"):
        complete(agreement, "record_observations", secretariat, outcome="nulla_osta", date=timezone.localdate(),
                 text="", full_powers_date=None, full_powers_protocol="")
    assert open_steps(agreement) == ["record_observations"]  # the refusal changed nothing
    agreement = complete(agreement, "record_observations", secretariat, outcome="nulla_osta",
                         date=timezone.localdate(), text="", full_powers_date=timezone.localdate(),
                         full_powers_protocol="MAECI/2026/77")
    through_coordination(agreement, secretariat)
    agreement = sign(agreement, drafter, place="Chișinău")
    assert agreement.status == Status.RATIFICATION


def test_four_eyes_the_drafter_cannot_approve_even_as_director(clock, drafter, director, nogroup_user):
    from django.contrib.auth.models import Group

    from agreements.common.roles import Role

    drafter.groups.add(Group.objects.get(name=Role.DIRECTOR))
    agreement = propose(drafter, director)
    complete(agreement, "negotiate", drafter, confirm=True)
    with pytest.raises(PermissionDeniedError):
        complete(agreement, "approve", drafter, decision=Decision.APPROVE, remarks="")
    with pytest.raises(PermissionDeniedError):
        complete(agreement, "approve", nogroup_user, decision=Decision.APPROVE, remarks="")
    assert open_steps(agreement) == ["approve"]
    assert not AuditEvent.objects.filter(agreement=agreement, action="agreement_approve").exists()


def test_referent_of_another_dg_cannot_give_the_opinion(clock, drafter, director, dg_agri, referent_agri,
                                                         referent_crli):
    agreement = propose(drafter, director, dgs=[dg_agri])
    complete(agreement, "negotiate", drafter, confirm=True)
    with pytest.raises(PermissionDeniedError):
        complete(agreement, "consult_dg", referent_crli, dg=dg_agri, kind=OpinionKind.FAVOURABLE, notes="")
    assert Opinion.objects.get(agreement=agreement).kind == OpinionKind.PENDING


def test_deputy_acts_on_behalf_of_the_absent_director(clock, drafter, director, admin_user):
    from agreements.accounts.services import delegation_create
    from agreements.common.roles import Role
    from tests.support.factories import UserFactory

    deputy = UserFactory(username="vicario", roles=[Role.DIRECTOR])
    agreement = propose(drafter, director)
    complete(agreement, "negotiate", drafter, confirm=True)
    with pytest.raises(PermissionDeniedError):  # not yet a deputy: the task is held by the director
        complete(agreement, "approve", deputy, decision=Decision.APPROVE, remarks="")
    delegation_create(actor=director, user=director, deputy=deputy, starts_on=timezone.localdate(),
                      ends_on=timezone.localdate() + days(10))
    complete(agreement, "approve", deputy, decision=Decision.APPROVE, remarks="")
    event = AuditEvent.objects.get(agreement=agreement, action="agreement_approve")
    assert (event.actor, event.on_behalf_of) == (deputy, director)


def test_completed_task_cannot_be_completed_twice(clock, drafter, director):
    agreement = propose(drafter, director)
    task = task_of(agreement, "negotiate")
    with pytest.raises(ServiceError, match="confirm"):  # the step's form validates the data
        completion.task_complete(task=task, actor=drafter, data={})
    completion.task_complete(task=task, actor=drafter, data={"confirm": True})
    with pytest.raises(InvalidStateError):
        completion.task_complete(task=task, actor=drafter, data={"confirm": True})
    assert AuditEvent.objects.filter(agreement=agreement, action="text_mark_agreed").count() == 1


def test_withdrawal_cancels_open_tasks(clock, drafter, director, dg_agri, referent_agri):
    from agreements.records.services import Closure

    agreement = propose(drafter, director, dgs=[dg_agri])
    complete(agreement, "negotiate", drafter, confirm=True)
    with pytest.raises(ServiceError):
        wf.agreement_withdraw(agreement=agreement, actor=director, closure=Closure.WITHDRAW, reason=" ")
    agreement = wf.agreement_withdraw(agreement=agreement, actor=director, closure=Closure.WITHDRAW,
                                      reason="La controparte ha rinunciato.")
    assert agreement.status == Status.WITHDRAWN
    assert open_steps(agreement) == []
    clock.move_to(START + days(30))
    assert wf.timers_fire_due() == 0


def test_renewal_is_a_new_agreement_through_the_whole_procedure(clock, drafter, director):
    from tests.support.factories import InForceAgreementFactory

    old = InForceAgreementFactory(drafted_by=drafter, director=director)
    renewal = wf.renewal_start(agreement=old, actor=drafter)
    assert renewal.renews == old
    assert renewal.reference.startswith("INT-2026-")
    assert open_steps(renewal) == ["inform_assembly_start"]  # a new procedure: the Assembly informed again
    with pytest.raises(InvalidStateError):
        wf.renewal_start(agreement=old, actor=drafter)


def test_renewal_starts_by_itself_at_the_first_expiry_threshold_once(clock, drafter, director):
    from tests.support.factories import InForceAgreementFactory

    old = InForceAgreementFactory(drafted_by=drafter, director=director, end_date=datetime.date(2026, 7, 11))
    far = InForceAgreementFactory(drafted_by=drafter, director=director, end_date=datetime.date(2026, 7, 12))
    assert wf.timers_fire_due() == 1  # 11 July is 180 days away, 12 July 181: only `old` is due
    renewal = old.renewals.get()
    assert renewal.drafted_by == drafter and open_steps(renewal) == ["inform_assembly_start"]
    assert not far.renewals.exists()
    # Withdrawn or not, an automatic renewal starts once.
    from agreements.records.services import Closure

    wf.agreement_withdraw(agreement=renewal, actor=director, closure=Closure.WITHDRAW, reason="Rinvio al 2027.")
    clock.move_to(START + days(1))
    assert wf.timers_fire_due() == 1  # `far` now
    assert old.renewals.count() == 1
    event = AuditEvent.objects.get(agreement=renewal, action="renewal_create")
    assert event.actor is None and event.detail["automatic"] is True


def test_old_agreement_is_renewed_when_its_renewal_enters_into_force(clock, drafter, director, secretariat):
    from tests.support.factories import InForceAgreementFactory

    old = InForceAgreementFactory(drafted_by=drafter, director=director, kind=AgreementKind.MEMORANDUM,
                                  binding=False, end_date=datetime.date(2026, 3, 1))
    renewal = wf.renewal_start(agreement=old, actor=drafter)
    through_start(renewal, director, creates_commitments=False)
    complete(renewal, "negotiate", drafter, confirm=True)
    complete(renewal, "approve", director, decision=Decision.APPROVE, remarks="")
    complete(renewal, "sign", drafter, place="Bologna", date=timezone.localdate())  # in force when signed
    old.refresh_from_db()
    assert old.status == Status.RENEWED
    assert list(old.renewals.all()) == [renewal]
    clock.move_to(START + days(60))  # past the old end date: a renewed agreement does not expire
    wf.timers_fire_due()
    old.refresh_from_db()
    assert old.status == Status.RENEWED


def test_two_users_completing_the_same_task_at_once_exactly_one_wins(transactional_db, drafter, secretariat):
    import threading

    from django.db import connection

    from agreements.common.roles import Role
    from tests.support.factories import UserFactory

    directors = [UserFactory(username=f"dir{i}", roles=[Role.DIRECTOR]) for i in range(2)]
    agreement = wf.proposal_start(actor=drafter, title="Protocollo con la Wielkopolska", kind=AgreementKind.PROTOCOLLO,
                                  counterpart=CounterpartFactory(name="Wielkopolska"), binding=False)
    through_start(agreement, directors[0], creates_commitments=False)
    complete(agreement, "negotiate", drafter, confirm=True)
    task = task_of(agreement, "approve")
    assert task.owner is None  # no director named: the task waits in the directors' queue
    barrier, results = threading.Barrier(2), []

    def attempt(user):
        try:
            barrier.wait()
            completion.task_complete(task=task, actor=user, data={"decision": Decision.APPROVE, "remarks": ""})
            results.append("won")
        except ServiceError as error:
            results.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(u,)) for u in directors]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results) == ["L'attività è già stata completata da un altro utente.", "won"]
    assert AuditEvent.objects.filter(agreement=agreement, action="agreement_approve").count() == 1
    assert open_steps(agreement) == ["sign"]
