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


# --- The steps the law adds around the text (agreements/common/rules.py) -------------------------------------


def secretariat_user():
    """The Giunta secretariat of the test (the `secretariat` fixture's user, created if the test did not ask)."""
    from django.contrib.auth import get_user_model

    from agreements.common.roles import Role
    from tests.support.factories import UserFactory

    return (get_user_model().objects.filter(username="segreteria").first()
            or UserFactory(username="segreteria", roles=[Role.SECRETARIAT]))


def through_start(agreement, director=None, creates_commitments=None, criteria=""):
    """From the proposal to the negotiation task: qualification (light kinds), initial informativa to the
    Assembly (binding texts), notice of negotiations (accordi with a State)."""
    from django.utils import timezone

    if "qualify" in open_steps(agreement):
        complete(agreement, "qualify", director, creates_commitments="1" if creates_commitments else "0",
                 reason="Impegni di spesa per la Regione." if creates_commitments else "Solo intenti comuni.")
    today = timezone.localdate()
    if "inform_assembly_start" in open_steps(agreement):
        complete(agreement, "inform_assembly_start", secretariat_user(), date=today, protocol="AL/2026/START")
    if "notify_negotiations" in open_steps(agreement):
        complete(agreement, "notify_negotiations", secretariat_user(), date=today, protocol="MAECI/2026/NEG",
                 criteria=criteria)
    assert open_steps(agreement) == ["negotiate"], open_steps(agreement)
    agreement.refresh_from_db()
    return agreement


def through_coordination(agreement, secretariat, dgr_number="58/2026", assembly="none"):
    """After the government's answer: outcome reported to the Assembly, the Assembly's observations, the final
    DGR. Leaves the agreement at signature."""
    from django.utils import timezone

    today = timezone.localdate()
    complete(agreement, "report_outcome", secretariat, date=today, protocol="AL/2026/ESITO")
    complete(agreement, "assembly_observations", secretariat, outcome=assembly, date=None, act="", text="")
    return complete(agreement, "final_approval", secretariat, dgr_number=dgr_number, dgr_date=today)


PRESIDENT = {"region_signatory_office": "president", "region_signatory_name": "Michele de Pascale",
             "delegation_act": "", "delegation_date": None}
