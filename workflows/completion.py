"""Completing a human task: the one service the step pages and the API call.

A task is completed under the flow's row lock (SELECT ... FOR UPDATE on the process) in one transaction: the
step's agreements service writes and audits, then Viewflow records the task done and activates what follows.
If the service refuses, nothing is written and the task stays open. This module does not import the flow class,
so the step pages (which the flow's nodes build while the flow is defined) can import it.
"""

import contextlib
import inspect

from django import forms
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from viewflow.workflow import lock
from viewflow.workflow.exceptions import FlowLockFailed, FlowRuntimeError
from viewflow.workflow.status import STATUS

from agreements.common.errors import InvalidDataError, InvalidStateError, PermissionDeniedError
from agreements.models import Agreement, Sector
from agreements.notifications import services as notifications
from agreements.records.services import holding

from .permissions import AGREEMENT_AT_HAND, principal_for


class _RunLock:
    """The flow's row lock as AgreementFlow declares it (SelectForUpdateLock(nowait=False, attempts=1): the
    process row FOR UPDATE, in one transaction), taking in the same query the run, its agreement (locked too:
    the step writes it) and the agreement's people and counterpart, which the notifications read."""

    def __init__(self):
        self.process = None

    @contextlib.contextmanager
    def __call__(self, flow_class, process_pk):
        with transaction.atomic():
            try:
                self.process = (
                    flow_class.process_class._default_manager.filter(agreement__isnull=False)
                    .select_related(*AGREEMENT_AT_HAND).select_for_update(of=("self", "agreement"))
                    .get(pk=process_pk)
                )
            except DatabaseError as exc:
                raise FlowLockFailed(f"Lock failed for {flow_class}") from exc
            yield


def _same_lock(flow_class) -> bool:
    impl = flow_class.lock_impl
    return isinstance(impl, lock.SelectForUpdateLock) and not impl.nowait and impl.attempts == 1


def task_complete(*, task, actor, data: dict) -> Agreement:
    """Complete one human task as `actor` with the step's form data. Exactly one of concurrent attempts wins;
    the others find the task done and get InvalidStateError."""
    flow_class = task.flow_task.flow_class
    if not _same_lock(flow_class):
        raise FlowRuntimeError(f"{flow_class.__name__}: task_complete expects SelectForUpdateLock(nowait=False, "
                               "attempts=1)")
    run_lock = _RunLock()
    # What Task.activation() does (the flow lock, the task read again under it), with the run and its agreement
    # read once, in the lock's query: not again by the activation, the permission check and the step.
    with lock.lock_scope(run_lock, flow_class, task.process_id):
        task = type(task)._default_manager.get(pk=task.pk)
        if task.status not in (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED):
            raise InvalidStateError(_("L'attività è già stata completata da un altro utente."))
        process = run_lock.process
        task.process = process
        activation = task.flow_task.activation_class(task)
        agreement = process.agreement
        principal = principal_for(actor, task, agreement=agreement)
        if principal is None:
            raise PermissionDeniedError(_("Non puoi completare questa attività."))
        node = task.flow_task
        kwargs = step_data(node, data, agreement=agreement)
        if getattr(node, "per_dg", False):
            kwargs["dg"] = Sector.objects.get(pk=task.data["dg"])
        on_behalf_of = principal if principal.pk != actor.pk else None
        # The step runs in the lock's transaction, on the agreement locked above (records.holding: the services'
        # locked() does not read it again), without its own savepoint (inspect.unwrap drops the service's
        # @transaction.atomic): a refused step raises out of this block and the whole transaction rolls back,
        # which is all a savepoint would give here. The notifications of the transition are written together.
        with holding(agreement), notifications.batched():
            result = inspect.unwrap(node.service)(agreement=agreement, actor=actor, on_behalf_of=on_behalf_of,
                                                  **kwargs)
            if isinstance(result, Agreement) and result.pk == agreement.pk:
                process.agreement = result  # the step's written instance: what the routing reads next
            if task.status == STATUS.NEW:
                task.owner = principal
                task.status = STATUS.ASSIGNED
            if task.status == STATUS.ASSIGNED:
                task.status = STATUS.STARTED
                task.started = task.started or task.created
            activation.complete()  # saves the task once: taken, started and done in the same row write
            activation.activate_next()
    # Every writer of the run keeps process.agreement current (the steps above, the flow's functions and join
    # conditions): it is the agreement as committed.
    return process.agreement


def step_data(node, data: dict, agreement: Agreement | None = None) -> dict:
    """Validate `data` with the step's form (pages and API alike) and return the service's keyword arguments.
    JSON values a form field cannot read (objects, lists; numbers and booleans outside a checkbox) are refused
    or passed as text, never handed to the field as they are. A form that depends on the agreement (the
    full-powers fields of an accordo) declares `agreement` in its __init__ and gets it."""
    nested = sorted(name for name, value in data.items() if isinstance(value, dict | list))
    if nested:
        errors = {name: [_("Valore non valido.")] for name in nested}
        raise InvalidDataError(_("Dati non validi: %(fields)s") % {"fields": ", ".join(nested)}, errors)
    fields = node.form_class.base_fields
    data = {
        name: str(value) if isinstance(value, bool | int | float)
        and not isinstance(fields.get(name), forms.BooleanField) else value
        for name, value in data.items()
    }
    form = node.form_class(data=data, **form_kwargs(node.form_class, agreement))
    if not form.is_valid():
        errors = {field: [str(m) for m in messages] for field, messages in form.errors.items()}
        raise InvalidDataError(_("Dati non validi: %(fields)s") % {"fields": ", ".join(errors)}, errors)
    return form.service_data() if hasattr(form, "service_data") else dict(form.cleaned_data)


def form_kwargs(form_class, agreement) -> dict:
    """`agreement=` for the step forms whose fields depend on it, nothing for the others."""
    params = inspect.signature(form_class.__init__).parameters
    return {"agreement": agreement} if agreement is not None and "agreement" in params else {}
