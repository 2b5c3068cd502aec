"""The plan's monitoring and evaluation report for one year: a .docx from templates_docx/rapporto_piano.docx,
rendered by the documents room's sandboxed renderer (agreements.documents.render.render_docx), with a chart per
indicator drawn by matplotlib (hatched target bars, solid value bars, numbers on every bar: readable without
colour) and, on request, a PDF through LibreOffice as for the other documents. The numbers are those of the
monitoring page (agreements.plan.indicators), within what the requesting user may see.

A report is a read: nothing is stored and no audit event is written; `manage.py plan_report` and the button on the
monitoring page both call `plan_report_docx`."""

import io
from pathlib import Path

from django.conf import settings
from django.db.models import Prefetch
from docx import Document
from docx.shared import Cm

from agreements.activities.selectors import visible_activities
from agreements.common import dates
from agreements.common.access import visible_agreements
from agreements.common.errors import ServiceError
from agreements.common.languages import country_name
from agreements.common.roles import sees_everything, user_dg_id
from agreements.documents.render import REGION, clean_text, italian_date, render_docx
from agreements.models import Action, Activity, Agreement, Plan, Sector

from .indicators import indicator_values
from .selectors import plan_overview

TEMPLATE_PATH = Path(settings.BASE_DIR) / "templates_docx" / "rapporto_piano.docx"
CHART_MARKER = "[[grafico-indicatore-{number}]]"


def _text(value) -> str:
    if value is None:
        return "—"
    return clean_text(value)


def indicator_chart_png(indicator) -> bytes:
    """Target and value per year of the plan as grouped horizontal bars: the target hatched and white, the value
    solid grey, each with its number; black outlines and a legend, so it reads in black and white."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    rows = indicator.values
    years = [str(row["year"]) for row in rows]
    targets = [row["target"] or 0 for row in rows]
    values = [row["value"] or 0 for row in rows]
    fig, ax = plt.subplots(figsize=(6.5, 0.9 + 0.8 * len(rows)), dpi=120)
    positions = range(len(rows))
    bars_t = ax.barh([p + 0.2 for p in positions], targets, height=0.38, color="white", edgecolor="black",
                     hatch="//", label="Target")
    bars_v = ax.barh([p - 0.2 for p in positions], values, height=0.38, color="0.35", edgecolor="black",
                     label="Valore")
    for bars, numbers in ((bars_t, targets), (bars_v, [row["value"] for row in rows])):
        for bar, number in zip(bars, numbers, strict=True):
            ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2,
                    f" {number if number is not None else 'n.d.'}", va="center", fontsize=9)
    ax.set_yticks(list(positions), years)
    ax.invert_yaxis()
    ax.set_title(f"{indicator.number}. {indicator.name}"[:90], fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_xlim(0, max(targets + values + [1]) * 1.25)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def _rule_text(indicator) -> str:
    text = indicator.get_measure_display()
    if indicator.activity_kind:
        from agreements.models import ActivityKind

        text += f" ({dict(ActivityKind.choices).get(indicator.activity_kind, indicator.activity_kind)})"
    return str(text)


def _criteria(user, plan: Plan, year: int, indicators) -> list[dict]:
    """The plan's four evaluation criteria with the figures behind them, for the year."""
    activities = visible_activities(user).filter(starts_on__year=year)
    countries = sorted(set(activities.exclude(country_code="").values_list("country_code", flat=True)))
    previous = set(visible_activities(user).filter(starts_on__year__lt=year).exclude(country_code="")
                   .values_list("country_code", flat=True))
    agreements = visible_agreements(user)
    in_force = agreements.filter(status="in_force").count()
    actions = list(Action.objects.filter(plan=plan).order_by("number"))
    covered_ids = set(Activity.plan_actions.through.objects.filter(activity__in=activities, action__plan=plan)
                      .values_list("action_id", flat=True))
    covered_ids |= set(Agreement.plan_actions.through.objects.filter(agreement__in=agreements, action__plan=plan)
                       .values_list("action_id", flat=True))
    dgs = Sector.objects.filter(activities__in=activities).distinct().count()
    new_stakeholders = next((i.value_by_year[year] for i in indicators if i.measure == "new_stakeholders"), None)
    participants = next((i.value_by_year[year] for i in indicators if i.measure == "participants_on_territory"),
                        None)
    spill = activities.exclude(follow_up_projects="", funding_applications="")
    lines_stake = []
    if new_stakeholders:
        lines_stake.append(f"Nuovi stakeholder coinvolti nell'anno: {new_stakeholders['value']}.")
        for b in new_stakeholders["breakdowns"]:
            lines_stake.append(f"{b['title']}: " + "; ".join(f"{r['label']} {r['value']}" for r in b["rows"]))
    if participants:
        lines_stake.append(f"Partecipanti agli eventi sul territorio: {participants['value']}.")
    involved = activities.filter(stakeholders__isnull=False).values("stakeholders").distinct().count()
    lines_stake.append(f"Stakeholder coinvolti in attività dell'anno: {involved}.")
    return [
        {"title": "Continuità delle relazioni", "lines": [
            f"Accordi in vigore: {in_force}.",
            f"Paesi con attività nell'anno: {len(countries)} ("
            + ", ".join(country_name(c) for c in countries) + ")." if countries else "Nessun Paese con attività.",
            f"Paesi già seguiti negli anni precedenti: {len(set(countries) & previous)}.",
        ]},
        {"title": "Copertura tematica", "lines": [
            f"Azioni del piano con almeno un'attività o un accordo: {len(covered_ids)} su {len(actions)}.",
            "Azioni senza attività né accordi: "
            + (", ".join(str(a.number) for a in actions if a.pk not in covered_ids) or "nessuna") + ".",
            f"DG e settori coinvolti nelle attività dell'anno: {dgs}.",
        ]},
        {"title": "Partecipazione degli stakeholder", "lines": lines_stake},
        {"title": "Spillover", "lines": [
            f"Attività con ricadute registrate: {spill.count()}.",
            f"Con progetti di follow-up: {spill.exclude(follow_up_projects='').count()}; "
            f"con candidature a finanziamenti: {spill.exclude(funding_applications='').count()}.",
        ] + [f"{a.title}: {a.follow_up_projects or ''} {a.funding_applications or ''}".strip()
             for a in spill.order_by("starts_on")[:50]]},
    ]


