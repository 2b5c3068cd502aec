"""Each rule of the procedure (agreements/common/rules.py) is at least one test that fails without it, on PostgreSQL
with the clock moved by time_machine; then the three end-to-end paths, checked step by step against the rule table."""

import datetime

import pytest
import time_machine
from django.utils import timezone
from viewflow.workflow.status import STATUS

from agreements.common.errors import InvalidStateError, ServiceError
from agreements.common.rules import RULE_OF_STEP, RULES
from agreements.documents.render import render_context
from agreements.models import AgreementKind, AuditEvent, CounterpartType, OutboxMessage, RenewalClause, Status
from agreements.procedure import services as procedure
from agreements.procedure.services import Decision
from agreements.records import selectors as record_selectors
from agreements.records import services as records
from agreements.reminders.selectors import upcoming_for
from tests.support.factories import AgreementFactory, CounterpartFactory, InForceAgreementFactory
from tests.support.lifecycle import PRESIDENT, complete, open_steps, through_coordination, through_start
from workflows import services as wf
from workflows.models import AgreementProcess

pytestmark = pytest.mark.django_db
START = datetime.datetime(2026, 1, 12, 9, 0, tzinfo=datetime.UTC)
D = datetime.date


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def at(n):
    return START + datetime.timedelta(days=n)


def today():
    return timezone.localdate()


def propose(drafter, director, kind=AgreementKind.INTESA, counterpart=None, dgs=(), **extra):
    return wf.proposal_start(actor=drafter, title="Intesa con la Nouvelle-Aquitaine", kind=kind,
                             counterpart=counterpart or CounterpartFactory(name="Région Nouvelle-Aquitaine"),
                             dgs=list(dgs), director=director, duration_months=36, **extra)


def to_giunta(agreement, drafter, director, secretariat, dgr="57/2026"):
    complete(agreement, "negotiate", drafter, confirm=True)
    complete(agreement, "approve", director, decision=Decision.APPROVE, remarks="")
    return complete(agreement, "giunta", secretariat, dgr_number=dgr, dgr_date=today())


def notices(agreement, secretariat, dar=None, maeci=None):
    complete(agreement, "notify_government", secretariat, date=today(), protocol="PG/2026/001",
             dar_received_on=dar, maeci_received_on=maeci)
    return complete(agreement, "transmit_assembly", secretariat, date=today(), protocol="AL/2026/002")


def nulla_osta(agreement, secretariat, **extra):
    return complete(agreement, "record_observations", secretariat, outcome="nulla_osta", date=today(), text="",
                    **{"full_powers_date": None, "full_powers_protocol": "", **extra})


def done_steps(agreement):
    """The human steps done for the agreement, in order."""
    process = AgreementProcess.objects.get(agreement=agreement)
    tasks = process.task_set.filter(flow_task_type="HUMAN", status=STATUS.DONE).order_by("finished", "pk")
    return [t.flow_task.name for t in tasks]


# --- 1. Statuto art. 13 c. 2: the Assembly informed from the start ---------------------------------------------


def test_the_assembly_is_informed_before_the_first_dg_consultation(clock, drafter, director, secretariat, dg_agri,
                                                                   referent_agri):
    agreement = propose(drafter, director, dgs=[dg_agri])
    assert open_steps(agreement) == ["inform_assembly_start"]  # no negotiation, no DG task before it
    with pytest.raises(ServiceError, match="futura"):
        complete(agreement, "inform_assembly_start", secretariat, date=D(2026, 1, 13), protocol="AL/1")
    complete(agreement, "inform_assembly_start", secretariat, date=today(), protocol="AL/1")
    agreement = complete(agreement, "negotiate", drafter, confirm=True)
    assert open_steps(agreement) == ["consult_dg"]
    first_consultation = AuditEvent.objects.get(agreement=agreement, action="text_mark_agreed")
    informativa = AuditEvent.objects.get(agreement=agreement, action="assembly_inform_start")
    assert informativa.pk < first_consultation.pk
    timeline = {s.key: s for s in record_selectors.agreement_timeline(agreement)}
    assert timeline["assembly_info"].state == "done" and timeline["assembly_info"].date == today()
    assert timeline["assembly_info"].rule.article == "art. 13 c. 2"


