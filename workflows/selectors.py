"""Reads of the lifecycle: the open tasks with their agreement, holder, deadline and page, in constant queries.

`TASKS` is the task directory the pages of `agreements` read through (agreements.common.tasks), registered at
start-up by workflows.apps."""

from django.contrib.auth import get_user_model
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from viewflow.workflow.status import STATUS

from agreements.common import dates
from agreements.common.roles import ROLE_LABELS, Role, has_role, user_dg_id
from agreements.common.tasks import OpenTask
from agreements.models import Agreement, Delegation, Opinion, Profile
from agreements.records.selectors import person_name

from .deadlines import task_due_date
from .flows import AgreementFlow
from .models import AgreementProcess
from .nodes import Step
from .permissions import may_act

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
User = get_user_model()


def open_tasks() -> QuerySet:
    return AgreementFlow.task_class.objects.filter(status__in=OPEN, flow_task_type="HUMAN").select_related(
        "owner", "process__agreementprocess__agreement__counterpart"
    )


def open_tasks_of(agreement: Agreement) -> QuerySet:
    return open_tasks().filter(process__agreementprocess__agreement=agreement).order_by("created", "pk")


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


def agreement_of_task(task) -> Agreement:
    return task.process.agreementprocess.agreement


def task_url(task) -> str:
    """The page where `task` is done (our step form), outside Viewflow's console so DG referents reach it too."""
    return reverse("task_page", args=[task.pk])


def task_title(task) -> str:
    return str(task.flow_task.task_title or task.flow_task.name) if task.flow_task else ""


def task_holder(task) -> str:
    if task.owner_id:
        return person_name(task.owner)
    roles = getattr(task.flow_task, "roles", ())
    label = ", ".join(str(ROLE_LABELS.get(role, role)) for role in roles) or _("da assegnare")
    dg_name = (task.data or {}).get("dg_name")
    return f"{label} ({dg_name})" if dg_name else label


def _open_task(task, agreement, opinions, url) -> OpenTask:
    node = task.flow_task
    return OpenTask(
        task=task, agreement=agreement, step=getattr(node, "name", ""), title=task_title(task),
        holder=task_holder(task), due=task_due_date(task, agreement, opinions), url=url,
        dg_name=(task.data or {}).get("dg_name"),
        fields=list(node.form_class.base_fields) if hasattr(node, "form_class") else [],
    )


class ViewflowTaskDirectory:
    """agreements.common.tasks.TaskDirectory over Viewflow's task table."""

    def for_agreement(self, agreement, user, opinions=()) -> list[OpenTask]:
        return [
            _open_task(task, agreement, opinions, task_url(task) if may_act(user, task) else None)
            for task in open_tasks_of(agreement)
        ]

    def for_user(self, user, agreements, limit: int) -> list[OpenTask]:
        tasks = list(open_tasks_for(user).filter(
            process__agreementprocess__agreement__in=agreements.values("pk"))[:limit])
        agreement_ids = {agreement_of_task(task).pk for task in tasks}
        opinions = list(Opinion.objects.filter(agreement_id__in=agreement_ids)) if agreement_ids else []
        return [_open_task(task, agreement_of_task(task), opinions, task_url(task)) for task in tasks]

    def idle_rows(self, *, created_from, created_before, agreement_fields) -> list[dict]:
        prefix = "process__agreementprocess__agreement__"
        rows = (
            AgreementFlow.task_class.objects.filter(
                status__in=OPEN, flow_task_type="HUMAN", created__gte=created_from, created__lt=created_before,
                process__agreementprocess__agreement__isnull=False)
            .values("id", "flow_task", "created", "owner_id", "owner__email", "owner__is_active", "data",
                    **{f"agreement_{name}": F(prefix + name) for name in agreement_fields})
            .order_by("id")
        )
        return [{**row, "task_title": _node_title(row.pop("flow_task"))} for row in rows]

    def process_links(self, agreement) -> dict:
        process = AgreementProcess.objects.filter(agreement=agreement).order_by("-pk").first()
        if process is None:
            return {"process": "/workflow/", "chart": "/workflow/"}
        return {
            "process": reverse("agreement:process_detail", kwargs={"process_pk": process.pk}),
            "chart": reverse("agreement:process_chart", kwargs={"process_pk": process.pk}),
        }

    def unreachable(self) -> list[OpenTask]:
        """Four queries whatever the number of tasks: the open tasks, the DGs with an active referent, the active
        people of each role, and today's deputies of the holders."""
        tasks = list(open_tasks().order_by("created", "pk"))
        if not tasks:
            return []
        referent_dgs = set(Profile.objects.filter(user__is_active=True, user__groups__name=Role.DG_REFERENT)
                           .values_list("dg_id", flat=True))
        by_role: dict[str, set] = {}
        for role, user_id in User.objects.filter(is_active=True).values_list("groups__name", "pk"):
            by_role.setdefault(role, set()).add(user_id)
        today = dates.today()
        deputised = set(Delegation.objects.filter(starts_on__lte=today, ends_on__gte=today, deputy__is_active=True)
                        .values_list("user_id", flat=True))
        result = []
        for task in tasks:
            node = task.flow_task
            agreement = agreement_of_task(task)
            if getattr(node, "per_dg", False):
                reachable = (task.data or {}).get("dg") in referent_dgs
            elif task.owner_id:
                reachable = task.owner.is_active or task.owner_id in deputised
            else:
                people = set().union(*(by_role.get(role, set()) for role in getattr(node, "roles", ())))
                if Role.DIRECTOR in getattr(node, "roles", ()):
                    people.discard(agreement.drafted_by_id)
                reachable = bool(people)
            if not reachable:
                result.append(_open_task(task, agreement, (), task_url(task)))
        return result


def _node_title(node) -> str:
    """The step's title ("Negoziazione testo") of a task's node."""
    try:
        return str(node.task_title or node.name)
    except Exception:  # noqa: BLE001 - a renamed node still gets its reminder, with its raw name
        return str(node)


TASKS = ViewflowTaskDirectory()
