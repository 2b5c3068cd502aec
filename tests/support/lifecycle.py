"""Helpers to drive the lifecycle in tests: find the open task of a step and complete it as a user."""

from viewflow.workflow.status import STATUS

from workflows import completion
from workflows.models import AgreementProcess

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def open_tasks(agreement, step=None):
    tasks = AgreementProcess.objects.get(agreement=agreement).task_set.filter(status__in=OPEN, flow_task_type="HUMAN")
    if step:
        tasks = [t for t in tasks if t.flow_task.name == step]
    return list(tasks)


def open_steps(agreement):
    return sorted(t.flow_task.name for t in open_tasks(agreement))


def task_of(agreement, step, dg=None):
    tasks = [t for t in open_tasks(agreement, step) if dg is None or t.data.get("dg") == dg.pk]
    assert len(tasks) == 1, f"expected one open {step} task, found {[t.flow_task.name for t in open_tasks(agreement)]}"
    return tasks[0]


def complete(agreement, step, user, dg=None, **data):
    return completion.task_complete(task=task_of(agreement, step, dg), actor=user, data=data)
