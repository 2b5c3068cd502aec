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
        dgs=[dg], director=director, duration_months=36), director)


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
