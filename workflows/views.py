"""The page of a human step: the step's form, completed through workflows.completion.task_complete.

Viewflow's own wrapper locks the process for the whole POST; ours leaves locking to the service so that a refused
completion shows the form again with the reason, and a task someone else completed meanwhile says so."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import FormView
from viewflow.workflow.status import STATUS

from agreements.common.access import can_see
from agreements.common.errors import ServiceError
from agreements.common.links import agreement_path
from agreements.records.selectors import observations_wait, task_context

from .completion import form_kwargs, task_complete
from .permissions import principal_for

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


class StepView(FormView):
    template_name = "workflows/step.html"
    form_class = None

    def setup(self, request, *args, task, agreement, principal, **kwargs):
        super().setup(request, *args, **kwargs)
        self.task, self.agreement, self.principal = task, agreement, principal

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), **form_kwargs(self.form_class, self.agreement)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(task=self.task, agreement=self.agreement, step_title=self.task.flow_task.task_title,
                       rule=getattr(self.task.flow_task, "rule", None),
                       wait=observations_wait(self.agreement) if self.task.flow_task.name == "record_observations"
                       else None,
                       on_behalf_of=self.principal if self.principal.pk != self.request.user.pk else None)
        context.update(task_context(self.agreement))  # the text, documents, opinions and remarks it is about
        return context

    def form_valid(self, form):
        try:
            task_complete(task=self.task, actor=self.request.user, data=form.data)
        except ServiceError as error:  # a rule about one field (dates out of order): shown next to it
            form.add_error(error.field if error.field in form.fields else None, str(error))
            return self.form_invalid(form)
        messages.success(self.request, _("Attività «%(step)s» completata.") % {"step": self.task.flow_task.task_title})
        return redirect(agreement_path(self.agreement.reference))


def tasks_with_agreement(task_class):
    """Tasks read with their agreement (and its counterpart, which the page's text needs) in the same query."""
    return task_class.objects.select_related("process__agreementprocess__agreement__counterpart")


def step_page(request, node, view, task):
    """The step's page for `task` (read with tasks_with_agreement), after the checks: 404 for what the user may
    not see, 403 for what they may not do."""
    if task.flow_task != node:
        raise Http404
    agreement_process = getattr(task.process, "agreementprocess", None)
    agreement = agreement_process.agreement if agreement_process else None
    if agreement is None or not can_see(request.user, agreement):
        raise Http404
    if task.status not in OPEN:
        messages.info(request, _("Questa attività è già stata completata."))
        return redirect(agreement_path(agreement.reference))
    principal = principal_for(request.user, task, agreement)
    if principal is None:
        raise PermissionDenied(_("Non puoi completare questa attività."))
    return view(request, task=task, agreement=agreement, principal=principal)


def step_view_wrapper(node, view):
    """Find the task, check who may act (step_page)."""

    @login_required
    def wrapped(request, process_pk, task_pk, **kwargs):
        task = get_object_or_404(tasks_with_agreement(node.flow_class.task_class), pk=task_pk,
                                 process_id=process_pk)
        return step_page(request, node, view, task)

    return wrapped
