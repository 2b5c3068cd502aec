"""Every write service of the agreement rooms leaves exactly one audit event naming who acted.

The table below drives each public write function once with valid inputs. A new public function in one of
SERVICE_MODULES that is neither in the table nor declared a read makes the test fail, so no write escapes it.
(Append-only at the database level: tests/test_foundation.py.)
"""

import datetime
import inspect

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from agreements.accounts import services as accounts
from agreements.activities import services as activities
from agreements.clauses import services as clauses
from agreements.models import AgreementKind, AuditEvent, Opinion, OpinionKind, Status
from agreements.models.agreement import ObservationsOutcome
from agreements.procedure import services as procedure
from agreements.procedure.services import Decision
from agreements.records import services as records
from agreements.records.services import Closure
from tests.support.documents import docx_bytes
from tests.support.factories import AgreementFactory, CounterpartFactory, InForceAgreementFactory, UserFactory

TODAY = datetime.date(2026, 6, 15)
SYSTEM = None  # the event names no user: actor_name "sistema"

SERVICE_MODULES = (records, procedure, accounts, clauses, activities)
# Public functions of those modules that only read, or guard a write without being one.
READS = {"consultation_due_date", "consultation_settled", "observations_settled", "consultation_unfavourable",
         "earliest_signature_date", "holding",
         "locked", "require_status", "write_fields", "check_date_order", "next_reference", "api_user",
         "has_api_token", "publication_reference", "text_sent_back", "similar_counterparts", "article_changes",
         "check_clause_text", "fixed_fields", "similar_stakeholders"}
# Writes that have their own audit tests (tests/accounts).
OWN_TESTS = {"api_token_issue", "api_token_revoke"}


def ago(n):
    return TODAY - datetime.timedelta(days=n)


def in_consultation(p, kind=OpinionKind.PENDING):
    agreement = AgreementFactory(status=Status.CONSULTATION, drafted_by=p.drafter, consultation_round=1,
                                 dgs=[p.dg_agri])
    Opinion.objects.create(agreement=agreement, dg=p.dg_agri, round=1, due_date=TODAY, kind=kind)
    return agreement


def tacitly_extended():
    agreement = InForceAgreementFactory(renewal_clause="tacit", renewal_notice_days=30, duration_months=12,
                                        end_date=ago(1))
    records.agreements_expire(today=TODAY)
    return agreement


# name -> function(people) returning (service keyword arguments, expected actor or SYSTEM, the agreement the event
# is about or None). `p` holds the role fixtures.
def an_attachment(p):
    p.request.getfixturevalue("media_root")
    activity = activities.activity_create(actor=p.drafter, kind="event", title="Evento", starts_on=TODAY)
    upload = SimpleUploadedFile("verbale.docx", docx_bytes("Verbale della riunione"))
    return dict(actor=p.drafter, activity=activity, doc_type="verbale_attivita", upload=upload), p.drafter, None


def an_activity(p):
    activity = activities.activity_create(actor=p.drafter, kind="event", title="Evento", starts_on=TODAY)
    return dict(actor=p.drafter, activity=activity, title="Evento rinominato", dgs=[p.dg_agri]), p.drafter, None


