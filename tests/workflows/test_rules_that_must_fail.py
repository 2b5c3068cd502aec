"""Two rules whose tests could not fail before (issue 14), each checked through every door: the service, the step
page and the API. Four-eyes when the approval waits unassigned in the directors' queue and the drafter also holds
the director's role; the 30-day wait with nothing else holding the signature back (the final DGR dated early)."""

import datetime
import json

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone

from agreements.accounts.services import api_token_issue
from agreements.common.errors import PermissionDeniedError, ServiceError
from agreements.common.roles import Role
from agreements.models import Agreement, AgreementKind, AuditEvent, Status
from agreements.procedure import services as procedure
from agreements.procedure.services import Decision
from tests.support.factories import CounterpartFactory
from tests.support.lifecycle import PRESIDENT, complete, open_steps, open_tasks, task_of, through_start
from workflows import services as wf

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 1, 12, 9, 0, tzinfo=datetime.UTC)  # day 0: the notice sent and received
D = datetime.date


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def api_post(client, user, path, body):
    key = api_token_issue(user=user, actor=user).key
    return client.post(f"/api{path}", json.dumps(body), content_type="application/json",
                       headers={"Authorization": f"Bearer {key}"})


# --- Four-eyes: the approval in the directors' queue ----------------------------------------------------------


@pytest.fixture
def approval_in_the_queue(clock, drafter, director):
    """The drafter also holds the director's role; the agreement names no director, so its approval task waits
    unassigned in the queue of every director, the drafter's own included."""
    drafter.groups.add(Group.objects.get(name=Role.DIRECTOR))
    agreement = through_start(wf.proposal_start(
        actor=drafter, title="Intesa con la Baviera", kind=AgreementKind.INTESA,
        counterpart=CounterpartFactory(name="Baviera"), dgs=[], director=None, duration_months=36,
    ))
    complete(agreement, "negotiate", drafter, confirm=True)
    [task] = open_tasks(agreement, "approve")
    assert task.owner_id is None  # in the queue, held by nobody
    return agreement, task


def approved(agreement):
    return (Agreement.objects.get(pk=agreement.pk).status != Status.APPROVAL
            or AuditEvent.objects.filter(agreement=agreement, action="agreement_approve").exists())


def test_four_eyes_in_the_queue_through_the_service(approval_in_the_queue, drafter, director):
    agreement, task = approval_in_the_queue
    with pytest.raises(PermissionDeniedError):
        procedure.agreement_decide(agreement=agreement, actor=drafter, decision=Decision.APPROVE, remarks="")
    with pytest.raises(PermissionDeniedError):
        complete(agreement, "approve", drafter, decision=Decision.APPROVE, remarks="")
    assert not approved(agreement) and open_steps(agreement) == ["approve"]
    # another director takes it from the queue
    complete(agreement, "approve", director, decision=Decision.APPROVE, remarks="")
    assert approved(agreement)


def test_four_eyes_in_the_queue_through_the_step_page(approval_in_the_queue, client, drafter):
    agreement, task = approval_in_the_queue
    client.force_login(drafter)
    assert client.get(f"/attivita/{task.pk}/").status_code == 403
    response = client.post(f"/attivita/{task.pk}/", {"decision": Decision.APPROVE, "remarks": ""})
    assert response.status_code == 403
    assert not approved(agreement) and open_steps(agreement) == ["approve"]


def test_four_eyes_in_the_queue_through_the_api(approval_in_the_queue, client, drafter):
    agreement, task = approval_in_the_queue
    response = api_post(client, drafter, f"/tasks/{task.pk}/complete",
                        {"step": "approve", "data": {"decision": "approve", "remarks": ""}})
    assert response.status_code == 403, response.content
    assert not approved(agreement) and open_steps(agreement) == ["approve"]


# --- The 30-day wait (L. 131/2003 art. 6 c. 2) -----------------------------------------------------------------


@pytest.fixture
def at_signature_after_silence(clock, drafter, director, secretariat):
    """Notice sent and received on day 0 (12/01/2026); silence after the 30th day (11/02/2026); the outcome
    reported and the final DGR dated day 5, so that only the 30 days hold the signature back."""
    agreement = through_start(wf.proposal_start(
        actor=drafter, title="Intesa con la Nouvelle-Aquitaine", kind=AgreementKind.INTESA,
        counterpart=CounterpartFactory(name="Région Nouvelle-Aquitaine"), dgs=[], director=director,
        duration_months=36,
    ), director)
    day0 = timezone.localdate()
    complete(agreement, "negotiate", drafter, confirm=True)
    complete(agreement, "approve", director, decision=Decision.APPROVE, remarks="")
    complete(agreement, "giunta", secretariat, dgr_number="57/2026", dgr_date=day0)
    complete(agreement, "notify_government", secretariat, date=day0, protocol="PG/2026/001",
             dar_received_on=day0, maeci_received_on=day0)
    complete(agreement, "transmit_assembly", secretariat, date=day0, protocol="AL/2026/002")
    clock.move_to(START + datetime.timedelta(days=31))
    assert wf.timers_fire_due() == 1
    day5 = day0 + datetime.timedelta(days=5)
    complete(agreement, "report_outcome", secretariat, date=day5, protocol="AL/2026/ESITO")
    complete(agreement, "assembly_observations", secretariat, outcome="none", date=None, act="", text="")
    agreement = complete(agreement, "final_approval", secretariat, dgr_number="58/2026", dgr_date=day5)
    assert open_steps(agreement) == ["sign"]
    assert (agreement.final_dgr_date, procedure.earliest_signature_date(agreement)) == (D(2026, 1, 17),
                                                                                      D(2026, 2, 12))
    return agreement


DAY_29, DAY_30, DAY_31 = D(2026, 2, 10), D(2026, 2, 11), D(2026, 2, 12)


def test_signature_inside_the_30_days_is_refused_through_the_service(at_signature_after_silence, drafter):
    agreement = at_signature_after_silence
    for day in (DAY_29, DAY_30):
        with pytest.raises(ServiceError, match="12/02/2026"):
            complete(agreement, "sign", drafter, place="Bordeaux", date=day, **PRESIDENT)
        assert Agreement.objects.get(pk=agreement.pk).signed_on is None
    agreement = complete(agreement, "sign", drafter, place="Bordeaux", date=DAY_31, **PRESIDENT)
    assert (agreement.signed_on, agreement.status) == (DAY_31, Status.RATIFICATION)


def test_signature_inside_the_30_days_is_refused_through_the_api(at_signature_after_silence, client, drafter):
    agreement = at_signature_after_silence
    task = task_of(agreement, "sign")

    def sign(day):
        return api_post(client, drafter, f"/tasks/{task.pk}/complete", {"step": "sign", "data": {
            "place": "Bordeaux", "date": day.isoformat(), "region_signatory_office": "president",
            "region_signatory_name": PRESIDENT["region_signatory_name"]}})

    for day in (DAY_29, DAY_30):
        response = sign(day)
        assert response.status_code == 400, response.content
        assert "12/02/2026" in response.json()["detail"]
        assert Agreement.objects.get(pk=agreement.pk).signed_on is None and open_steps(agreement) == ["sign"]
    response = sign(DAY_31)
    assert response.status_code == 200, response.content
    assert response.json()["signed_on"] == "2026-02-12" and response.json()["status"] == Status.RATIFICATION
