"""Downloads: the register (CSV, ODS) with the register's filters, the six-monthly transparency list, the plan
monitoring. Every download holds only the agreements the user may see."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from agreements.accounts.services import api_token_issue, api_token_revoke, has_api_token
from agreements.activities.selectors import filter_activities, stakeholder_rows, visible_activities
from agreements.common import dates
from agreements.common.access import visible_agreements
from agreements.common.errors import ServiceError
from agreements.common.guards import require_page_role
from agreements.exports.tables import (
    ACTIVITY_COLUMNS,
    INDICATOR_VALUE_COLUMNS,
    PLAN_ACTION_COLUMNS,
    REGISTER_COLUMNS,
    STAKEHOLDER_COLUMNS,
    TRANSPARENCY_COLUMNS,
    activity_export_rows,
    csv_chunks,
    iter_table,
    ods_bytes,
    plan_columns,
    register_filtered,
    register_rows,
    transparency_queryset,
    xlsx_chunks,
)
from agreements.plan.indicators import indicator_values
from agreements.plan.selectors import plan_actions, plan_by_code, plan_overview

ODS_TYPE = "application/vnd.oasis.opendocument.spreadsheet"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OFFICE_FORMATS = ("excel.csv", "xlsx")  # spreadsheets for people: plan actions by title
FIRST_SEMESTER = (2022, 1)  # the first semester of the plan 2022-2023


def _download(headers, rows, *, fmt: str, filename: str, sheet: str) -> HttpResponse:
    """CSV and XLSX stream: the CSV's header row leaves at once, the XLSX's first bytes after its first rows, the rest
    as the rows are read (in chunks, exports/tables.py). ODS is written whole."""
    if fmt == "ods":
        response = HttpResponse(ods_bytes(sheet, headers, list(rows)), content_type=ODS_TYPE)
    elif fmt == "xlsx":
        response = StreamingHttpResponse(xlsx_chunks(sheet, headers, rows), content_type=XLSX_TYPE)
    else:
        excel = fmt == "excel.csv"
        response = StreamingHttpResponse(csv_chunks(headers, rows, excel=excel),
                                         content_type="text/csv; charset=utf-8")
        if excel:
            fmt, filename = "csv", f"{filename}-excel"
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def semesters(today: datetime.date) -> list[str]:
    """The semesters from the plan's first to the current one, newest first ('2025-1', '2024-2', ...)."""
    year, half = FIRST_SEMESTER
    current = (today.year, 1 if today.month <= 6 else 2)
    found = []
    while (year, half) <= current:
        found.append(f"{year}-{half}")
        year, half = (year, 2) if half == 1 else (year + 1, 1)
    return found[::-1]


def _index(request, *, error: str = "", status: int = 200):
    today = dates.today()
    context = {"semesters": semesters(today), "error": error, "query": request.GET.urlencode()}
    return render(request, "exports/index.html", context, status=status)


@login_required
@require_GET
def index(request):
    require_page_role(request.user)
    return _index(request)


@login_required
@require_GET
def register(request, fmt):
    require_page_role(request.user)
    try:
        agreements = register_filtered(request.user, request.GET)
    except ServiceError as error:
        return _index(request, error=str(error), status=400)
    headers, rows = iter_table(REGISTER_COLUMNS, register_rows(agreements), human=True, office=fmt in OFFICE_FORMATS)
    return _download(headers, rows, fmt=fmt, filename=f"registro-accordi-{dates.today().isoformat()}",
                     sheet=_("Registro"))


@login_required
@require_GET
def transparency(request, fmt):
    require_page_role(request.user)
    semester = request.GET.get("semester", "")
    try:
        agreements = transparency_queryset(visible_agreements(request.user), semester)
        headers, rows = iter_table(TRANSPARENCY_COLUMNS, agreements, human=True, office=fmt in OFFICE_FORMATS)
    except ServiceError as error:
        return _index(request, error=str(error), status=400)
    return _download(headers, rows, fmt=fmt, filename=f"accordi-trasparenza-{semester}",
                     sheet=_("Accordi %(semester)s") % {"semester": semester})


@login_required
@require_GET
def plan_indicators(request, fmt="csv"):
    require_page_role(request.user)
    overview = plan_overview(_requested_plan(request))
    headers, rows = iter_table(plan_columns(overview["years"]), overview["indicators"], human=True,
                          office=fmt in OFFICE_FORMATS)
    return _download(headers, rows, fmt=fmt, filename="monitoraggio-piano-indicatori", sheet=_("Indicatori"))


def _requested_plan(request):
    """?piano=<code> picks the plan (404 if there is none such); without it, the plan in force (or None)."""
    code = request.GET.get("piano")
    plan = plan_by_code(code)
    if plan is None and code:
        raise Http404(_("Piano operativo non trovato."))
    return plan


@login_required
@require_GET
def plan_actions_sheet(request, fmt="csv"):
    require_page_role(request.user)
    actions = plan_actions(visible_agreements(request.user), _requested_plan(request))
    headers, rows = iter_table(PLAN_ACTION_COLUMNS, actions, human=True, office=fmt in OFFICE_FORMATS)
    return _download(headers, rows, fmt=fmt, filename="monitoraggio-piano-azioni", sheet=_("Azioni"))


plan_csv = plan_indicators  # the first URLs, kept: piano-indicatori.csv and piano-azioni.csv
plan_actions_csv = plan_actions_sheet


@login_required
@require_http_methods(["GET", "POST"])
def api_key(request):
    """The user's own API key: generate a new one (shown once, the old one stops working) or revoke it."""
    require_page_role(request.user)
    new_key = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            api_token_revoke(user=request.user, actor=request.user)
            messages.success(request, _("La chiave API è stata revocata."))
            return redirect("exports:api_key")
        new_key = api_token_issue(user=request.user, actor=request.user).key
    context = {"has_key": new_key is not None or has_api_token(request.user), "new_key": new_key}
    return render(request, "exports/api_key.html", context)


# --- activity register, stakeholders, computed indicator values (plan monitoring, issue 17) ----------------------

@login_required
@require_GET
def activities_sheet(request, fmt="csv"):
    """The activity register with the register's filters (?tipo=&anno=&paese=...), as the user sees it."""
    require_page_role(request.user)
    qs = filter_activities(visible_activities(request.user), request.GET).order_by("-starts_on", "-pk")
    headers, rows = iter_table(ACTIVITY_COLUMNS, activity_export_rows(qs), human=True, office=fmt in OFFICE_FORMATS)
    return _download(headers, rows, fmt=fmt, filename="registro-attivita", sheet=_("Attività"))


@login_required
@require_GET
def stakeholders_sheet(request, fmt="csv"):
    require_page_role(request.user)
    headers, rows = iter_table(STAKEHOLDER_COLUMNS, stakeholder_rows(request.user, request.GET), human=True,
                          office=fmt in OFFICE_FORMATS)
    return _download(headers, rows, fmt=fmt, filename="registro-stakeholder", sheet=_("Stakeholder"))


@login_required
@require_GET
def indicator_values_sheet(request, fmt="csv"):
    """The plan's indicators computed from the register (the user's visibility), one row per indicator and year."""
    require_page_role(request.user)
    overview = plan_overview(_requested_plan(request))
    indicators = indicator_values(request.user, overview["indicators"], overview["years"])
    headers, rows = iter_table(INDICATOR_VALUE_COLUMNS, [(i, v) for i in indicators for v in i.values], human=True,
                          office=fmt in OFFICE_FORMATS)
    return _download(headers, rows, fmt=fmt, filename="monitoraggio-piano-valori", sheet=_("Valori"))
