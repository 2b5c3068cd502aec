"""The pages that start, renew, stop or complete a process: a task by its number (the step's form, with the same
checks as from Viewflow's inbox), a new proposal, the renewal of an agreement in force, and the
withdrawal or archiving of an agreement at any step (its open tasks are cancelled). Mounted in the "agreements"
namespace beside the record pages (config/urls.py), so their URL names read agreements:create and so on."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from agreements.common.access import agreement_for
from agreements.common.errors import ServiceError
from agreements.common.guards import require_page_role
from agreements.common.roles import Role
from agreements.records.forms import CloseForm, ProposalForm

from . import services
from .flows import AgreementFlow
from .nodes import Step
from .views import step_page, tasks_with_agreement


def _detail(agreement):
    return redirect("agreements:detail", reference=agreement.reference)


@login_required
def proposal_create(request):
    require_page_role(request.user, Role.DRAFTER)
    form = ProposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            agreement = services.proposal_start(actor=request.user, **form.cleaned_data)
        except ServiceError as error:
            form.add_error(None, str(error))  # the service said no: above the form, nothing written
        else:
            messages.success(request, _("Proposta %(ref)s creata.") % {"ref": agreement.reference})
            return _detail(agreement)
    return render(request, "agreements/proposal_form.html", {"form": form})


@login_required
def renewal_start(request, reference):
    """Starting a renewal opens a new agreement and its whole procedure: the page says so and asks to confirm;
    only the confirmed POST (with `confirm`) starts it."""
    agreement = agreement_for(request.user, reference=reference)
    require_page_role(request.user, Role.DRAFTER)
    if request.method == "POST" and request.POST.get("confirm"):
        try:
            renewal = services.renewal_start(agreement=agreement, actor=request.user)
        except ServiceError as error:
            messages.error(request, str(error))
            return _detail(agreement)
        messages.success(request, _("Rinnovo %(ref)s avviato.") % {"ref": renewal.reference})
        return _detail(renewal)
    return render(request, "agreements/renewal_confirm.html", {"agreement": agreement})


@login_required
def agreement_close(request, reference):
    agreement = agreement_for(request.user, reference=reference)
    require_page_role(request.user, Role.DIRECTOR)
    form = CloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.agreement_withdraw(
                agreement=agreement, actor=request.user, closure=form.cleaned_data["closure"],
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Accordo chiuso."))
            return _detail(agreement)
    return render(
        request, "agreements/action_form.html",
        {"form": form, "agreement": agreement, "heading": _("Ritira, archivia o recedi"), "submit": _("Chiudi")},
    )


@login_required
def task_page(request, task_pk):
    """A human task by its number: the step's form, with the same checks as from Viewflow's inbox."""
    task = get_object_or_404(tasks_with_agreement(AgreementFlow.task_class), pk=task_pk)
    node = task.flow_task
    if not isinstance(node, Step) or node.flow_class is not AgreementFlow:
        raise Http404
    return step_page(request, node, node.view, task)
