#!/usr/bin/env python
"""The lifecycle end to end: the product's flow through the services a user calls, against a bare Viewflow flow of
the same nodes, in the same run (issue 18, goal 6).

Product: `workflows.services.proposal_start` (what the proposal page calls), then `workflows.completion.task_complete`
(what every task page and the API call) for each step of a binding intesa with two DGs, from the proposal to the
publication: informativa to the Assembly, negotiation, two DG opinions, director's approval, Giunta, the two
notices, the government's nulla osta, outcome to the Assembly, the Assembly's observations (none), final approval,
signature, ratification, publication -- 16 transitions, each with its form validation, permission check, service,
audit event, notifications and outbox rows. Baseline: `benchmarks/bare_lifecycle/flows.py`, the same nodes doing
nothing but Viewflow's bookkeeping (a task taken and completed under the same row lock), along the same path.

Both sides find the open task of a step the same way (one query, not counted as a transition). Rounds alternate
product and baseline (AGREEMENTS / ROUNDS each), so a change in the machine's load touches both.
  - `lifecycle time`: ratio = baseline time / product time (higher is better; goal 0.7).
  - `lifecycle queries per transition`: ratio = 22 / the product's queries per transition (goal 1.0), counted
    as django_assert_max_num_queries counts (BEGIN, COMMIT and savepoints included) over every transition of a
    first and of a last batch of agreements (by then the tables hold every earlier one); the line fails too when
    the two differ by more than 0.5 query (not constant in N). Counted runs are not timed.

    benchmarks/bench_lifecycle.py [--agreements 1000] [--rounds 5]
"""

import argparse
import contextlib
import datetime
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TIME_GOAL = 0.7
MAX_QUERIES = 22
COUNT_BATCH = 20  # agreements whose transitions are counted, at the start and at the end


def bench_database():
    """benchdb.bench_database with the settings that install the bare flow's app."""
    from benchmarks import benchdb

    return benchdb.bench_database(settings="benchmarks.bare_lifecycle.settings")


class Counter:
    """Counts the statements each transition sends, as pytest-django's django_assert_max_num_queries does
    (CaptureQueriesContext: BEGIN, COMMIT and savepoints included)."""

    def __init__(self):
        self.queries = 0
        self.transitions = 0

    @contextlib.contextmanager
    def transition(self):
        from django.db import connection, reset_queries
        from django.test.utils import CaptureQueriesContext

        reset_queries()  # the log keeps 9,000 statements: a full one would count nothing
        with CaptureQueriesContext(connection) as captured:
            yield
        self.queries += len(captured.captured_queries)
        self.transitions += 1


class NoCounter:
    def transition(self):
        return contextlib.nullcontext()


def people():
    from agreements.common.roles import Role
    from tests.support.factories import CounterpartFactory, SectorFactory, UserFactory, referent

    dgs = [SectorFactory(code="dg-agri", name="DG AGRI"), SectorFactory(code="dg-crli", name="DG CRLI")]
    return {
        "drafter": UserFactory(username="redattore", roles=[Role.DRAFTER]),
        "director": UserFactory(username="dirigente", roles=[Role.DIRECTOR]),
        "secretariat": UserFactory(username="segreteria", roles=[Role.SECRETARIAT]),
        "referents": [(dg, referent(dg, f"referente-{dg.code}")) for dg in dgs],
        "counterpart": CounterpartFactory(name="Région Nouvelle-Aquitaine"),
    }


