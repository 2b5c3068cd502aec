"""The outbox page (administrators): every e-mail with its state, the error of a failed one, and a retry."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agreements.common.errors import ServiceError
from agreements.common.guards import ADMIN_ONLY, require_page_role
from agreements.common.roles import Role
from agreements.health.selectors import health_report
from agreements.models import OutboxMessage

from .services import outbox_retry

OUTBOX_PAGE_SIZE = 50


@login_required
def outbox(request):
    require_page_role(request.user, Role.ADMIN, message=ADMIN_ONLY)
    state = request.GET.get("stato", "")
    qs = OutboxMessage.objects.select_related("agreement", "reminder").order_by("-created_at", "-id")
    if state:
        if state not in OutboxMessage.State.values:
            state = ""
        else:
            qs = qs.filter(state=state)
    page = Paginator(qs, OUTBOX_PAGE_SIZE).get_page(request.GET.get("pagina"))
    return render(request, "reminders/outbox.html", {
        "page": page, "state": state, "states": OutboxMessage.State.choices,
        "counts": health_report()["outbox"],
    })


@login_required
@require_POST
def outbox_retry_view(request, pk: int):
    require_page_role(request.user, Role.ADMIN, message=ADMIN_ONLY)
    message = get_object_or_404(OutboxMessage, pk=pk)
    try:
        outbox_retry(message=message, actor=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Messaggio %(id)s rimesso in coda.") % {"id": message.message_id})
    return redirect(request.POST.get("next") or reverse("reminders:outbox"))
