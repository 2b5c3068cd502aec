"""Pages of the reminders: the outbox (administrators), the health of the periodic jobs (administrators), the
personal calendar page and the private ICS feed.

Views never write models: retrying a message and issuing or revoking a calendar token are services. The feed
is reached without a session: its private key is the credential, and a revoked or unknown key is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from . import reminders
from .errors import ServiceError
from .models import OutboxMessage, UserToken
from .models.people import token_hash
from .outbox import outbox_retry
from .roles import Role, has_role
from .selectors import visible_agreements

OUTBOX_PAGE_SIZE = 50


def _require_admin(user):
    if not has_role(user, Role.ADMIN):
        raise PermissionDenied(_("Pagina riservata agli amministratori."))


@login_required
def outbox(request):
    _require_admin(request.user)
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
        "counts": reminders.health_report()["outbox"],
    })


@login_required
@require_POST
def outbox_retry_view(request, pk: int):
    _require_admin(request.user)
    message = get_object_or_404(OutboxMessage, pk=pk)
    try:
        outbox_retry(message=message, actor=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Messaggio %(id)s rimesso in coda.") % {"id": message.message_id})
    return redirect(request.POST.get("next") or reverse("reminders:outbox"))


@login_required
def health(request):
    _require_admin(request.user)
    report = reminders.health_report()
    return render(request, "reminders/health.html", {"report": report}, status=200 if report["ok"] else 503)


# --- Calendar ----------------------------------------------------------------------------------------------

NEW_CALENDAR_KEY = "calendar_new_key"  # session: the clear key just created, until the page shows it once

@login_required
@require_http_methods(["GET", "POST"])
def calendar(request):
    """The user's private feed URL: create it, replace it with a new one, or revoke it. Only the key's hash is
    stored, so the URL is shown once, on the page the creation redirects to (the clear key crosses that redirect in
    the session and is taken out of it there); later visits offer a new address instead."""
    if request.method == "POST":
        action = request.POST.get("azione")
        try:
            if action == "crea":
                request.session[NEW_CALENDAR_KEY] = reminders.calendar_token_issue(actor=request.user).key
                messages.success(request, _("Nuovo indirizzo del calendario creato: il precedente non vale più."))
            elif action == "revoca":
                reminders.calendar_token_revoke(actor=request.user)
                messages.success(request, _("Indirizzo del calendario revocato."))
            else:
                messages.error(request, _("Azione non valida."))
        except ServiceError as error:
            messages.error(request, str(error))
        return redirect("reminders:calendar")
    token = reminders.calendar_token_of(request.user)
    new_key = request.session.pop(NEW_CALENDAR_KEY, None)
    feed_url = (
        request.build_absolute_uri(reverse("reminders:calendar_feed", kwargs={"key": new_key}))
        if token and new_key and token_hash(new_key) == token.key_hash else None
    )
    return render(request, "reminders/calendar.html", {"token": token, "feed_url": feed_url})


@never_cache
def calendar_feed(request, key: str):
    token = UserToken.active(key, UserToken.Purpose.CALENDAR)  # looked up by the key's hash
    if token is None:
        raise Http404(_("Calendario non trovato"))
    body = reminders.calendar_ics(reminders.calendar_deadlines(visible_agreements(token.user)),
                                  name=_("Intese: scadenze di %(user)s") % {"user": token.user.get_username()},
                                  stamp=timezone.now().replace(microsecond=0))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="intese.ics"'
    return response
