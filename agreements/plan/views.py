"""Plan monitoring: objectives, the system actions with the agreements that serve them, the indicators against
their targets (one bar chart each) and the office's form to record actuals."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from agreements.common.access import visible_agreements
from agreements.common.errors import PermissionDeniedError, ServiceError
from agreements.common.guards import require_page_role
from agreements.common.roles import has_role
from agreements.models import Indicator
from agreements.plan.selectors import plan_actions, plan_overview
from agreements.plan.services import ACTUAL_RECORDER_ROLES, PLAN_YEARS, RECORDING_REFUSED, indicator_actual_record


class ActualForm(forms.Form):
    indicator = forms.ModelChoiceField(
        label=gettext_lazy("Indicatore"), queryset=Indicator.objects.order_by("number"),
        empty_label=gettext_lazy("Scegli l'indicatore"),
    )
    year = forms.TypedChoiceField(
        label=gettext_lazy("Anno"), coerce=int, choices=[(year, str(year)) for year in PLAN_YEARS],
    )
    value = forms.IntegerField(label=gettext_lazy("Valore rilevato"), min_value=0, max_value=10_000_000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].label_from_instance = lambda i: f"{i.number}. {i.name}"


# Length in SVG units of the longest bar of a chart (templates/plan/monitoring.html draws the rest around it).
CHART_BAR_WIDTH = 300
CHART_ROW_HEIGHT = 64  # one plan year: the target bar above the actual bar


def indicator_chart(indicator) -> dict:
    """What the bar chart of one indicator shows: per plan year the target and the actual (None when not yet
    recorded), the share of the target reached and the bar lengths, scaled to the chart's longest bar."""
    years = []
    for position, year in enumerate(PLAN_YEARS):
        target = getattr(indicator, f"target_{year}")
        actual = indicator.actual_by_year.get(year)
        years.append({
            "year": year,
            "y": CHART_ROW_HEIGHT * position,
            "target": target,
            "actual": actual.value if actual else None,
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


def plan_context(user) -> dict:
    """The plan overview; each action carries the agreements serving it that `user` may see."""
    overview = plan_overview()
    overview["actions"] = plan_actions(visible_agreements(user))
    overview["charts"] = [indicator_chart(indicator) for indicator in overview["indicators"]]
    overview["plan_years"] = PLAN_YEARS
    return overview


@login_required
def plan_monitoring(request, form=None, status=200):
    require_page_role(request.user)
    may_record = has_role(request.user, *ACTUAL_RECORDER_ROLES)
    context = plan_context(request.user)
    context.update(may_record=may_record, form=form or (ActualForm() if may_record else None))
    return render(request, "plan/monitoring.html", context, status=status)


@login_required
@require_POST
def actual_record(request):
    require_page_role(request.user)
    require_page_role(request.user, *ACTUAL_RECORDER_ROLES, message=RECORDING_REFUSED)
    form = ActualForm(request.POST)
    if form.is_valid():
        try:
            actual = indicator_actual_record(
                indicator=form.cleaned_data["indicator"], year=form.cleaned_data["year"],
                value=form.cleaned_data["value"], actor=request.user,
            )
        except PermissionDeniedError as error:
            raise PermissionDenied(str(error)) from error
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Registrato il valore %(value)s per «%(name)s» nel %(year)s.")
                % {"value": actual.value, "name": actual.indicator.name, "year": actual.year},
            )
            return redirect(reverse("plan:monitoring") + f"#indicatore-{actual.indicator.number}")
    return plan_monitoring(request, form=form, status=400)
