"""A person's notifications: the list (unread first in the header count), opening one (marked read), and the
preferences (language of the messages, immediate or daily digest for information messages)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agreements.common.errors import PermissionDeniedError, ServiceError

from . import selectors, services
from .forms import PreferencesForm


@login_required
def notification_list(request):
    return render(request, "notifications/list.html", {"notifications": selectors.notifications_for(request.user)})


@login_required
def notification_open(request, pk):
    try:
        notification = services.notification_open(notification_id=pk, user=request.user)
    except PermissionDeniedError:
        raise Http404 from None
    target = notification.url or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)


@login_required
@require_POST
def notifications_read_all(request):
    services.notifications_mark_all_read(user=request.user)
    return redirect("notifications:list")


@login_required
def preferences(request):
    current = selectors.preferences_of(request.user)
    initial = {"language": current["language"], "daily_digest": "1" if current["daily_digest"] else "0"}
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.preferences_update(user=request.user, **form.cleaned_data)
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Preferenze salvate."))
            return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})