def report_data(user, plan: Plan, year: int) -> dict:
    """The report's figures as plain values (the numbers of the monitoring page), before text formatting."""
    if year not in plan.years:
        raise ServiceError(f"L'anno {year} non è nel periodo del piano {plan.period}.")
    overview = plan_overview(plan)
    indicators = indicator_values(user, overview["indicators"], overview["years"])
    activities = list(
        visible_activities(user).filter(starts_on__year=year).prefetch_related(
            Prefetch("dgs", queryset=Sector.objects.order_by("name"))).order_by("starts_on", "pk")
    )
    agreements = list(
        visible_agreements(user).filter(plan_actions__plan=plan).distinct().select_related("counterpart")
        .prefetch_related(Prefetch("plan_actions", queryset=Action.objects.filter(plan=plan).order_by("number")))
        .order_by("reference")
    )
    return {"plan": plan, "year": year, "indicators": indicators, "activities": activities,
            "agreements": agreements}


def report_context(user, plan: Plan, year: int) -> tuple[dict, dict]:
    """The rendering context (every value cleaned for the XML) and the chart PNGs by marker."""
    data = report_data(user, plan, year)
    charts, indicators = {}, []
    for indicator in data["indicators"]:
        marker = CHART_MARKER.format(number=indicator.number)
        charts[marker] = indicator_chart_png(indicator)
        row = indicator.value_by_year[year]
        breakdowns = [f"{year} · {b['title']}: " + "; ".join(f"{r['label']} {r['value']}" for r in b["rows"])
                      for b in row["breakdowns"] if b["rows"]]
        indicators.append({
            "number": indicator.number, "name": _text(indicator.name), "rule": _text(_rule_text(indicator)),
            "chart": marker, "breakdowns": [_text(b) for b in breakdowns],
            "years": [{"year": v["year"], "target": _text(v["target"]), "computed": _text(v["computed"]),
                       "value": _text(v["value"]), "gap": _text(v["gap"]),
                       "note": _text("correzione manuale" if v["corrected"] else
                                     "registrato a mano" if v["recorded"] else "")}
                      for v in indicator.values],
        })
    act = " ".join(p for p in (
        f"Determina n. {plan.adoption_act_number}" if plan.adoption_act_number else "",
        f"del {italian_date(plan.adoption_act_date)}" if plan.adoption_act_date else "",
        plan.publication_reference) if p) or plan.adopted_by
    dg = Sector.objects.filter(pk=user_dg_id(user)).first()
    context = {
        "region": REGION,
        "today": italian_date(dates.today()),
        "year": year,
        "scope": _text("tutta l'attività dell'Ufficio" if sees_everything(user)
                       else f"le attività e gli accordi che coinvolgono {dg.name if dg else '—'}"),
        "plan": {"title": _text(plan.title), "period": plan.period, "act": _text(act or "")},
        "indicators": indicators,
        "criteria": [{"title": c["title"], "lines": [_text(line) for line in c["lines"]]}
                     for c in _criteria(user, plan, year, data["indicators"])],
        "activities": [{"date": a.starts_on.strftime("%d/%m/%Y"), "kind": _text(a.get_kind_display()),
                        "title": _text(a.title), "country": _text(country_name(a.country_code) if a.country_code
                                                                   else "—"),
                        "dgs": _text(", ".join(d.name for d in a.dgs.all()) or "—"),
                        "participants": _text(a.participants)} for a in data["activities"]],
        "agreements": [{"reference": _text(a.reference), "title": _text(a.title),
                        "counterpart": _text(a.counterpart.name), "status": _text(a.get_status_display()),
                        "end_date": a.end_date.strftime("%d/%m/%Y") if a.end_date else "—",
                        "actions": _text(", ".join(str(x.number) for x in a.plan_actions.all()))}
                       for a in data["agreements"]],
    }
    return context, charts


def _insert_charts(docx: bytes, charts: dict) -> bytes:
    document = Document(io.BytesIO(docx))
    for paragraph in document.paragraphs:
        png = charts.get(paragraph.text.strip())
        if png is None:
            continue
        for run in list(paragraph.runs):
            run._r.getparent().remove(run._r)
        paragraph.add_run().add_picture(io.BytesIO(png), width=Cm(15))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def plan_report_docx(*, user, plan: Plan, year: int) -> bytes:
    context, charts = report_context(user, plan, year)
    return _insert_charts(render_docx(TEMPLATE_PATH.read_bytes(), context), charts)


def plan_report_pdf(*, user, plan: Plan, year: int) -> bytes:
    from agreements.documents.pdf import docx_to_pdf

    return docx_to_pdf(plan_report_docx(user=user, plan=plan, year=year))
