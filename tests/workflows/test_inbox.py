"""The inbox: who sees which task, in a constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements.accounts.services import delegation_create
from agreements.common.roles import Role
from agreements.models import AgreementKind
from tests.support.factories import CounterpartFactory, SectorFactory, UserFactory, referent
from tests.support.lifecycle import complete, through_start
from workflows import services as wf
from workflows.selectors import agreement_of_task, open_tasks_for

pytestmark = pytest.mark.django_db


def propose(drafter, director, dgs, n):
    agreement = wf.proposal_start(actor=drafter, title=f"Intesa {n}", kind=AgreementKind.INTESA,
                                  counterpart=CounterpartFactory(name=f"Regione {n}"), dgs=dgs, director=director)
    through_start(agreement, director)
    return complete(agreement, "negotiate", drafter, confirm=True)


def steps(user):
    return sorted((agreement_of_task(t).title, t.flow_task.name) for t in open_tasks_for(user))


def test_each_user_sees_the_tasks_they_can_act_on(drafter, director, dg_agri, dg_crli, referent_agri,
                                                   referent_crli, secretariat, nogroup_user):
    propose(drafter, director, [dg_agri, dg_crli], 1)
    propose(drafter, None, [], 2)  # no DGs, no director named: approval waits in the directors' queue
    assert steps(referent_agri) == [("Intesa 1", "consult_dg")]
    assert steps(referent_crli) == [("Intesa 1", "consult_dg")]
    assert steps(director) == [("Intesa 2", "approve")]
    assert steps(secretariat) == [] and steps(nogroup_user) == []
    drafter_director = UserFactory(username="redattore-dirigente", roles=[Role.DRAFTER, Role.DIRECTOR])
    agreement = wf.proposal_start(actor=drafter_director, title="Intesa 3", kind=AgreementKind.MEMORANDUM,
                                  counterpart=CounterpartFactory(name="Regione 3"), binding=False)
    through_start(agreement, director, creates_commitments=False)
    complete(agreement, "negotiate", drafter_director, confirm=True)
    assert ("Intesa 3", "approve") not in steps(drafter_director)  # four-eyes
    assert ("Intesa 3", "approve") in steps(director)
    # A deputy sees the tasks of the person they stand in for.
    deputy = UserFactory(username="vice", roles=[Role.DG_REFERENT])
    assert steps(deputy) == []
    propose(drafter, director, [], 4)
    delegation_create(actor=director, user=director, deputy=deputy, starts_on=agreement.created_at.date(),
                      ends_on=agreement.created_at.date())
    assert ("Intesa 4", "approve") in steps(deputy)


def test_inbox_queries_do_not_grow_with_agreements_and_dgs(drafter, director):
    def count_queries(user):
        with CaptureQueriesContext(connection) as ctx:
            tasks = list(open_tasks_for(user))
            [(agreement_of_task(t).reference, agreement_of_task(t).counterpart.name, t.owner) for t in tasks]
        return len(ctx.captured_queries), len(tasks)

    dgs = [SectorFactory(code=f"dg-{i}") for i in range(2)]
    refs = [referent(dg) for dg in dgs]
    for n in range(2):
        propose(drafter, director, dgs, n)
    count_queries(refs[0])  # the user's roles and DG are read once and cached on the user
    small = count_queries(refs[0])
    more_dgs = [SectorFactory(code=f"dg-x{i}") for i in range(6)]
    for dg in more_dgs:
        referent(dg)  # a DG without referent would be refused at proposal
    for n in range(2, 12):
        propose(drafter, director, dgs + more_dgs, n)
    large = count_queries(refs[0])
    assert large[1] == 12 and small[1] == 2
    assert large[0] == small[0]
