"""Two small node classes the lifecycle needs beyond Viewflow's own."""

from django.urls import path
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.nodes.split import SplitActivation
from viewflow.workflow.nodes.view import ViewActivation

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
