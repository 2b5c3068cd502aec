"""Processes started under the earlier flow are carried onto today's nodes and then finish (workflows/carry_over.py).

The database is built with the earlier flow itself: the code of commit LEGACY_COMMIT (the flow before the
procedure followed the law step by step) is extracted with `git archive` and run in a subprocess against this
test's PostgreSQL database, starting one agreement at every step of that flow. Then the carry-over runs here, with
today's code, and each agreement is finished through today's flow.
"""

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from viewflow.workflow.status import STATUS

from agreements.common.roles import Role
from agreements.models import Agreement, AuditEvent, Sector, Status
from agreements.procedure.services import Decision
from tests.support.factories import UserFactory, referent
from tests.support.lifecycle import PRESIDENT, complete, open_steps
from workflows import services as wf
from workflows.carry_over import processes_carry_over
from workflows.models import AgreementProcess

LEGACY_COMMIT = "a11ef22"  # the flow of 2026 before issue 12: informativa after the DGR, one DGR, publication last
REPO = Path(settings.BASE_DIR)

# Run by the earlier code: one agreement at each step of its flow. Prints {title: reference}.
LEGACY_SCRIPT = r'''
import json, os, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.utils import timezone
from agreements.models import Counterpart, Sector
from agreements.procedure.services import Decision
from workflows import completion, services as wf
from workflows.models import AgreementProcess
from viewflow.workflow.status import STATUS

User = get_user_model()
drafter, director, secretariat, ref = (User.objects.get(username=u) for u in
                                       ("redattore", "dirigente", "segreteria", "referente-agri"))
dg = Sector.objects.get(code="dg-agri")
today = timezone.localdate()
STEPS = ["negotiate", "consult_dg", "approve", "giunta", "notices", "record_observations", "sign", "ratify",
         "publish"]

def task(agreement, step):
    process = AgreementProcess.objects.get(agreement=agreement)
    return next(t for t in process.task_set.filter(status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED])
                if t.flow_task.name == step)

def do(agreement, step, user, **data):
    completion.task_complete(task=task(agreement, step), actor=user, data=data)

def drive(title, until, kind="intesa", binding=True, dgs=(), counterpart_type="region", silence=False):
    counterpart = Counterpart.objects.create(name="Controparte " + title, country="Francia", type=counterpart_type)
    a = wf.proposal_start(actor=drafter, title=title, kind=kind, counterpart=counterpart, dgs=list(dgs),
                          director=director, duration_months=24, binding=binding)
    def at(step):
        return until == step
    if at("negotiate"): return a
    do(a, "negotiate", drafter, confirm=True)
    if dgs:
        if at("consult_dg"): return a
        do(a, "consult_dg", ref, kind="favourable", notes="")
    if at("approve"): return a
    do(a, "approve", director, decision=Decision.APPROVE, remarks="")
    if binding:
        if at("giunta"): return a
        do(a, "giunta", secretariat, dgr_number="57/%d" % today.year, dgr_date=today)
        if at("notices"): return a
        do(a, "notify_government", secretariat, date=today, protocol="PG/1")
        do(a, "inform_assembly", secretariat, date=today, protocol="AL/1")
        if at("record_observations"): return a
        extra = {}
        if kind == "accordo":
            extra = {"full_powers_date": today, "full_powers_protocol": "MAECI/1"}
        do(a, "record_observations", secretariat, outcome="nulla_osta", date=today, text="", **extra)
    if at("sign"): return a
    do(a, "sign", drafter, place="Bologna", date=today)
    if binding:
        if at("ratify"): return a
        do(a, "ratify", secretariat, transmission_date=today, act="DAL 1/%d" % today.year, date=today)
    return a

made = {}
for step in STEPS:
    made["intesa@" + step] = drive("Intesa " + step, step, dgs=[dg] if step == "consult_dg" else [])
made["memorandum@negotiate"] = drive("Memorandum nuovo", "negotiate", kind="memorandum", binding=False)
made["memorandum@approve"] = drive("Memorandum in approvazione", "approve", kind="memorandum", binding=False)
made["memorandum@publish"] = drive("Memorandum firmato", "publish", kind="memorandum", binding=False)
made["accordo@record_observations"] = drive("Accordo osservazioni", "record_observations", kind="accordo",
                                            counterpart_type="state")
made["accordo@sign"] = drive("Accordo firma", "sign", kind="accordo", counterpart_type="state")
print(json.dumps({k: v.reference for k, v in made.items()}))
'''