# --- 2. L.R. 16/2008 art. 17 c. 2: the draft to the Assembly and its observations -----------------------------


def test_assembly_observations_asking_for_changes_send_the_text_back(clock, drafter, director, secretariat):
    agreement = through_start(propose(drafter, director), director)
    to_giunta(agreement, drafter, director, secretariat)
    assert open_steps(agreement) == ["notify_government", "transmit_assembly"]
    notices(agreement, secretariat, dar=today(), maeci=today())
    nulla_osta(agreement, secretariat)
    complete(agreement, "report_outcome", secretariat, date=today(), protocol="AL/3")
    with pytest.raises(ServiceError, match="data, atto e testo"):
        complete(agreement, "assembly_observations", secretariat, outcome="changes", date=None, act="", text="")
    agreement = complete(agreement, "assembly_observations", secretariat, outcome="changes", date=today(),
                         act="Risoluzione AL 7/2026", text="Togliere l'art. 9 sugli oneri.")
    assert agreement.status == Status.NEGOTIATION
    assert agreement.assembly_observations_text == "Togliere l'art. 9 sugli oneri."
    assert open_steps(agreement) == ["negotiate"]
    # The new text goes through the Giunta, the notices and both observations again.
    to_giunta(agreement, drafter, director, secretariat, dgr="60/2026")
    agreement.refresh_from_db()
    assert agreement.assembly_observations == "" and agreement.observations_outcome == ""
    assert open_steps(agreement) == ["notify_government", "transmit_assembly"]


# --- 3 and 4. The outcome to the Assembly and the second DGR before signature ----------------------------------


def test_signature_needs_the_final_dgr_of_the_giunta(clock, drafter, director, secretariat):
    agreement = AgreementFactory(status=Status.SIGNATURE, drafted_by=drafter, dgr_number="57/2026",
                                 dgr_date=D(2026, 1, 2), notice_government_date=D(2025, 12, 1),
                                 observations_outcome="silence")
    with pytest.raises(InvalidStateError, match="approvazione definitiva"):
        procedure.signature_record(agreement=agreement, actor=drafter, place="Bologna", date=today(), **PRESIDENT)
    assert not AuditEvent.objects.filter(agreement=agreement, action="signature_record").exists()

    agreement = through_start(propose(drafter, director), director)
    to_giunta(agreement, drafter, director, secretariat)
    notices(agreement, secretariat, dar=today(), maeci=today())
    nulla_osta(agreement, secretariat)
    assert open_steps(agreement) == ["report_outcome"]  # not the signature
    complete(agreement, "report_outcome", secretariat, date=today(), protocol="AL/3")
    complete(agreement, "assembly_observations", secretariat, outcome="none", date=None, act="", text="")
    assert open_steps(agreement) == ["final_approval"]
    with pytest.raises(ServiceError, match="nuova delibera"):
        complete(agreement, "final_approval", secretariat, dgr_number="57/2026", dgr_date=today())
    agreement = complete(agreement, "final_approval", secretariat, dgr_number="61/2026", dgr_date=today())
    assert agreement.outcome_report_protocol == "AL/3"
    assert agreement.final_dgr_number == "61/2026"
    assert open_steps(agreement) == ["sign"]


# --- 5. Who signs -------------------------------------------------------------------------------------------------


