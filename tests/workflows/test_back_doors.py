"""Back doors closed (issue 14): Viewflow's undo, cancel, revive, assign and unassign, the process cancel and the
bulk assign/unassign answer 403 to everyone, the administrator included, and change nothing; processes and tasks
are read-only in Django's admin. The procedure changes only through the services, which audit."""

import pytest
from django.urls import NoReverseMatch, reverse
from viewflow.workflow.status import STATUS

from agreements.models import AgreementKind, AuditEvent
from tests.support.factories import CounterpartFactory
from tests.support.lifecycle import task_of, through_start
from workflows import services as wf

pytestmark = pytest.mark.django_db


@pytest.fixture
def negotiation(drafter, director, secretariat):
    agreement = through_start(wf.proposal_start(
        actor=drafter, title="Intesa con la Baviera", kind=AgreementKind.INTESA,
        counterpart=CounterpartFactory(name="Baviera"), dgs=[], director=director, duration_months=36,
    ), director)
    return task_of(agreement, "negotiate")


@pytest.fixture
def staff_admin(admin_user):
    admin_user.is_staff = admin_user.is_superuser = True  # the most any account can hold
    admin_user.save()
    return admin_user


def done_task(task, step):
    done = [t for t in task.process.task_set.filter(status=STATUS.DONE) if t.flow_task.name == step]
    assert len(done) == 1
    return done[0]


def snapshot(task):
    process = task.process
    process.refresh_from_db()
    tasks = list(process.task_set.order_by("pk").values_list("pk", "status", "owner_id", "flow_task"))
    return process.status, tasks, AuditEvent.objects.count()


@pytest.mark.parametrize("action", ["undo", "cancel", "revive", "assign", "unassign"])
def test_viewflow_task_actions_are_switched_off_even_for_a_superuser(client, negotiation, staff_admin, drafter,
                                                                    action):
    done = done_task(negotiation, "inform_assembly_start")
    before = snapshot(negotiation)
    for user in (staff_admin, drafter):
        client.force_login(user)
        for task in (negotiation, done) if action in ("undo", "cancel", "revive") else (negotiation,):
            url = task.flow_task.reverse(action, args=[task.process_id, task.pk])
            assert client.get(url).status_code == 403, url
            assert client.post(url, {"_continue": "1"}).status_code == 403, url
    assert snapshot(negotiation) == before


@pytest.mark.parametrize("name", ["process_cancel", "tasks_assign", "tasks_unassign"])
def test_viewflow_process_cancel_and_bulk_assignment_are_switched_off(client, negotiation, staff_admin, name):
    before = snapshot(negotiation)
    client.force_login(staff_admin)
    args = [negotiation.process_id] if name == "process_cancel" else []
    url = _viewflow_url(name, args)
    assert client.get(url).status_code == 403
    assert client.post(url, {"pk": [negotiation.pk], "_continue": "1"}).status_code == 403
    assert snapshot(negotiation) == before


def _viewflow_url(name, args):
    from django.urls import get_resolver

    for namespace in get_resolver().namespace_dict:
        try:
            return reverse(f"{namespace}:agreement:{name}", args=args)
        except NoReverseMatch:  # not this namespace
            continue
    return reverse(f"agreement:{name}", args=args)


def test_the_task_page_offers_no_undo_cancel_or_revive(client, negotiation, staff_admin):
    client.force_login(staff_admin)
    done = done_task(negotiation, "inform_assembly_start")
    page = client.get(done.flow_task.reverse("detail", args=[done.process_id, done.pk]))
    assert page.status_code == 200
    for action in ("undo", "cancel", "revive"):
        assert done.flow_task.reverse(action, args=[done.process_id, done.pk]) not in page.content.decode()


def test_processes_and_tasks_are_read_only_in_the_admin(client, negotiation, staff_admin):
    client.force_login(staff_admin)
    before = snapshot(negotiation)
    task_url = reverse("admin:viewflow_task_change", args=[negotiation.pk])
    process_url = reverse("admin:viewflow_process_change", args=[negotiation.process_id])
    assert client.get(task_url).status_code == 200  # to read
    assert client.get(process_url).status_code == 200
    assert client.post(task_url, {"status": STATUS.DONE, "owner": staff_admin.pk}).status_code == 403
    assert client.post(process_url, {"status": STATUS.CANCELED}).status_code == 403
    assert client.get(reverse("admin:viewflow_task_add")).status_code == 403
    assert client.post(reverse("admin:viewflow_task_delete", args=[negotiation.pk]), {"post": "yes"}).status_code == 403
    assert client.post(reverse("admin:viewflow_process_delete", args=[negotiation.process_id]),
                       {"post": "yes"}).status_code == 403
    assert snapshot(negotiation) == before
