"""The health page (administrators): the periodic jobs' last runs and the outbox incidents; 503 when unhealthy."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from agreements.common.guards import ADMIN_ONLY, require_page_role
from agreements.common.roles import Role

from .selectors import health_report


@login_required
def health(request):
    require_page_role(request.user, Role.ADMIN, message=ADMIN_ONLY)
    report = health_report()
    return render(request, "reminders/health.html", {"report": report}, status=200 if report["ok"] else 503)
