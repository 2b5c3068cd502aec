"""Reads of the lifecycle: the open tasks with their agreement, holder, deadline and page, in constant queries.

`TASKS` is the task directory the pages of `agreements` read through (agreements.common.tasks), registered at
start-up by workflows.apps."""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Case, DateField, F, IntegerField, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _
from viewflow.workflow.status import STATUS

from agreements.common import dates
from agreements.common.roles import ROLE_LABELS, Role, has_role, user_dg_id
from agreements.common.tasks import OpenTask
from agreements.models import Agreement, AgreementKind, Delegation, Opinion, Profile
from agreements.records.selectors import person_name

from .deadlines import task_due_date
from .flows import AgreementFlow
from .models import AgreementProcess
from .nodes import Step
from .permissions import principal_for

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
    # The people the user deputises today, as a subquery: no round trip of its own.
    principals = Delegation.objects.filter(deputy=user, starts_on__lte=today, ends_on__gte=today).values("user_id")
    mine = Q(owner_id=user.pk) | Q(owner_id__in=principals)
    dg = user_dg_id(user) if has_role(user, Role.DG_REFERENT) else None
    if dg is not None:
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
    return _queue_holder(task.flow_task, task.data or {})


def _queue_holder(node, data: dict) -> str:
    """Who a task in the queue waits for: the step's roles, and the DG of a consultation."""
    roles = getattr(node, "roles", ())
    label = ", ".join(str(ROLE_LABELS.get(role, role)) for role in roles) or _("da assegnare")
    dg_name = data.get("dg_name")
    return f"{label} ({dg_name})" if dg_name else label


@dataclass(frozen=True)
class TaskRow:
    """The columns of a task a list of tasks shows (workflows.selectors.inbox): no Viewflow model behind it."""

    pk: int
    flow_task: object  # the node
    created: datetime.datetime
    owner_id: int | None
    data: dict


@dataclass(frozen=True)
class AgreementRow:
    """The columns of an agreement a list of tasks shows."""

    pk: int
    reference: str
    title: str


AGREEMENT = "process__agreementprocess__agreement"


def due_date_expression():
    """task_due_date (workflows/deadlines.py) in SQL, so that a list of tasks sorts and cuts by deadline in the
    database: a DG's opinion is due on its opinion's date in the current round; the Government's observations on
    the 30th day from the later receipt of the notice (none for an accordo with a State, which waits for full
    powers). tests/records/test_dashboard.py checks the two agree."""
    opinion_due = Opinion.objects.filter(
        agreement_id=OuterRef(f"{AGREEMENT}__id"),
        dg_id=Cast(KeyTextTransform("dg", OuterRef("data")), IntegerField()),
        round=OuterRef(f"{AGREEMENT}__consultation_round"),
    ).order_by("pk").values("due_date")[:1]
    observations_from = Coalesce(f"{AGREEMENT}__observations_from", f"{AGREEMENT}__notice_government_date")
    return Case(
        When(flow_task=AgreementFlow.consult_dg, then=Subquery(opinion_due)),
        When(Q(flow_task=AgreementFlow.record_observations, **{f"{AGREEMENT}__notice_government_date__isnull": False})
             & ~Q(**{f"{AGREEMENT}__kind": AgreementKind.ACCORDO}),
             then=Cast(observations_from + datetime.timedelta(days=dates.OBSERVATION_DAYS), DateField())),
        default=None,
        output_field=DateField(),
    )


def inbox(user, agreements: QuerySet, limit: int) -> list[OpenTask]:
    """The open tasks `user` may act on among `agreements`, the first `limit` by deadline (overdue first, then the
    nearest; those without a deadline last, oldest first): one query of the columns the list shows, sorted and
    cut in the database. `agreements` without a filter (a Gabinetto user's) adds no condition."""
    tasks = open_tasks_for(user)
    if agreements.query.has_filters():
        tasks = tasks.filter(**{f"{AGREEMENT}__in": agreements.values("pk")})
    rows = (
        tasks.annotate(due=due_date_expression())
        .order_by(F("due").asc(nulls_last=True), "created", "pk")
        .values("id", "flow_task", "created", "owner_id", "data", "due", "owner__first_name", "owner__last_name",
                "owner__username", agreement_pk=F(f"{AGREEMENT}__id"),
                agreement_reference=F(f"{AGREEMENT}__reference"), agreement_title=F(f"{AGREEMENT}__title"))
    )[:limit]
    url = _task_url_maker()
    result = []
    for row in rows:
        node, data = row["flow_task"], row["data"] or {}
        if row["owner_id"]:
            holder = (f"{row['owner__first_name']} {row['owner__last_name']}".strip()
                      or row["owner__username"])
        else:
            holder = _queue_holder(node, data)
        result.append(OpenTask(
            task=TaskRow(row["id"], node, row["created"], row["owner_id"], data),
            agreement=AgreementRow(row["agreement_pk"], row["agreement_reference"], row["agreement_title"]),
            step=getattr(node, "name", ""), title=str(node.task_title or node.name) if node else "",
            holder=holder, due=row["due"], url=url(row["id"]), dg_name=data.get("dg_name"),
        ))
    return result


def _task_url_maker():
    """task_url without a reverse() per row: the path of one task, with its number put in."""
    marker = 987654321
    path = reverse("task_page", args=[marker])
    return lambda pk: path.replace(str(marker), str(pk))


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
            _open_task(task, agreement, opinions,
                       task_url(task) if principal_for(user, task, agreement) is not None else None)
            for task in open_tasks_of(agreement)
        ]

    def for_user(self, user, agreements, limit: int) -> list[OpenTask]:
        tasks = list(open_tasks_for(user).filter(
            process__agreementprocess__agreement__in=agreements.values("pk"))[:limit])
        agreement_ids = {agreement_of_task(task).pk for task in tasks}
        opinions = list(Opinion.objects.filter(agreement_id__in=agreement_ids)) if agreement_ids else []
        return [_open_task(task, agreement_of_task(task), opinions, task_url(task)) for task in tasks]

    def inbox(self, user, agreements, limit: int) -> list[OpenTask]:
        return inbox(user, agreements, limit)

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
