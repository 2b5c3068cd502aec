"""Plan monitoring: objectives, the system actions with the agreements that serve them, the indicators against
their targets (one bar chart each) and the office's form to record actuals."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from agreements.common.errors import InvalidDataError, PermissionDeniedError, ServiceError
from agreements.common.guards import require_page_role
from agreements.common.roles import has_role
from agreements.models import Indicator, IndicatorMeasure
from agreements.plan.indicators import indicator_values
from agreements.plan.report import plan_report_docx, plan_report_pdf
from agreements.plan.selectors import plan_action_counts, plan_by_code, plan_overview, plans
from agreements.plan.services import (
    ACTUAL_RECORDER_ROLES,
    CORRECTION_REASON_REQUIRED,
    RECORDING_REFUSED,
    indicator_actual_record,
)

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PLAN_PARAM = "piano"  # ?piano=<code> picks the plan; without it, the plan in force


class ActualForm(forms.Form):
    indicator = forms.ModelChoiceField(
        label=gettext_lazy("Indicatore"), queryset=Indicator.objects.none(),
        empty_label=gettext_lazy("Scegli l'indicatore"),
    )
    year = forms.TypedChoiceField(label=gettext_lazy("Anno"), coerce=int, choices=[])
    value = forms.IntegerField(label=gettext_lazy("Valore rilevato"), min_value=0, max_value=10_000_000)
    reason = forms.CharField(label=gettext_lazy("Motivo (obbligatorio per la correzione di un valore calcolato)"),
                             required=False, max_length=500)

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        # No plan loaded yet: no indicator and no year to choose, so any submission is refused on its fields.
        self.fields["indicator"].queryset = Indicator.objects.filter(plan=plan).order_by("number")
        self.fields["indicator"].label_from_instance = lambda i: f"{i.number}. {i.name}"
        self.fields["year"].choices = [(year, str(year)) for year in plan.years] if plan else []

    def clean(self):
        cleaned = super().clean()
        indicator = cleaned.get("indicator")
        if indicator and indicator.measure != IndicatorMeasure.MANUAL and not cleaned.get("reason"):
            self.add_error("reason", CORRECTION_REASON_REQUIRED)
        return cleaned


# Length in SVG units of the longest bar of a chart (templates/plan/monitoring.html draws the rest around it).
CHART_BAR_WIDTH = 300
CHART_ROW_HEIGHT = 64  # one plan year: the target bar above the actual bar


def indicator_chart(indicator) -> dict:
    """What the bar chart of one indicator shows: per plan year the target and the actual (None when not yet
    recorded), the share of the target reached and the bar lengths, scaled to the chart's longest bar."""
    years = []
    for position, year in enumerate(indicator.plan.years):
        target = indicator.target_by_year.get(year) or 0
        actual = indicator.actual_by_year.get(year)
        # The value that counts: the hand-recorded one, else the one computed from the register.
        computed = getattr(indicator, "value_by_year", {}).get(year, {}).get("computed")
        years.append({
            "year": year,
            "y": CHART_ROW_HEIGHT * position,
            "target": target,
            "actual": actual.value if actual else computed,
            "recorded_by": actual.recorded_by if actual else None,
            "recorded_at": actual.recorded_at if actual else None,
        })
    scale = max([1] + [y["target"] for y in years] + [y["actual"] or 0 for y in years])
    for row in years:
        row["target_width"] = round(CHART_BAR_WIDTH * row["target"] / scale, 1)
        row["actual_width"] = round(CHART_BAR_WIDTH * (row["actual"] or 0) / scale, 1)
        row["reached_pct"] = (
            round(100 * row["actual"] / row["target"]) if row["actual"] is not None and row["target"] else None
        )
        row["reached"] = row["actual"] is not None and row["actual"] >= row["target"]
    return {"indicator": indicator, "years": years, "height": CHART_ROW_HEIGHT * len(years)}


def plan_context(user, plan) -> dict:
    """The plan overview for `user`: indicators computed from the activities they may see, and per action the
    number of agreements and activities serving it (links to the filtered registers, never lists)."""
    overview = plan_overview(plan)
    indicator_values(user, overview["indicators"], overview["years"])
    overview["actions"] = plan_action_counts(user, overview["plan"], overview["actions"]) if plan else []
    overview["charts"] = [indicator_chart(indicator) for indicator in overview["indicators"]]
    overview["plan_years"] = overview["years"]
    overview["plans"] = plans()
    return overview


def _requested_plan(request):
    """The plan named by ?piano=<code> (404 when there is no such plan), else the plan in force; None when no
    plan has been loaded yet."""
    code = request.GET.get(PLAN_PARAM) or request.POST.get(PLAN_PARAM)
    plan = plan_by_code(code)
    if plan is None and code:
        raise Http404(_("Piano operativo non trovato."))
    return plan


@login_required
def plan_monitoring(request, form=None, status=200):
    require_page_role(request.user)
    plan = _requested_plan(request)
    may_record = has_role(request.user, *ACTUAL_RECORDER_ROLES)
    context = plan_context(request.user, plan)
    may_record = may_record and plan is not None
    context.update(may_record=may_record, form=form or (ActualForm(plan=plan) if may_record else None))
    return render(request, "plan/monitoring.html", context, status=status)


@login_required
@require_POST
def actual_record(request):
    require_page_role(request.user)
    require_page_role(request.user, *ACTUAL_RECORDER_ROLES, message=RECORDING_REFUSED)
    plan = _requested_plan(request)
    form = ActualForm(request.POST, plan=plan)
    if form.is_valid():
        try:
            actual = indicator_actual_record(
                indicator=form.cleaned_data["indicator"], year=form.cleaned_data["year"],
                value=form.cleaned_data["value"], actor=request.user, reason=form.cleaned_data["reason"],
            )
        except PermissionDeniedError as error:
            raise PermissionDenied(str(error)) from error
        except InvalidDataError as error:
            for field, reasons in error.errors.items():
                form.add_error(field if field in form.fields else None, reasons)
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Registrato il valore %(value)s per «%(name)s» nel %(year)s.")
                % {"value": actual.value, "name": actual.indicator.name, "year": actual.year},
            )
            anchor = f"?{PLAN_PARAM}={actual.indicator.plan.code}#indicatore-{actual.indicator.number}"
            return redirect(reverse("plan:monitoring") + anchor)
    return plan_monitoring(request, form=form, status=400)


@login_required
def plan_report(request):
    """The monitoring and evaluation report of the chosen plan and year, as the user sees it: .docx or PDF."""
    require_page_role(request.user)
    plan = _requested_plan(request)
    if plan is None:
        raise Http404(_("Piano operativo non trovato."))
    try:
        year = int(request.GET.get("anno", ""))
    except ValueError:
        raise Http404(_("Anno non valido.")) from None
    if year not in plan.years:
        raise Http404(_("L'anno non è nel periodo del piano."))
    pdf = request.GET.get("formato") == "pdf"
    data = (plan_report_pdf if pdf else plan_report_docx)(user=request.user, plan=plan, year=year)
    response = HttpResponse(data, content_type="application/pdf" if pdf else DOCX_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="rapporto-piano-{plan.code}-{year}.{"pdf" if pdf else "docx"}"'
    )
    return response