def open_tasks(process_id):
    """How both sides find the open human tasks of a run (one query, outside the counted transitions)."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    return list(Task.objects.filter(process_id=process_id, flow_task_type="HUMAN",
                                    status__in=[STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED]).order_by("pk"))


def task_named(process_id, step, dg=None):
    tasks = [t for t in open_tasks(process_id) if t.flow_task.name == step
             and (dg is None or (t.data or {}).get("dg") == dg)]
    if len(tasks) != 1:
        raise RuntimeError(f"expected one open {step} task, found {[t.flow_task.name for t in open_tasks(process_id)]}")
    return tasks[0]


def product_steps(p, n):
    """The steps of the product's path: (step, user, dg, form data)."""
    today = datetime.date.today()
    year = today.year
    s = p["secretariat"]
    steps = [("inform_assembly_start", s, None, {"date": today, "protocol": f"AL/{n}/START"}),
             ("negotiate", p["drafter"], None, {"confirm": True})]
    steps += [("consult_dg", user, dg.pk, {"kind": "favourable", "notes": ""}) for dg, user in p["referents"]]
    steps += [
        ("approve", p["director"], None, {"decision": "approve", "remarks": ""}),
        ("giunta", s, None, {"dgr_number": f"{n + 1}/{year}", "dgr_date": today}),
        ("notify_government", s, None, {"date": today, "protocol": f"PG/{n}", "dar_received_on": today,
                                        "maeci_received_on": today}),
        ("transmit_assembly", s, None, {"date": today, "protocol": f"AL/{n}"}),
        ("record_observations", s, None, {"outcome": "nulla_osta", "date": today, "text": "",
                                          "full_powers_date": None, "full_powers_protocol": ""}),
        ("report_outcome", s, None, {"date": today, "protocol": f"AL/{n}/ESITO"}),
        ("assembly_observations", s, None, {"outcome": "none", "date": None, "act": "", "text": ""}),
        ("final_approval", s, None, {"dgr_number": f"{n + 50_001}/{year}", "dgr_date": today}),
        ("sign", p["drafter"], None, {"place": "Bordeaux", "date": today, "region_signatory_office": "president",
                                      "region_signatory_name": "Michele de Pascale", "delegation_act": "",
                                      "delegation_date": None}),
        ("ratify", s, None, {"transmission_date": today, "information_attached": True,
                             "committee_opinion_date": None, "form": "resolution", "act": f"Delibera AL {n}/{year}",
                             "date": today}),
        ("publish", s, None, {"burert_reference": f"BURERT n. {n}", "published_on": today,
                              "with_ratification_act": True}),
    ]
    return steps


def run_product(p, n, counter):
    from agreements.models import Status
    from workflows import completion
    from workflows import services as wf
    from workflows.models import AgreementProcess

    with counter.transition():
        agreement = wf.proposal_start(
            actor=p["drafter"], title=f"Intesa di prova {n}", kind="intesa", counterpart=p["counterpart"],
            dgs=[dg for dg, _user in p["referents"]], director=p["director"], duration_months=36)
    process_id = AgreementProcess.objects.filter(agreement=agreement).values_list("pk", flat=True).get()
    for step, user, dg, data in product_steps(p, n):
        task = task_named(process_id, step, dg)
        with counter.transition():
            agreement = completion.task_complete(task=task, actor=user, data=data)
    if agreement.status != Status.IN_FORCE or agreement.published_on is None or open_tasks(process_id):
        raise RuntimeError(f"the product's run did not end in force and published: {agreement.status}")


BARE_STEPS = ["inform_assembly_start", "negotiate", "consult_dg", "consult_dg", "approve", "giunta",
              "notify_government", "transmit_assembly", "record_observations", "report_outcome",
              "assembly_observations", "final_approval", "sign", "ratify", "publish"]


def bare_complete(task, user):
    """What a Viewflow task page does, without a form: take the task, start it, complete it, activate what
    follows, under the flow's row lock."""
    from django.utils import timezone
    from viewflow.workflow.status import STATUS

    with task.activation() as activation:
        task = activation.task
        if task.status == STATUS.NEW:
            task.owner = user
            task.status = STATUS.ASSIGNED
        task.status = STATUS.STARTED
        task.started = task.started or timezone.now()
        task.save()
        activation.complete()
        activation.activate_next()


def run_bare(p, n, counter):
    from viewflow.workflow.status import STATUS

    from benchmarks.bare_lifecycle.flows import BareFlow

    path = {"light": False, "binding": True, "accordo": False,
            "dgs": [[dg.pk, dg.name] for dg, _user in p["referents"]]}
    with counter.transition():
        process = BareFlow.start.run(path=path)
    for step in BARE_STEPS:
        task = next(t for t in open_tasks(process.pk) if t.flow_task.name == step)
        with counter.transition():
            bare_complete(task, p["secretariat"])
    process.refresh_from_db()
    if process.status != STATUS.DONE or open_tasks(process.pk):
        raise RuntimeError(f"the bare run did not end: {process.status}")


