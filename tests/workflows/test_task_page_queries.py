"""The task pages (the drafter's negotiation, a DG referent's opinion) cost the same queries whatever the number of
agreements and of other open procedures (issue 18, goal 1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements.models import AgreementKind
from tests.support.bulk import bulk_agreements
from tests.support.factories import CounterpartFactory
from tests.support.lifecycle import complete, task_of, through_start
from workflows import services as wf

pytestmark = pytest.mark.django_db


def propose(drafter, director, title, dg):
    return through_start(wf.proposal_start(
        actor=drafter, title=title, kind=AgreementKind.INTESA, counterpart=CounterpartFactory(name=f"C {title}"),
        dgs=[dg] if dg else [], director=director, duration_months=36), director)


@pytest.mark.parametrize("step, who", [("negotiate", "drafter"), ("consult_dg", "referent_agri")])
def test_task_page_runs_in_the_same_number_of_queries_with_few_and_10000_agreements(
        client, request, step, who, drafter, director, dg_agri, dg_crli, referent_agri):
    user = request.getfixturevalue(who)
    client.force_login(user)

    def open_procedures(count, start):
        for n in range(start, start + count):
            agreement = propose(drafter, director, f"Intesa {n}", dg_agri)
            if n % 2:
                complete(agreement, "negotiate", drafter, confirm=True)
        return agreement

    open_procedures(2, 0)
    agreement = open_procedures(2, 2)  # the second: at the DG consultation
    task = task_of(agreement, step) if step == "consult_dg" else task_of(open_procedures(1, 4), step)

    def cost():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/attivita/{task.pk}/")
        assert response.status_code == 200 and "<form" in response.content.decode()
        return len(ctx.captured_queries)

    small = cost()
    bulk_agreements(10_000, 0, [dg_agri, dg_crli])
    open_procedures(6, 10)
    assert cost() == small


# The queries of each task page: a session, the user (with their roles, their DG and their unread notifications:
# agreements.accounts.backends), the task with its agreement, the step's context (opinions, documents, articles,
# remarks); a referent adds the visibility check of their DG's agreement, a negotiation what came back (its last
# change of phase), a step after the approval the people its remarks name (one query for all of them).
TASK_PAGE_QUERIES = {"negotiate": 8, "consult_dg": 8, "approve": 7, "giunta": 8}


@pytest.mark.parametrize("step, who", [("negotiate", "drafter"), ("consult_dg", "referent_agri"),
                                       ("approve", "director"), ("giunta", "secretariat")])
def test_each_task_page_runs_in_a_fixed_number_of_queries(client, request, step, who, drafter, director, dg_agri,
                                                           dg_crli, referent_agri, secretariat):
    # given a procedure at the step, among 2,000 agreements and other open procedures (the test above shows the
    # count does not move from a few agreements to 10,000)
    user = request.getfixturevalue(who)
    agreement = propose(drafter, director, "Intesa al passo", dg_agri if step == "consult_dg" else None)
    if step != "negotiate":
        complete(agreement, "negotiate", drafter, confirm=True)
    if step == "giunta":
        complete(agreement, "approve", director, decision="approve", remarks="")
    bulk_agreements(2_000, 0, [dg_agri, dg_crli])
    for n in range(3):
        propose(drafter, director, f"Altra intesa {n}", dg_agri)
    task = task_of(agreement, step)
    client.force_login(user)
    # when its holder opens the task page
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/attivita/{task.pk}/")
    # then the form is there, in the step's fixed number of queries
    assert response.status_code == 200 and "<form" in response.content.decode()
    assert len(ctx.captured_queries) == TASK_PAGE_QUERIES[step], [q["sql"][:80] for q in ctx.captured_queries]