def test_only_the_president_or_a_delegated_assessore_signs_for_the_region(clock, drafter, director, secretariat):
    agreement = through_start(propose(drafter, director), director)
    to_giunta(agreement, drafter, director, secretariat)
    notices(agreement, secretariat, dar=today(), maeci=today())
    nulla_osta(agreement, secretariat)
    through_coordination(agreement, secretariat)
    base = {"place": "Bordeaux", "date": today()}
    with pytest.raises(ServiceError, match="solo il Presidente della Regione o l'assessore da lui delegato"):
        complete(agreement, "sign", drafter, **base, region_signatory_office="other",
                 region_signatory_name="Direttore generale", delegation_act="", delegation_date=None)
    with pytest.raises(ServiceError, match="solo il Presidente"):  # saying nobody is refused too
        complete(agreement, "sign", drafter, **base, region_signatory_office="", region_signatory_name="",
                 delegation_act="", delegation_date=None)
    with pytest.raises(ServiceError, match="atto di delega"):
        complete(agreement, "sign", drafter, **base, region_signatory_office="assessore",
                 region_signatory_name="Assessora Rossi", delegation_act="", delegation_date=None)
    assert open_steps(agreement) == ["sign"]
    agreement = complete(agreement, "sign", drafter, **base, region_signatory_office="assessore",
                         region_signatory_name="Assessora Rossi", delegation_act="Decreto PG 12/2026",
                         delegation_date=D(2026, 1, 5))
    assert (agreement.region_signatory_office, agreement.delegation_act) == ("assessore", "Decreto PG 12/2026")
    timeline = {s.key: s for s in record_selectors.agreement_timeline(agreement)}
    assert "Assessora Rossi" in timeline["signature"].note and "Decreto PG 12/2026" in timeline["signature"].note


# --- 6. Ratification: by resolution or by law; in force from ratification, published after ---------------------


def signed_intesa(clock, drafter, director, secretariat):
    agreement = through_start(propose(drafter, director), director)
    to_giunta(agreement, drafter, director, secretariat)
    notices(agreement, secretariat, dar=today(), maeci=today())
    nulla_osta(agreement, secretariat)
    through_coordination(agreement, secretariat)
    return complete(agreement, "sign", drafter, place="Bordeaux", date=today(), **PRESIDENT)


def test_ratification_by_regional_law_is_recorded(clock, drafter, director, secretariat):
    agreement = signed_intesa(clock, drafter, director, secretariat)
    data = {"transmission_date": today(), "committee_opinion_date": None, "act": "L.R. 3/2026", "date": today()}
    with pytest.raises(ServiceError, match="art. 15 c. 2"):
        complete(agreement, "ratify", secretariat, information_attached=False, form="law", **data)
    agreement = complete(agreement, "ratify", secretariat, information_attached=True, form="law", **data)
    assert (agreement.ratification_form, agreement.ratification_act) == ("law", "L.R. 3/2026")
    timeline = {s.key: s for s in record_selectors.agreement_timeline(agreement)}
    assert timeline["ratification"].note == "Legge regionale (l'intesa modifica leggi) L.R. 3/2026"


def test_in_force_from_the_ratification_date_and_published_after(clock, drafter, director, secretariat):
    agreement = signed_intesa(clock, drafter, director, secretariat)
    clock.move_to(at(3))
    ratified = today()
    agreement = complete(agreement, "ratify", secretariat, transmission_date=D(2026, 1, 12), information_attached=True,
                         committee_opinion_date=D(2026, 1, 14), form="resolution", act="Delibera AL 12/2026",
                         date=ratified)
    assert agreement.status == Status.IN_FORCE and agreement.entry_into_force == ratified
    assert agreement.published_on is None
    timeline = {s.key: s for s in record_selectors.agreement_timeline(agreement)}
    assert timeline["in_force"].state == "done" and timeline["in_force"].date == ratified
    assert timeline["publication"].state == "current"
    clock.move_to(at(10))
    with pytest.raises(ServiceError, match="insieme all'atto di ratifica"):
        complete(agreement, "publish", secretariat, burert_reference="BURERT n. 45", published_on=today(),
                 with_ratification_act=False)
    with pytest.raises(ServiceError, match="precedere la ratifica"):
        complete(agreement, "publish", secretariat, burert_reference="BURERT n. 45", published_on=D(2026, 1, 13),
                 with_ratification_act=True)
    agreement = complete(agreement, "publish", secretariat, burert_reference="BURERT n. 45", published_on=today(),
                         with_ratification_act=True)
    assert agreement.entry_into_force == ratified and agreement.published_on == D(2026, 1, 22)
    timeline = {s.key: s for s in record_selectors.agreement_timeline(agreement)}
    assert timeline["publication"].note == "BURERT n. 45: testo e atto di ratifica Delibera AL 12/2026"
    keys = [s.key for s in record_selectors.agreement_timeline(agreement)]
    assert keys.index("in_force") < keys.index("publication")


