"""Two small node classes the lifecycle needs beyond Viewflow's own."""

from django.urls import path
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.nodes.join import JoinActivation as ViewflowJoinActivation
from viewflow.workflow.nodes.split import SplitActivation
from viewflow.workflow.nodes.view import ViewActivation
from viewflow.workflow.status import STATUS

from agreements.common import rules

from . import assignments, permissions
from .views import StepView, step_view_wrapper


class SplitEachActivation(SplitActivation):
    @Activation.status.super()
    def activate(self):
        """Like Split, but a branch with a data source becomes one task per item (task.data = item).
        Viewflow's open-source Split documents `data_source` but does not fan out on it."""
        for node, cond, data_source in self.flow_task._branches:
            if cond and not cond(self):
                continue
            if data_source is None:
                self.next_tasks.append((node, None))
            else:
                self.next_tasks.extend((node, item) for item in data_source(self))


class SplitEach(flow.Split):
    """Parallel split with a per-item fan-out: `.Next(this.consult_dg, data_source=this.dg_tasks)` creates one
    consultation task per DG involved in the agreement."""

    activation_class = SplitEachActivation

    def Next(self, node, case=None, data_source=None):
        self._activate_next.append((node, case, data_source))
        return self


class JoinActivation(ViewflowJoinActivation):
    """Viewflow's join, with the run in hand: an arrival at an existing join task reuses the process (and the
    agreement the flow keeps current on it) instead of reading both again, and the incoming tokens are read once
    per arrival (Viewflow asks for them in each of its two condition checks and again on completion)."""

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        """As Viewflow's JoinActivation.create, with `task.process` set to the process in hand."""
        task_class = flow_task.flow_class.task_class
        tasks = list(task_class._default_manager.filter(
            flow_task=flow_task, process=prev_activation.process, status__in=[STATUS.NEW, STATUS.STARTED])[:2])
        if len(tasks) > 1:
            raise FlowRuntimeError("More than one join instance for process found")
        if tasks:
            task = tasks[0]
            task.process = prev_activation.process
        else:
            if token.is_split_token():
                token = token.get_base_split_token()
            task = task_class(process=prev_activation.process, flow_task=flow_task, token=token)
            task.data = data if data is not None else {}
            task.seed = seed
            task.save()
        task.previous.add(prev_activation.task)
        return cls(task)

    def _join_token_prefixes(self):
        if getattr(self, "_prefixes", None) is None:
            self._prefixes = super()._join_token_prefixes()
        return self._prefixes

    def cancel_active_tasks(self, active_tasks):
        """The branches still open (a deadline timer) are cancelled with the process in hand."""
        active_tasks = list(active_tasks)
        for task in active_tasks:
            task.process = self.process
        super().cancel_active_tasks(active_tasks)


class Join(flow.Join):
    """Viewflow's Join (JoinActivation above); its `continue_on_condition` is asked once per arrival, where
    Viewflow asks it up to three times with nothing changed in between."""

    activation_class = JoinActivation

    def _resolve(self, cls):
        super()._resolve(cls)
        condition = self._continue_on_condition
        if condition is None:
            return

        def once_per_arrival(activation, active_tasks):
            if not hasattr(activation, "_condition_value"):
                activation._condition_value = condition(activation, active_tasks)
            return activation._condition_value

        self._continue_on_condition = once_per_arrival


class StepActivation(ViewActivation):
    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        """Viewflow creates the task (and assigns it); then, in the same transaction, everyone it reaches is told.
        The one place where tasks notify: every Step node, whatever its name, goes through here."""
        activation = super().create(flow_task, prev_activation, token, data=data, seed=seed)
        assignments.task_created(activation.task)
        return activation


class Step(flow.View):
    """A human step of the procedure: a form whose cleaned data goes to one agreements service.

    `rule` names the row of the procedure's rule table (agreements/common/rules.py) the step applies;
    `roles` may hold the task; `per_dg` tasks belong to the DG in task.data and any referent of that DG may act.
    Who may act is decided by workflows.permissions, for Viewflow's own pages and ours alike. Creating its task
    tells the people it reaches (StepActivation, workflows.assignments).
    """

    activation_class = StepActivation

    def __init__(self, form_class, *, service, roles, per_dg=False, rule=None):
        super().__init__(StepView.as_view(form_class=form_class))
        self.form_class = form_class
        self.rule = rules.rule_for(rule) if rule else None
        self.service = service
        self.roles = roles
        self.per_dg = per_dg

    @property
    def view_path(self):
        return path(
            f"<int:process_pk>/{self.name}/<int:task_pk>/execute/",
            step_view_wrapper(self, self.view),
            name="execute",
        )

    def can_execute(self, user, task):
        return permissions.may_act(user, task)

    def can_assign(self, user, task):
        """Viewflow's assign and unassign are switched off: a task is taken by completing it (task_complete),
        audited; an assignment made elsewhere would change who holds a task with no trace."""
        return False

    def can_unassign(self, user, task):
        return False