CASES = {
    "activity_create": lambda p: (
        dict(actor=p.drafter, kind="delegation_received", title="Delegazione", starts_on=TODAY, country_code="FR",
             dgs=[p.dg_agri]), p.drafter, None),
    "activity_update": an_activity,
    "activity_attachment_upload": an_attachment,
    "stakeholder_create": lambda p: (
        dict(actor=p.drafter, name="Università di Bologna", type="university"), p.drafter, None),
    "counterpart_create": lambda p: (
        dict(actor=p.drafter, name="Región de Murcia", country_code="ES", type="region"), p.drafter, None),
    "directory_user_sync": lambda p: (
        dict(user=p.drafter, group_names=["intese-redattori", "intese-dirigenti"]), p.drafter, None),
    "agreement_create": lambda p: (
        dict(actor=p.drafter, title="Intesa con l'Occitanie", kind=AgreementKind.INTESA,
             counterpart=CounterpartFactory(), dgs=[p.dg_agri]), p.drafter, "result"),
    "agreement_update": lambda p: (
        dict(agreement=(a := AgreementFactory(status=Status.NEGOTIATION, drafted_by=p.drafter)), actor=p.drafter,
             expected_version=a.version, title="Titolo nuovo", dgs=[p.dg_agri]), p.drafter, a),
    "articles_replace": lambda p: (
        dict(agreement=(a := AgreementFactory(status=Status.NEGOTIATION)), actor=p.drafter,
             articles=[{"number": 1, "heading_it": "Oggetto", "text_it": "Le Parti collaborano.",
                        "translations": {"fr": {"heading": "Objet", "text": "Les Parties coopèrent."}}}]),
        p.drafter, a),
    "signatories_replace": lambda p: (
        dict(agreement=(a := AgreementFactory(status=Status.NEGOTIATION)), actor=p.drafter,
             signatories=[{"side": "region", "name": "Michele de Pascale", "role": "Presidente"}]), p.drafter, a),
    "text_mark_agreed": lambda p: (
        dict(agreement=(a := AgreementFactory(status=Status.NEGOTIATION, dgs=[p.dg_agri])), actor=p.drafter),
        p.drafter, a),
    "consultation_deadline_set": lambda p: (
        dict(agreement=(a := in_consultation(p)), actor=p.drafter, due_date=TODAY + datetime.timedelta(days=20)),
        p.drafter, a),
    "opinion_give": lambda p: (
        dict(agreement=(a := in_consultation(p)), dg=p.dg_agri, actor=p.referent_agri, kind=OpinionKind.FAVOURABLE),
        p.referent_agri, a),
    "opinions_silent_assent": lambda p: (dict(agreement=(a := in_consultation(p))), SYSTEM, a),
    "consultation_close": lambda p: (
        dict(agreement=(a := in_consultation(p, kind=OpinionKind.FAVOURABLE))), SYSTEM, a),
    "agreement_decide": lambda p: (
        dict(agreement=(a := AgreementFactory(status=Status.APPROVAL, drafted_by=p.drafter)), actor=p.director,
             decision=Decision.APPROVE), p.director, a),
    "giunta_record": lambda p: (
        dict(agreement=(a := AgreementFactory(status=Status.GIUNTA, approved_on=ago(10))), actor=p.secretariat,
             dgr_number="812/2026", dgr_date=ago(5)), p.secretariat, a),
    "notice_government_record": lambda p: (
        dict(agreement=(a := AgreementFactory(status=Status.NOTIFICATION, dgr_date=ago(5))), actor=p.secretariat,
             date=TODAY, protocol="PG/2026/0001"), p.secretariat, a),
    "notice_assembly_record": lambda p: (
        dict(agreement=(a := AgreementFactory(status=Status.NOTIFICATION, dgr_date=ago(5))), actor=p.secretariat,
             date=TODAY, protocol="AL/2026/0002"), p.secretariat, a),
    "observations_open": lambda p: (
        dict(agreement=(a := AgreementFactory(status=Status.NOTIFICATION, notice_government_date=ago(1)))),
        SYSTEM, a),
    "observations_record": lambda p: (
        dict(agreement=(a := AgreementFactory(status=Status.OBSERVATIONS, notice_government_date=ago(10))),
             actor=p.secretariat, outcome=ObservationsOutcome.NULLA_OSTA, date=TODAY), p.secretariat, a),
    "observations_silence": lambda p: (
        dict(agreement=(a := AgreementFactory(status=Status.OBSERVATIONS, notice_government_date=ago(31)))),
        SYSTEM, a),
    "observations_close": lambda p: (
        dict(agreement=(a := AgreementFactory(status=Status.OBSERVATIONS, notice_government_date=ago(31),
                                              observations_outcome=ObservationsOutcome.SILENCE))), SYSTEM, a),
    "signature_record": lambda p: (
        dict(agreement=(a := AgreementFactory(status=Status.SIGNATURE, notice_government_date=ago(40),
                                              observations_outcome=ObservationsOutcome.SILENCE,
                                              final_dgr_number="900/2026", final_dgr_date=ago(2))),
             actor=p.drafter, place="Bologna", date=TODAY, region_signatory_office="president",
             region_signatory_name="Michele de Pascale"), p.drafter, a),
    "ratification_record": lambda p: (
        dict(agreement=(a := AgreementFactory(status=Status.RATIFICATION, signed_on=ago(40))), actor=p.secretariat,
             transmission_date=ago(30), information_attached=True, committee_opinion_date=ago(20),
             form="resolution", act="Delibera AL n. 12/2026", date=ago(10)),
        p.secretariat, a),
    "publication_record": lambda p: (
        dict(agreement=(a := AgreementFactory(status=Status.IN_FORCE, signed_on=ago(40), ratification_date=ago(20),
                                              ratification_act="Delibera AL n. 12/2026")), actor=p.secretariat,
             burert_reference="BURERT n. 180, parte seconda", published_on=TODAY, with_ratification_act=True),
        p.secretariat, a),
    "qualification_record": lambda p: (
        dict(agreement=(a := AgreementFactory(status=Status.PROPOSAL, kind=AgreementKind.MEMORANDUM)),
             actor=p.director, creates_commitments=True, reason="Cofinanziamento regionale."), p.director, a),
    "assembly_inform_start": lambda p: (
        dict(agreement=(a := AgreementFactory(status=Status.PROPOSAL)), actor=p.secretariat, date=TODAY,
             protocol="AL/2026/0001"), p.secretariat, a),
    "negotiation_notice_record": lambda p: (
        dict(agreement=(a := AgreementFactory(status=Status.PROPOSAL, kind=AgreementKind.ACCORDO)),
             actor=p.secretariat, date=TODAY, protocol="MAECI/2026/1", criteria="Nessuno."), p.secretariat, a),
    "outcome_report_record": lambda p: (
        dict(agreement=(a := AgreementFactory(status=Status.OBSERVATIONS, notice_government_date=ago(31),
                                              observations_outcome=ObservationsOutcome.SILENCE)),
             actor=p.secretariat, date=TODAY, protocol="AL/2026/3"), p.secretariat, a),
    "assembly_observations_record": lambda p: (
        dict(agreement=(a := AgreementFactory(status=Status.OBSERVATIONS, notice_assembly_date=ago(20))),
             actor=p.secretariat, outcome="remarks", date=ago(5), act="Risoluzione 3/2026", text="Bene."),
        p.secretariat, a),
    "final_approval_record": lambda p: (
        dict(agreement=(a := AgreementFactory(status=Status.FINAL_APPROVAL, dgr_number="1/2026", dgr_date=ago(50),
                                              notice_government_date=ago(45))),
             actor=p.secretariat, dgr_number="2/2026", dgr_date=ago(5)), p.secretariat, a),
    "tacit_extension_inform": lambda p: (
        dict(agreement=(a := tacitly_extended()), actor=p.secretariat, date=TODAY, protocol="AL/2026/9"),
        p.secretariat, a),
    "agreement_close": lambda p: (
        dict(agreement=(a := AgreementFactory(status=Status.NEGOTIATION)), actor=p.director,
             closure=Closure.WITHDRAW, reason="La controparte ha rinunciato."), p.director, a),
    "renewal_decline": lambda p: (
        dict(agreement=(a := InForceAgreementFactory()), actor=p.director, reason="Obiettivi raggiunti."),
        p.director, a),
    "agreements_expire": lambda p: (dict(today=TODAY), SYSTEM, InForceAgreementFactory(end_date=ago(1))),
    "renewal_create": lambda p: (dict(agreement=InForceAgreementFactory(), actor=p.drafter), p.drafter, "result"),
    "delegation_create": lambda p: (
        dict(actor=p.director, user=p.director, deputy=UserFactory(username="vice"), starts_on=TODAY,
             ends_on=TODAY + datetime.timedelta(days=14)), p.director, None),
    "clause_version_create": lambda p: (
        dict(actor=p.admin_user, code="finanziarie", texts={"it": {"heading": "Disposizioni finanziarie",
                                                                   "text": "Nessun onere per lo Stato."}}),
        p.admin_user, None),
    "kind_template_set": lambda p: (
        dict(actor=p.admin_user, kind="memorandum", clauses=["premesse", "oggetto", "finali"]), p.admin_user, None),
    "agreement_import": lambda p: (
        dict(actor=p.admin_user, title="Intesa con la Baviera (2018)", kind=AgreementKind.INTESA,
             counterpart=CounterpartFactory(), status=Status.IN_FORCE, year=2018,
             entry_into_force=datetime.date(2018, 5, 1), duration_months=120), p.admin_user, "result"),
}