# --- 7. The 30 days from the later receipt ---------------------------------------------------------------------


def test_the_30_days_run_from_the_later_receipt(clock, drafter, director, secretariat):
    agreement = through_start(propose(drafter, director), director)
    to_giunta(agreement, drafter, director, secretariat)
    # Sent on 12 January; the DAR received it on the 14th, the Foreign Ministry on the 16th: 30 days from the 16th.
    clock.move_to(at(4))
    complete(agreement, "notify_government", secretariat, date=D(2026, 1, 12), protocol="PG/1",
             dar_received_on=D(2026, 1, 14), maeci_received_on=D(2026, 1, 16))
    agreement = complete(agreement, "transmit_assembly", secretariat, date=D(2026, 1, 12), protocol="AL/2")
    last_day = D(2026, 2, 15)
    assert agreement.observations_from == D(2026, 1, 16)
    # The timeline, the generated letter and the reminders say the same day.
    timeline = {s.key: s for s in record_selectors.agreement_timeline(agreement)}
    assert timeline["observations"].due == last_day
    assert "decorrono dal 16/01/2026 e terminano il 15/02/2026" in timeline["observations"].note
    assert "ipotesi" not in timeline["observations"].note
    assert "ricevuta MAECI: 16/01/2026" in timeline["notification"].note
    assert render_context(agreement)["agreement"]["observations_deadline"] == "15 febbraio 2026"
    assert [r["deadline"] for r in upcoming_for(agreement, today=D(2026, 1, 16))
            if r["kind"] == "observations_end"] == [last_day]
    # Day 30 after the later receipt: the wait is not over; day 31 it is.
    clock.move_to(datetime.datetime(2026, 2, 15, 12, 0, tzinfo=datetime.UTC))
    assert wf.timers_fire_due() == 0
    assert open_steps(agreement) == ["record_observations"]
    clock.move_to(datetime.datetime(2026, 2, 16, 9, 0, tzinfo=datetime.UTC))
    assert wf.timers_fire_due() == 1
    through_coordination(agreement, secretariat, dgr_number="90/2026")
    agreement.refresh_from_db()
    assert procedure.earliest_signature_date(agreement) == D(2026, 2, 16)
    with pytest.raises(ServiceError, match="16/02/2026"):
        complete(agreement, "sign", drafter, place="Bordeaux", date=last_day, **PRESIDENT)
    agreement = complete(agreement, "sign", drafter, place="Bordeaux", date=D(2026, 2, 16), **PRESIDENT)
    assert agreement.status == Status.RATIFICATION


def test_a_notice_without_receipt_counts_from_sending_and_the_page_says_so(clock, client, drafter, director,
                                                                          secretariat):
    agreement = through_start(propose(drafter, director), director)
    to_giunta(agreement, drafter, director, secretariat)
    agreement = notices(agreement, secretariat, dar=today(), maeci=None)
    assert agreement.observations_from == today()
    timeline = {s.key: s for s in record_selectors.agreement_timeline(agreement)}
    assert timeline["observations"].due == D(2026, 2, 11)
    assert "ipotesi" in timeline["observations"].note
    client.force_login(secretariat)
    page = client.get(f"/accordi/{agreement.reference}/").content.decode()
    assert "Manca una ricevuta: si conta dalla data di invio (ipotesi)." in page
    assert "11/02/2026" in page
    with pytest.raises(ServiceError, match="ricevuta non può precedere"):
        procedure.notice_government_record(agreement=AgreementFactory(status=Status.NOTIFICATION), actor=secretariat,
                                           date=today(), protocol="PG/2", dar_received_on=D(2026, 1, 1))


