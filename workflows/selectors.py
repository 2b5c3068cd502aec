"""Reads of the lifecycle for pages: the tasks a user can act on, each with its agreement, in constant queries."""

from django.db.models import Q, QuerySet
from viewflow.workflow.status import STATUS

from agreements import dates
from agreements.models import Delegation
from agreements.roles import Role, has_role, user_dg_id

from .flows import AgreementFlow
from .nodes import Step

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def open_tasks() -> QuerySet:
    return AgreementFlow.task_class.objects.filter(status__in=OPEN, flow_task_type="HUMAN").select_related(
        "owner", "process__agreementprocess__agreement__counterpart"
    )


def open_tasks_for(user) -> QuerySet:
    """The open tasks `user` may act on: held by them or by someone they deputise today, their DG's consultation
    tasks (DG referents), and the tasks waiting in the queue of their roles (never a text they drafted)."""
    if not user.is_authenticated:
        return open_tasks().none()
    today = dates.today()
    principals = [user.pk, *Delegation.objects.filter(deputy=user, starts_on__lte=today, ends_on__gte=today)
                  .values_list("user_id", flat=True)]
    mine = Q(owner_id__in=principals)
    dg = user_dg_id(user)
    if dg is not None and has_role(user, Role.DG_REFERENT):
        mine |= Q(flow_task=AgreementFlow.consult_dg, data__dg=dg)
    queue_steps = [node for node in AgreementFlow.instance.nodes()
                   if isinstance(node, Step) and not node.per_dg and has_role(user, *node.roles)]
    if queue_steps:
        mine |= Q(owner__isnull=True, flow_task__in=queue_steps) & ~Q(
            flow_task=AgreementFlow.approve, process__agreementprocess__agreement__drafted_by=user
        )
    return open_tasks().filter(mine).order_by("created")


def agreement_of_task(task):
    return task.process.agreementprocess.agreement