def counted(run, p, first, count):
    counter = Counter()
    for n in range(first, first + count):
        run(p, n, counter)
    return counter.queries / counter.transitions, counter.transitions


def timed(run, p, first, count):
    counter = NoCounter()
    start = time.perf_counter()
    for n in range(first, first + count):
        run(p, n, counter)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agreements", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with bench_database():
        from benchmarks.bare_lifecycle import flows as bare

        p = people()
        bare.USERS.update(drafter=p["drafter"], director=p["director"],
                          **{f"referent-{dg.pk}": user for dg, user in p["referents"]})
        n = 0
        # The first batch, counted (the tables are empty); one agreement each to warm up first.
        timed(run_product, p, n, 1)
        timed(run_bare, p, n, 1)
        n += 1
        product_qpt_first, transitions = counted(run_product, p, n, COUNT_BATCH)
        bare_qpt_first, bare_transitions = counted(run_bare, p, n, COUNT_BATCH)
        n += COUNT_BATCH
        # The timed runs: rounds alternate product and baseline.
        per_round = max(1, args.agreements // args.rounds)
        product_times, bare_times = [], []
        for _round in range(args.rounds):
            product_times.append(timed(run_product, p, n, per_round))
            bare_times.append(timed(run_bare, p, n, per_round))
            n += per_round
            print(f"round {_round + 1}/{args.rounds}: product {product_times[-1]:.1f} s, "
                  f"bare {bare_times[-1]:.1f} s", file=sys.stderr, flush=True)
        # The last batch, counted with every earlier agreement in the tables.
        product_qpt_last, _t = counted(run_product, p, n, COUNT_BATCH)
        bare_qpt_last, _t = counted(run_bare, p, n, COUNT_BATCH)
        total_agreements = n + COUNT_BATCH

    product_time, bare_time = sum(product_times), sum(bare_times)
    agreements = per_round * args.rounds
    time_ratio = bare_time / product_time
    round_ratios = [b / t for b, t in zip(bare_times, product_times, strict=True)]
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(json.dumps({
        "name": "lifecycle time",
        "ratio": round(time_ratio, 3),
        "goal": TIME_GOAL,
        "detail": {
            "agreements": agreements, "transitions_per_agreement": transitions // COUNT_BATCH,
            "product_s": round(product_time, 2), "bare_s": round(bare_time, 2),
            "product_ms_per_transition": round(1000 * product_time / (agreements * transitions / COUNT_BATCH), 2),
            "bare_ms_per_transition": round(1000 * bare_time / (agreements * bare_transitions / COUNT_BATCH), 2),
            "round_ratios": [round(r, 3) for r in round_ratios],
            "median_round_ratio": round(statistics.median(round_ratios), 3),
            "loadavg": " ".join(load),
        },
    }), flush=True)
    drift = abs(product_qpt_last - product_qpt_first)
    constant = drift <= 0.5
    ratio = MAX_QUERIES / max(product_qpt_first, product_qpt_last)
    print(json.dumps({
        "name": "lifecycle queries per transition",
        "ratio": round(ratio if constant else 0.0, 3),
        "goal": 1.0,
        "detail": {
            "product_first": round(product_qpt_first, 2), "product_last": round(product_qpt_last, 2),
            "bare_first": round(bare_qpt_first, 2), "bare_last": round(bare_qpt_last, 2),
            "max": MAX_QUERIES, "counted_agreements": COUNT_BATCH, "transitions_counted": transitions,
            "first_after_agreements": 1, "last_after_agreements": total_agreements - COUNT_BATCH,
            "constant_in_n": constant,
            "note": f"counted over {COUNT_BATCH} agreements with 1 and with {total_agreements - COUNT_BATCH} "
                    "before them: " + ("the same" if constant else f"they differ by {drift:.2f}"),
        },
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