def public_service_functions():
    return {
        name: value
        for module in SERVICE_MODULES
        for name, value in inspect.getmembers(module, inspect.isfunction)
        if value.__module__ == module.__name__ and not name.startswith("_")
    }


def test_every_public_service_function_is_in_the_table():
    missing = set(public_service_functions()) - READS - OWN_TESTS - set(CASES)
    assert not missing, f"add these services to CASES (or READS if they only read): {sorted(missing)}"
    assert not set(CASES) - set(public_service_functions()), "the table names a function that no longer exists"


class People:
    def __init__(self, request):
        self.request = request
        for name in ("drafter", "director", "secretariat", "admin_user", "dg_agri", "referent_agri"):
            setattr(self, name, request.getfixturevalue(name))


@pytest.mark.parametrize("name", sorted(CASES))
def test_service_leaves_exactly_one_audit_event_naming_the_actor(db, request, name):
    with time_machine.travel(datetime.datetime(2026, 6, 15, 10, 0, tzinfo=datetime.UTC), tick=False):
        kwargs, actor, agreement = CASES[name](People(request))
        last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        result = public_service_functions()[name](**kwargs)
    events = list(AuditEvent.objects.filter(pk__gt=last))
    assert len(events) == 1, [(e.action, e.actor_name) for e in events]
    event = events[0]
    if actor is SYSTEM:
        assert event.actor_id is None and event.actor_name == "sistema"
    else:
        assert event.actor_id == actor.pk and event.actor_name == actor.username
    if agreement == "result":
        agreement = result
    assert event.agreement_id == (agreement.pk if agreement is not None else None)