# --- 8. Accordi with a foreign State ---------------------------------------------------------------------------


def test_accordo_notifies_the_start_of_negotiations_and_refuses_future_full_powers(clock, drafter, director,
                                                                                   secretariat):
    state = CounterpartFactory(name="Repubblica di Moldova", country="Moldova", type=CounterpartType.STATE)
    agreement = propose(drafter, director, kind=AgreementKind.ACCORDO, counterpart=state)
    complete(agreement, "inform_assembly_start", secretariat, date=today(), protocol="AL/1")
    assert open_steps(agreement) == ["notify_negotiations"]
    agreement = complete(agreement, "notify_negotiations", secretariat, date=today(), protocol="MAECI/2026/5",
                         criteria="Nessun impegno in materia di difesa.")
    assert agreement.negotiation_criteria == "Nessun impegno in materia di difesa."
    assert open_steps(agreement) == ["negotiate"]
    to_giunta(agreement, drafter, director, secretariat)
    notices(agreement, secretariat, dar=today(), maeci=today())
    with pytest.raises(ServiceError, match="pieni poteri non può essere futura"):
        nulla_osta(agreement, secretariat, full_powers_date=D(2026, 1, 20), full_powers_protocol="MAECI/77")
    assert open_steps(agreement) == ["record_observations"]
    nulla_osta(agreement, secretariat, full_powers_date=today(), full_powers_protocol="MAECI/77")
    assert open_steps(agreement) == ["report_outcome"]
    # Not an accordo: the negotiation notice does not apply.
    with pytest.raises(InvalidStateError):
        procedure.negotiation_notice_record(agreement=AgreementFactory(status=Status.PROPOSAL), actor=secretariat,
                                            date=today(), protocol="X")


# --- 9. Whatever the title ----------------------------------------------------------------------------------------


def test_a_memorandum_that_creates_commitments_goes_through_the_full_procedure(clock, drafter, director,
                                                                               secretariat):
    agreement = propose(drafter, director, kind=AgreementKind.MEMORANDUM, binding=False)
    assert open_steps(agreement) == ["qualify"]
    with pytest.raises(ServiceError, match="reason"):  # the form wants a reason
        complete(agreement, "qualify", director, creates_commitments="1", reason=" ")
    with pytest.raises(ServiceError, match="Motivare"):  # and so does the service
        procedure.qualification_record(agreement=agreement, actor=director, creates_commitments=True, reason=" ")
    agreement = complete(agreement, "qualify", director, creates_commitments="1",
                         reason="Cofinanziamento di 50.000 euro a carico della Regione.")
    assert agreement.binding and agreement.is_binding
    assert open_steps(agreement) == ["inform_assembly_start"]
    complete(agreement, "inform_assembly_start", secretariat, date=today(), protocol="AL/1")
    agreement = to_giunta(agreement, drafter, director, secretariat)
    assert open_steps(agreement) == ["notify_government", "transmit_assembly"]
    timeline = {s.key: s for s in record_selectors.agreement_timeline(agreement)}
    assert "Cofinanziamento" in timeline["qualification"].note
    assert {"giunta", "ratification", "publication"} <= set(timeline)


# --- 10. Tacit extension is an act ---------------------------------------------------------------------------