def build_with_the_legacy_flow(tmp_path) -> dict[str, str]:
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", LEGACY_COMMIT], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(legacy)], input=archive.stdout, check=True)
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": url,
           "PYTHONPATH": str(legacy)}
    result = subprocess.run([sys.executable, "-c", LEGACY_SCRIPT], cwd=legacy, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def steps_of(reference):
    return open_steps(Agreement.objects.get(reference=reference))


@pytest.mark.django_db(transaction=True)
def test_processes_of_the_earlier_flow_are_carried_over_and_finish(tmp_path):
    drafter = UserFactory(username="redattore", roles=[Role.DRAFTER])
    director = UserFactory(username="dirigente", roles=[Role.DIRECTOR])
    secretariat = UserFactory(username="segreteria", roles=[Role.SECRETARIAT])
    dg = Sector.objects.create(code="dg-agri", name="DG AGRI", is_dg=True)
    ref_user = referent(dg, username="referente-agri")
    made = build_with_the_legacy_flow(tmp_path)
    agreements = {key: Agreement.objects.get(reference=ref) for key, ref in made.items()}
    # The earlier flow's nodes, as it left them (read raw: today's flow has no `inform_assembly` to load).
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM viewflow_task WHERE flow_task LIKE %s", ["%.inform_assembly"])
        assert cursor.fetchone()[0] == 7  # every binding agreement past the DGR has one
    events_before = AuditEvent.objects.count()
    trail = {key: list(AuditEvent.objects.filter(agreement=a).values_list("pk", flat=True))
             for key, a in agreements.items()}

    report = processes_carry_over()
    assert processes_carry_over() == []  # idempotent
    call_command("procedure_carry_over")  # the command says the same, and changes nothing more

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM viewflow_task WHERE flow_task LIKE %s", ["%.inform_assembly"])
        assert cursor.fetchone()[0] == 0
    assert any(line.startswith("inform_assembly -> transmit_assembly") for line in report)
    # Nothing lost: every earlier audit event is still there, and each move is one more event.
    for key, pks in trail.items():
        assert set(pks) <= set(AuditEvent.objects.filter(agreement=agreements[key]).values_list("pk", flat=True))
    moved = AuditEvent.objects.filter(action="procedure_carry_over")
    assert AuditEvent.objects.count() == events_before + moved.count()
    assert moved.count() == 6

    expected = {
        "intesa@negotiate": ["inform_assembly_start"],
        "memorandum@negotiate": ["qualify"],
        "intesa@consult_dg": ["consult_dg"],
        "intesa@approve": ["approve"],
        "memorandum@approve": ["approve"],
        "intesa@giunta": ["giunta"],
        "intesa@notices": ["notify_government", "transmit_assembly"],  # inform_assembly renamed
        "intesa@record_observations": ["record_observations"],
        "accordo@record_observations": ["record_observations"],
        "intesa@sign": ["report_outcome"],
        "accordo@sign": ["report_outcome"],
        "intesa@ratify": ["ratify"],
        "intesa@publish": ["publish"],
        "memorandum@publish": [],
    }
    for key, steps in expected.items():
        assert steps_of(made[key]) == steps, key
    for key in ("intesa@sign", "accordo@sign"):
        agreements[key].refresh_from_db()
        assert agreements[key].status == Status.OBSERVATIONS
    published = Agreement.objects.get(reference=made["intesa@publish"])
    assert published.status == Status.IN_FORCE and published.entry_into_force == published.ratification_date
    memorandum = Agreement.objects.get(reference=made["memorandum@publish"])
    assert memorandum.status == Status.IN_FORCE
    assert AgreementProcess.objects.get(agreement=memorandum).status == STATUS.DONE

    # Then each one finishes through today's flow, nothing stuck.
    today = timezone.localdate()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=32), tick=False):
        assert wf.timers_fire_due() >= 1  # the 30 days of the intesa in observations, set by the earlier flow
        later = timezone.localdate()
        for key, agreement in agreements.items():
            finish(agreement, drafter, director, secretariat, ref_user, dg, today, later)
            agreement.refresh_from_db()
            assert agreement.status == Status.IN_FORCE, (key, agreement.status, open_steps(agreement))
            assert open_steps(agreement) == [], key
            assert AgreementProcess.objects.get(agreement=agreement).status == STATUS.DONE, key


def finish(agreement, drafter, director, secretariat, ref_user, dg, today, later):
    """Complete whatever is open, step by step, until the process ends."""
    moves = {
        "qualify": (director, {"creates_commitments": "0", "reason": "Solo intenti."}),
        "inform_assembly_start": (secretariat, {"date": later, "protocol": "AL/0"}),
        "negotiate": (drafter, {"confirm": True}),
        "consult_dg": (ref_user, {"kind": "favourable", "notes": ""}),
        "approve": (director, {"decision": Decision.APPROVE, "remarks": ""}),
        "giunta": (secretariat, {"dgr_number": f"70/{later.year}", "dgr_date": later}),
        "notify_government": (secretariat, {"date": later, "protocol": "PG/2", "dar_received_on": later,
                                            "maeci_received_on": later}),
        "transmit_assembly": (secretariat, {"date": later, "protocol": "AL/2"}),
        "record_observations": (secretariat, {"outcome": "nulla_osta", "date": later, "full_powers_date": later,
                                              "full_powers_protocol": "MAECI/2"}),
        "report_outcome": (secretariat, {"date": later, "protocol": "AL/3"}),
        "assembly_observations": (secretariat, {"outcome": "none"}),
        "final_approval": (secretariat, {"dgr_number": f"71/{later.year}", "dgr_date": later}),
        "sign": (drafter, {"place": "Bologna", "date": later, **PRESIDENT}),
        "ratify": (secretariat, {"transmission_date": later, "information_attached": True, "form": "resolution",
                                 "act": "DAL 5", "date": later}),
        "publish": (secretariat, {"burert_reference": "BURERT n. 1", "published_on": later,
                                  "with_ratification_act": True}),
    }
    for _ in range(30):
        steps = open_steps(agreement)
        if not steps:
            return
        step = steps[0]
        user, data = moves[step]
        complete(agreement, step, user, dg=dg if step == "consult_dg" else None, **data)
    raise AssertionError(f"{agreement.reference} did not finish: {open_steps(agreement)}")
