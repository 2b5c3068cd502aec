"""Pages of the reminders: the personal calendar page and the private ICS feed (the outbox and health pages
are in agreements/outbox and agreements/health).

Views never write models: issuing or revoking a calendar token is a service. The feed
is reached without a session: its private key is the credential, and a revoked or unknown key is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from agreements.common.access import visible_agreements
from agreements.common.errors import ServiceError
from agreements.models import UserToken
from agreements.models.people import token_hash
from agreements.reminders import services as reminders
from agreements.reminders.selectors import calendar_deadlines, calendar_version, calendar_window

CALENDAR_CACHE_SECONDS = 24 * 3600  # a body is found again by its fingerprint; a day bounds what is kept
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


def calendar_feed(request, key: str):
    """The private feed: the deadlines inside the calendar window (reminders/selectors.py, calendar_window). The
    body is cached per user, language and fingerprint of its data (one query computes it); the ETag is that
    fingerprint and Last-Modified the time the body was built, so a client asking again with If-None-Match or
    If-Modified-Since gets 304 until an event changes."""
    token = UserToken.active(key, UserToken.Purpose.CALENDAR)  # looked up by the key's hash
    if token is None:
        raise Http404(_("Calendario non trovato"))
    agreements = visible_agreements(token.user)
    start, end = calendar_window()
    version = calendar_version(agreements, start=start, end=end)
    cache_key = f"calendar-feed:{token.user_id}:{token.user.get_username()}:{get_language()}:{version}"
    cached = cache.get(cache_key)
    if cached is None:
        stamp = timezone.now().replace(microsecond=0)
        body = reminders.calendar_ics(calendar_deadlines(agreements, start=start, end=end),
                                      name=_("Intese: scadenze di %(user)s") % {"user": token.user.get_username()},
                                      stamp=stamp)
        cached = (body, stamp.timestamp())
        cache.set(cache_key, cached, CALENDAR_CACHE_SECONDS)
    body, built = cached
    etag = quote_etag(f"{version}-{get_language()}")
    response = get_conditional_response(request, etag=etag, last_modified=int(built))
    if response is None:
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="intese.ics"'
    response["ETag"] = etag
    response["Last-Modified"] = http_date(built)
    # Private (the key is in the URL) and checked at every use: clients revalidate with the validators above.
    response["Cache-Control"] = "private, no-cache"
    return response