def test_tacit_extension_is_audited_notified_and_the_informativa_offered(clock, client, drafter, director,
                                                                        secretariat):
    agreement = InForceAgreementFactory(drafted_by=drafter, director=director, renewal_clause=RenewalClause.TACIT,
                                        renewal_notice_days=60, duration_months=12, end_date=D(2026, 1, 10))
    assert records.agreements_expire(today=today()) == 1
    agreement.refresh_from_db()
    assert agreement.status == Status.IN_FORCE and agreement.end_date == D(2027, 1, 10)
    event = AuditEvent.objects.get(agreement=agreement, action="agreement_tacit_renewal")
    assert event.actor is None
    assert event.detail["previous_end_date"] == "2026-01-10" and event.detail["new_end_date"] == "2027-01-10"
    message = OutboxMessage.objects.get(agreement=agreement)
    assert sorted(message.to) == sorted([drafter.email, director.email])
    assert "10/01/2027" in message.subject and "informativa all'Assemblea" in message.body_text
    with pytest.raises(ServiceError):
        records.tacit_extension_inform(agreement=agreement, actor=drafter, date=today(), protocol="AL/5")
    # The agreement page offers the informativa to the secretariat; the form records it.
    client.force_login(secretariat)
    url = f"/accordi/{agreement.reference}/proroga-informativa/"
    assert f'href="{url}"' in client.get(f"/accordi/{agreement.reference}/").content.decode()
    response = client.post(url, {"date": "2026-01-12", "protocol": "AL/5"})
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.tacit_extension_informed_on == today()
    assert AuditEvent.objects.get(agreement=agreement, action="tacit_extension_inform").actor == secretariat
    assert f'href="{url}"' not in client.get(f"/accordi/{agreement.reference}/").content.decode()
    with pytest.raises(InvalidStateError):
        records.tacit_extension_inform(agreement=agreement, actor=secretariat, date=today(), protocol="AL/6")
    with pytest.raises(InvalidStateError, match="prorogato"):
        records.tacit_extension_inform(agreement=InForceAgreementFactory(), actor=secretariat, date=today(),
                                       protocol="AL/7")


# --- The rule table and the three paths --------------------------------------------------------------------


def test_every_human_step_of_the_flow_names_a_rule_of_the_table():
    from workflows.flows import AgreementFlow
    from workflows.nodes import Step

    steps = [node for node in AgreementFlow.instance.nodes() if isinstance(node, Step)]
    assert {node.name for node in steps} == set(RULE_OF_STEP)
    assert all(node.rule is RULE_OF_STEP[node.name] for node in steps)
    assert len(RULES) == len(RULE_OF_STEP)


def test_task_page_shows_the_rule(clock, client, drafter, director, secretariat):
    agreement = propose(drafter, director)
    client.force_login(secretariat)
    task = AgreementProcess.objects.get(agreement=agreement).task_set.get(flow_task_type="HUMAN")
    page = client.get(f"/workflow/agreement/{task.process_id}/inform_assembly_start/{task.pk}/execute/")
    assert page.status_code == 200, page.status_code
    assert "Statuto regionale, art. 13 c. 2" in page.content.decode()
    assert "fin dall&#x27;attivazione della procedura" in page.content.decode()


INTESA_PATH = ["inform_assembly_start", "negotiate", "approve", "giunta", "notify_government", "transmit_assembly",
               "record_observations", "report_outcome", "assembly_observations", "final_approval", "sign", "ratify",
               "publish"]


def test_end_to_end_intesa_follows_the_rule_table(clock, drafter, director, secretariat):
    agreement = signed_intesa(clock, drafter, director, secretariat)
    agreement = complete(agreement, "ratify", secretariat, transmission_date=today(), information_attached=True,
                         committee_opinion_date=None, form="resolution", act="Delibera AL 1/2026", date=today())
    agreement = complete(agreement, "publish", secretariat, burert_reference="BURERT n. 9", published_on=today(),
                         with_ratification_act=True)
    assert sorted(done_steps(agreement)) == sorted(INTESA_PATH)
    assert done_steps(agreement)[:2] == ["inform_assembly_start", "negotiate"]
    assert done_steps(agreement)[-5:] == ["assembly_observations", "final_approval", "sign", "ratify", "publish"]
    timeline = record_selectors.agreement_timeline(agreement)
    assert all(s.rule is not None for s in timeline if s.key not in ("proposal", "in_force", "end"))
    assert [(s.key, s.state) for s in timeline if s.state != "done"] == [("end", "current")]


