"""Indicators computed from the activity register by their rule (measure, activity kind, year), broken down by
country and type as the plan asks, within what the user may see. A hand-recorded value (IndicatorActual) is the
value of a manual indicator, and a correction of a computed one: both keep who entered them and when.

Cost: three aggregate queries for a whole plan, whatever the number of activities or stakeholders."""

from collections import defaultdict
from urllib.parse import urlencode

from django.db.models import Count, Sum
from django.db.models.functions import ExtractYear
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from agreements.activities.selectors import visible_activities, visible_stakeholders
from agreements.common.languages import country_name
from agreements.models import Activity, CounterpartType, IndicatorMeasure, StakeholderType

NO_COUNTRY = "—"


def _register_url(**params) -> str:
    return reverse("activities:list") + "?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})


def _stakeholders_url(**params) -> str:
    return reverse("activities:stakeholders") + "?" + urlencode(params)


def _register_figures(user, years) -> dict:
    """{(kind, year): {"count": n, "territory": n, "by_country": {code: (count, territory)},
    "by_type": {counterpart type: count}}} and {year: stakeholder rows} in three queries."""
    activities = visible_activities(user).filter(starts_on__year__in=years)
    figures = defaultdict(lambda: {"count": 0, "territory": 0, "by_country": {}, "by_type": {}})
    rows = (activities.annotate(year=ExtractYear("starts_on")).values("kind", "year", "country_code")
            .annotate(n=Count("pk"), territory=Sum("participants_on_territory")).order_by())
    for row in rows:
        cell = figures[(row["kind"], row["year"])]
        territory = row["territory"] or 0
        cell["count"] += row["n"]
        cell["territory"] += territory
        cell["by_country"][row["country_code"] or ""] = (row["n"], territory)
    typed = (Activity.counterparts.through.objects.filter(activity__in=activities)
             .annotate(year=ExtractYear("activity__starts_on"))
             .values("activity__kind", "year", "counterpart__type")
             .annotate(n=Count("activity_id", distinct=True)).order_by())
    for row in typed:
        figures[(row["activity__kind"], row["year"])]["by_type"][row["counterpart__type"]] = row["n"]
    stakeholders = defaultdict(list)
    for row in (visible_stakeholders(user).filter(first_involved_on__year__in=years)
                .annotate(year=ExtractYear("first_involved_on")).values("year", "internal", "type")
                .annotate(n=Count("pk")).order_by()):
        stakeholders[row["year"]].append(row)
    return {"activities": figures, "stakeholders": stakeholders}


def _sum_kinds(figures, kind, year) -> dict:
    """The figures of one kind, or of every kind when the rule names none."""
    if kind:
        return figures.get((kind, year)) or {"count": 0, "territory": 0, "by_country": {}, "by_type": {}}
    total = {"count": 0, "territory": 0, "by_country": {}, "by_type": {}}
    for (_kind, y), cell in figures.items():
        if y != year:
            continue
        total["count"] += cell["count"]
        total["territory"] += cell["territory"]
        for code, (n, t) in cell["by_country"].items():
            old = total["by_country"].get(code, (0, 0))
            total["by_country"][code] = (old[0] + n, old[1] + t)
        for key, n in cell["by_type"].items():
            total["by_type"][key] = total["by_type"].get(key, 0) + n
    return total


def _country_rows(cell, *, kind, year, territory: bool) -> list[dict]:
    rows = [{"key": code or NO_COUNTRY, "label": country_name(code) if code else NO_COUNTRY,
             "value": t if territory else n, "url": _register_url(tipo=kind, anno=year, paese=code or None)}
            for code, (n, t) in cell["by_country"].items()]
    return sorted((r for r in rows if r["value"]), key=lambda r: (-r["value"], r["label"]))


def _type_rows(cell, *, kind, year) -> list[dict]:
    labels = dict(CounterpartType.choices)
    rows = [{"key": key, "label": str(labels.get(key, key)), "value": n,
             "url": _register_url(tipo=kind, anno=year, tipo_controparte=key)}
            for key, n in cell["by_type"].items()]
    return sorted(rows, key=lambda r: (-r["value"], r["label"]))


def _stakeholder_breakdowns(rows, year) -> tuple[int, list, list]:
    labels = dict(StakeholderType.choices)
    total = sum(r["n"] for r in rows)
    by_membership, by_type = defaultdict(int), defaultdict(int)
    for r in rows:
        by_membership[r["internal"]] += r["n"]
        by_type[r["type"]] += r["n"]
    membership = [{"key": "interno" if internal else "esterno",
                   "label": _("interni all'amministrazione regionale") if internal else _("esterni"),
                   "value": n, "url": _stakeholders_url(anno=year, interno="1" if internal else "0")}
                  for internal, n in sorted(by_membership.items(), key=lambda i: not i[0])]
    types = [{"key": key, "label": str(labels.get(key, key)), "value": n,
              "url": _stakeholders_url(anno=year, tipo=key)}
             for key, n in sorted(by_type.items(), key=lambda i: (-i[1], i[0]))]
    return total, membership, types


def indicator_values(user, indicators, years) -> list:
    """Fill each indicator (with `target_by_year` and `actual_by_year` from plan_overview) with `values`: per
    year the target, the computed value (None for a manual indicator), the hand-recorded value if any, the
    value that counts, the link to the activities behind it and the breakdowns."""
    figures = _register_figures(user, years)
    for indicator in indicators:
        indicator.values = []
        for year in years:
            recorded = indicator.actual_by_year.get(year)
            computed, link, breakdowns = None, None, []
            kind = indicator.activity_kind
            if indicator.measure in (IndicatorMeasure.ACTIVITIES, IndicatorMeasure.PARTICIPANTS_ON_TERRITORY):
                cell = _sum_kinds(figures["activities"], kind, year)
                territory = indicator.measure == IndicatorMeasure.PARTICIPANTS_ON_TERRITORY
                computed = cell["territory"] if territory else cell["count"]
                link = _register_url(tipo=kind, anno=year)
                breakdowns = [{"name": "paese", "title": _("per Paese"),
                               "rows": _country_rows(cell, kind=kind, year=year, territory=territory)}]
                if not territory:
                    breakdowns.append({"name": "tipologia", "title": _("per tipologia di controparte"),
                                       "rows": _type_rows(cell, kind=kind, year=year)})
            elif indicator.measure == IndicatorMeasure.NEW_STAKEHOLDERS:
                computed, membership, types = _stakeholder_breakdowns(figures["stakeholders"].get(year, []), year)
                link = _stakeholders_url(anno=year)
                breakdowns = [{"name": "appartenenza", "title": _("per appartenenza all'amministrazione regionale"),
                               "rows": membership},
                              {"name": "tipologia", "title": _("per tipologia"), "rows": types}]
            value = recorded.value if recorded else computed
            target = indicator.target_by_year.get(year)
            indicator.values.append({
                "year": year, "target": target, "computed": computed, "recorded": recorded,
                "corrected": recorded is not None and computed is not None, "value": value,
                "gap": (value - target) if value is not None and target is not None else None,
                "link": link, "breakdowns": breakdowns,
            })
        indicator.value_by_year = {row["year"]: row for row in indicator.values}
    return indicators
