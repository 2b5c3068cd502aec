"""Concurrency on PostgreSQL: real threads, each with its own database connection, released together by a barrier.

PostgreSQL here allows 100 connections shared with the other test runs, so at most MAX_CONNECTED attempts hold a
connection at once; all attempts are started together and the contended ones overlap for real.
"""

import threading

import pytest
from django.db import connection

from agreements.common.errors import ServiceError, StaleObjectError
from agreements.common.roles import Role
from agreements.models import Agreement, AgreementKind, AuditEvent, Status
from agreements.procedure.services import Decision
from agreements.records import services
from tests.support.factories import CounterpartFactory, UserFactory
from tests.support.lifecycle import complete, open_steps, task_of, through_start
from workflows import completion
from workflows import services as wf

MAX_CONNECTED = 40
STALE = "L'accordo è stato modificato da un altro utente dopo che lo hai aperto: ricarica la pagina."
TASK_DONE = "L'attività è già stata completata da un altro utente."


def race(attempts):
    """Run each callable in its own thread, all released at once. Returns ("won", value) or ("lost", error)."""
    barrier = threading.Barrier(len(attempts))
    gate = threading.BoundedSemaphore(MAX_CONNECTED)
    results = [None] * len(attempts)

    def run(i, attempt):
        barrier.wait()
        with gate:
            try:
                results[i] = ("won", attempt())
            except ServiceError as error:
                results[i] = ("lost", error)
            except Exception as error:  # noqa: BLE001 - anything else is a failure the test reports
                results[i] = ("crashed", repr(error))
            finally:
                connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def agreement(transactional_db, drafter):
    return services.agreement_create(actor=drafter, title="Intesa con la Wielkopolska", kind=AgreementKind.INTESA,
                                     counterpart=CounterpartFactory(name="Wielkopolska"))


def test_concurrent_edits_of_one_agreement_lose_no_update(agreement, drafter):
    # given 20 drafters who all loaded version 1 of the record
    editors = [UserFactory(username=f"redattore{i}", roles=[Role.DRAFTER]) for i in range(20)]
    loaded = agreement.version

    def edit(user, i):
        return lambda: services.agreement_update(
            agreement=Agreement.objects.get(pk=agreement.pk), actor=user, expected_version=loaded,
            title=f"Titolo scritto da {user.username}", notes=f"nota {i}",
        )

    # when they all save at once
    results = race([edit(user, i) for i, user in enumerate(editors)])

    # then exactly one save wins; every other editor is told to reload, and nothing of theirs is written
    assert [r[0] for r in results].count("won") == 1, results
    losers = [r[1] for r in results if r[0] != "won"]
    assert len(losers) == 19
    assert all(isinstance(e, StaleObjectError) and str(e) == STALE for e in losers), losers
    winner = editors[[r[0] for r in results].index("won")]
    agreement.refresh_from_db()
    assert agreement.version == loaded + 1
    assert agreement.title == f"Titolo scritto da {winner.username}"
    events = AuditEvent.objects.filter(agreement=agreement, action="agreement_update")
    assert [(e.actor_id, e.changes["title"][1]) for e in events] == [(winner.pk, agreement.title)]
    # the loser reloads and saves on top of the winner's version: accepted
    services.agreement_update(agreement=agreement, actor=editors[0], expected_version=agreement.version,
                              notes="dopo il ricaricamento")
    agreement.refresh_from_db()
    assert agreement.version == loaded + 2 and agreement.title == f"Titolo scritto da {winner.username}"


def test_hundred_concurrent_approvals_of_one_task_exactly_one_wins(transactional_db, drafter):
    # given a text waiting for approval in the directors' queue, and 100 directors
    directors = [UserFactory(username=f"dirigente{i:03d}", roles=[Role.DIRECTOR]) for i in range(100)]
    agreement = wf.proposal_start(actor=drafter, title="Protocollo con la Wielkopolska", kind=AgreementKind.PROTOCOLLO,
                                  counterpart=CounterpartFactory(name="Wielkopolska"), binding=False)
    through_start(agreement, UserFactory(username="dirigente-q", roles=[Role.DIRECTOR]), creates_commitments=False)
    complete(agreement, "negotiate", drafter, confirm=True)
    task = task_of(agreement, "approve")
    task_class = type(task)

    def approve(user):
        return lambda: completion.task_complete(task=task_class.objects.get(pk=task.pk), actor=user,
                                        data={"decision": Decision.APPROVE, "remarks": "Approvato."})

    # when all of them approve at once
    results = race([approve(user) for user in directors])

    # then one approval wins; 99 are told the task is done; the agreement moved one step, once
    outcomes = [r[0] for r in results]
    assert outcomes.count("won") == 1, [r for r in results if r[0] == "crashed"][:3]
    assert outcomes.count("lost") == 99
    assert {str(r[1]) for r in results if r[0] == "lost"} == {TASK_DONE}
    winner = directors[outcomes.index("won")]
    agreement.refresh_from_db()
    assert agreement.status == Status.SIGNATURE
    assert agreement.approved_by_id == winner.pk
    approvals = AuditEvent.objects.filter(agreement=agreement, action="agreement_approve")
    assert [e.actor_id for e in approvals] == [winner.pk]
    assert open_steps(agreement) == ["sign"]
    task.refresh_from_db()
    assert task.owner_id == winner.pk