def test_end_to_end_accordo_with_a_state_follows_the_rule_table(clock, drafter, director, secretariat):
    state = CounterpartFactory(name="Repubblica di Moldova", country="Moldova", type=CounterpartType.STATE)
    agreement = through_start(propose(drafter, director, kind=AgreementKind.ACCORDO, counterpart=state), director)
    to_giunta(agreement, drafter, director, secretariat)
    clock.move_to(at(60))
    assert wf.timers_fire_due() == 0  # no silence for an accordo
    notices(agreement, secretariat, dar=today(), maeci=today())
    nulla_osta(agreement, secretariat, full_powers_date=today(), full_powers_protocol="MAECI/77")
    through_coordination(agreement, secretariat)
    agreement = complete(agreement, "sign", drafter, place="Chișinău", date=today(), **PRESIDENT)
    agreement = complete(agreement, "ratify", secretariat, transmission_date=today(), information_attached=True,
                         committee_opinion_date=None, form="resolution", act="Delibera AL 2/2026", date=today())
    complete(agreement, "publish", secretariat, burert_reference="BURERT n. 10", published_on=today(),
             with_ratification_act=True)
    path = done_steps(agreement)
    assert sorted(path) == sorted(["notify_negotiations", *INTESA_PATH])
    assert path[:3] == ["inform_assembly_start", "notify_negotiations", "negotiate"]
    assert all(step in RULE_OF_STEP for step in path)


def test_end_to_end_non_binding_declaration_of_intent_takes_the_light_path(clock, drafter, director):
    agreement = propose(drafter, director, kind=AgreementKind.LETTERA_INTENTI)
    complete(agreement, "qualify", director, creates_commitments="0",
             reason="Dichiarazione di intenti: nessun impegno giuridico o finanziario.")
    complete(agreement, "negotiate", drafter, confirm=True)
    complete(agreement, "approve", director, decision=Decision.APPROVE, remarks="")
    agreement = complete(agreement, "sign", drafter, place="Bologna", date=today(), region_signatory_office="",
                         region_signatory_name="", delegation_act="", delegation_date=None)
    assert agreement.status == Status.IN_FORCE and agreement.burert_reference == ""
    assert done_steps(agreement) == ["qualify", "negotiate", "approve", "sign"]
    assert all(step in RULE_OF_STEP for step in done_steps(agreement))
    keys = [s.key for s in record_selectors.agreement_timeline(agreement)]
    assert "publication" not in keys and "ratification" not in keys and "assembly_info" not in keys


def test_a_dgr_dated_before_the_approval_is_shown_next_to_its_field_and_nothing_is_written(clock, client, drafter,
                                                                                             director, secretariat):
    from tests.support.lifecycle import task_of

    # given an intesa the director approved today (12 January)
    agreement = through_start(propose(drafter, director), director)
    complete(agreement, "negotiate", drafter, confirm=True)
    complete(agreement, "approve", director, decision=Decision.APPROVE, remarks="")
    task = task_of(agreement, "giunta")
    client.force_login(secretariat)
    before = AuditEvent.objects.count()
    # when the secretariat records on the task page a DGR dated the day before
    response = client.post(f"/attivita/{task.pk}/", {"dgr_number": "57/2026", "dgr_date": "2026-01-11"})
    # then the page shows the reason under the DGR's date, not above the form, and nothing is written
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {"dgr_date": ["La DGR non può precedere l'approvazione del dirigente."]}, form.errors
    assert "La DGR non può precedere l&#x27;approvazione del dirigente." in response.content.decode()
    assert AuditEvent.objects.count() == before
    agreement.refresh_from_db()
    assert agreement.status == Status.GIUNTA and open_steps(agreement) == ["giunta"]
