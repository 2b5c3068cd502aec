"""Completing a human task: the one service the step pages and the API call.

A task is completed under the flow's row lock (SELECT ... FOR UPDATE on the process) in one transaction: the
step's agreements service writes and audits, then Viewflow records the task done and activates what follows.
If the service refuses, nothing is written and the task stays open. This module does not import the flow class,
so the step pages (which the flow's nodes build while the flow is defined) can import it.
"""

import inspect

from django import forms
from django.utils.translation import gettext as _
from viewflow.workflow.status import STATUS

from agreements.common.errors import InvalidDataError, InvalidStateError, PermissionDeniedError
from agreements.models import Agreement, Sector

from .permissions import principal_for


def task_complete(*, task, actor, data: dict) -> Agreement:
    """Complete one human task as `actor` with the step's form data. Exactly one of concurrent attempts wins;
    the others find the task done and get InvalidStateError."""
    with task.activation() as activation:  # the flow lock: one transaction, process row locked
        task = activation.task
        if task.status not in (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED):
            raise InvalidStateError(_("L'attività è già stata completata da un altro utente."))
        principal = principal_for(actor, task)
        if principal is None:
            raise PermissionDeniedError(_("Non puoi completare questa attività."))
        node = task.flow_task
        agreement = activation.process.agreement
        kwargs = step_data(node, data, agreement=agreement)
        if getattr(node, "per_dg", False):
            kwargs["dg"] = Sector.objects.get(pk=task.data["dg"])
        on_behalf_of = principal if principal.pk != actor.pk else None
        node.service(agreement=agreement, actor=actor, on_behalf_of=on_behalf_of, **kwargs)
        if task.status == STATUS.NEW:
            task.owner = principal
            task.status = STATUS.ASSIGNED
        if task.status == STATUS.ASSIGNED:
            task.status = STATUS.STARTED
            task.started = task.started or task.created
        task.save()
        activation.process.agreement.refresh_from_db()
        activation.complete()
        activation.activate_next()
    agreement.refresh_from_db()
    return agreement


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
