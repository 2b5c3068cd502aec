"""The queries of one transition of the lifecycle (issue 18, goal 6: at most 22, constant in the number of
agreements). A transition is what a task page's POST runs: workflows.completion.task_complete, from the lock to
the commit, with the step's service, its audit event, the notifications and the next tasks."""

import pytest

from agreements.models import Agreement, AuditEvent, Notification, OpinionKind, OutboxMessage, Status
from agreements.procedure.services import Decision
from tests.support.factories import CounterpartFactory
from tests.support.lifecycle import complete, open_steps, task_of, through_start
from workflows import completion
from workflows import services as wf

# In the test's transaction the transition's BEGIN and COMMIT are a SAVEPOINT and its RELEASE: counted the same.
pytestmark = pytest.mark.django_db

MAX_QUERIES = 22


def in_consultation(drafter, director, dgs, n):
    agreement = wf.proposal_start(
        actor=drafter, title=f"Intesa {n}", kind="intesa", counterpart=CounterpartFactory(name="Région Bretagne"),
        dgs=list(dgs), director=director, duration_months=36,
    )
    through_start(agreement, director)
    complete(agreement, "negotiate", drafter, confirm=True)
    return agreement


def opinion_then_approval(agreement, people, assert_max_queries):
    """The first DG's opinion and the director's approval, each within the goal; the second opinion in between
    (it also closes the consultation), not counted. Returns the agreement and both counts."""
    drafter, director, dg_agri, dg_crli, referent_agri, referent_crli = people
    opinion_task = task_of(agreement, "consult_dg", dg_agri)
    with assert_max_queries(MAX_QUERIES) as opinion:
        completion.task_complete(task=opinion_task, actor=referent_agri,
                                 data={"kind": OpinionKind.FAVOURABLE, "notes": ""})
    complete(agreement, "consult_dg", referent_crli, dg=dg_crli, kind=OpinionKind.FAVOURABLE, notes="")
    approval_task = task_of(agreement, "approve")
    with assert_max_queries(MAX_QUERIES) as approval:
        approved = completion.task_complete(task=approval_task, actor=director,
                                            data={"decision": Decision.APPROVE, "remarks": ""})
    return approved, len(opinion), len(approval)


def test_a_dg_opinion_and_the_directors_approval_stay_within_22_queries_whatever_the_number_of_agreements(
    drafter, director, secretariat, dg_agri, dg_crli, referent_agri, referent_crli, django_assert_max_num_queries
):
    people = (drafter, director, dg_agri, dg_crli, referent_agri, referent_crli)
    # given an agreement in consultation with two DGs (and one before it, whose transitions fill the caches a
    # first use fills: what is compared below is the number of agreements, not a cold start)
    in_consultation(drafter, director, [dg_agri, dg_crli], 0)
    first = in_consultation(drafter, director, [dg_agri, dg_crli], 1)
    opinion_then_approval(Agreement.objects.order_by("pk").first(), people, django_assert_max_num_queries)
    # when the first DG gives its opinion and, after the second, the director approves
    approved, opinion_small, approval_small = opinion_then_approval(first, people, django_assert_max_num_queries)
    # then each transition stayed within the goal (asserted above), and did its work
    assert approved.status == Status.GIUNTA
    assert open_steps(first) == ["giunta"]
    assert AuditEvent.objects.filter(agreement=first, action="opinion_give", actor=referent_agri).count() == 1
    assert AuditEvent.objects.filter(agreement=first, action="agreement_approve", actor=director).count() == 1
    # the drafter heard of the opinion and of the phase change; the secretariat got the Giunta task, by e-mail
    assert Notification.objects.filter(agreement=first, user=drafter, kind="opinion").count() == 2
    assert Notification.objects.filter(agreement=first, user=drafter, kind="phase",
                                       key__contains="-giunta-").count() == 1
    task_mail = Notification.objects.get(agreement=first, user=secretariat, kind="task",
                                         key=f"task-{task_of(first, 'giunta').pk}-u{secretariat.pk}")
    assert task_mail.outbox is not None and task_mail.outbox.to == [secretariat.email]
    # and nobody was told of their own act: the director approved and got no phase message of it
    assert not Notification.objects.filter(agreement=first, user=director, kind="phase",
                                           key__contains="-giunta-").exists()
    assert not Notification.objects.filter(agreement=first, user=referent_agri, kind="opinion").exists()
    assert OutboxMessage.objects.filter(agreement=first).count() == Notification.objects.filter(
        agreement=first, outbox__isnull=False).count()

    # given four more agreements in consultation (more tasks, notifications, e-mails and audit rows)
    for n in range(2, 6):
        in_consultation(drafter, director, [dg_agri, dg_crli], n)
    last = in_consultation(drafter, director, [dg_agri, dg_crli], 6)
    # when the same two transitions run on the last one
    approved, opinion_large, approval_large = opinion_then_approval(last, people, django_assert_max_num_queries)
    # then they cost exactly as many queries as with one agreement
    assert approved.status == Status.GIUNTA
    assert (opinion_large, approval_large) == (opinion_small, approval_small)
