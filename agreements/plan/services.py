"""The Region's operational plan: loading it from its YAML transcription, exporting it, reading it for the
monitoring page, and recording indicator actuals."""

import datetime
import re
from pathlib import Path

import yaml
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.common.audit import audit_record
from agreements.common.errors import InvalidDataError, PermissionDeniedError, ServiceError
from agreements.common.roles import Role, has_role
from agreements.models import (
    Action,
    ActivityKind,
    Indicator,
    IndicatorActual,
    IndicatorMeasure,
    IndicatorTarget,
    Objective,
    Plan,
    Sector,
)

DEFAULT_PLAN_PATH = Path(__file__).resolve().parent / "data" / "plan_2022_2023.yaml"

# Who may record an indicator actual: the office that runs the plan.
ACTUAL_RECORDER_ROLES = (Role.DRAFTER, Role.DIRECTOR, Role.ADMIN)
RECORDING_REFUSED = gettext_lazy("Non hai i permessi per registrare i valori degli indicatori.")
CORRECTION_REASON_REQUIRED = gettext_lazy(
    "Indicare il motivo: correggere un valore calcolato dal registro richiede una motivazione.")

ACTION_CSV_COLUMNS = [
    "objective", "title", "timing", "sectors", "stakeholders", "output", "office_activities", "spillover",
]

_ACTION_TEXT_FIELDS = [
    "objective", "title", "short_title", "timing", "stakeholders", "output", "office_activities", "spillover",
]
_INDICATOR_FIELDS = ["expected_result", "name", "measure", "activity_kind"]
# Older transcriptions wrote one key per year ("target_2022: 12"); they are read as the `targets` mapping.
_YEAR_TARGET_KEY = re.compile(r"^target_(\d{4})$")
_PERIOD = re.compile(r"^\s*(\d{4})\s*(?:-\s*(\d{4}))?\s*$")


# --- loading -------------------------------------------------------------------------------------------------

def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _plan_record(source: dict, problems: list) -> dict:
    """The plan's own fields from the file's `source` section."""
    match = _PERIOD.match(str(source.get("period") or ""))
    if not match:
        problems.append(f"periodo non valido {source.get('period')!r} (atteso AAAA-AAAA)")
        return {}
    start, end = int(match.group(1)), int(match.group(2) or match.group(1))
    if end < start:
        problems.append(f"periodo non valido {source.get('period')!r}: l'ultimo anno precede il primo")
    title = str(source.get("title") or "").strip()
    if not title:
        problems.append("titolo del piano mancante")
    act_date = source.get("adoption_act_date")
    if act_date is not None and not isinstance(act_date, datetime.date):
        try:
            act_date = datetime.date.fromisoformat(str(act_date))
        except ValueError:
            problems.append(f"data della determina non valida {act_date!r} (attesa AAAA-MM-GG)")
            act_date = None
    return {
        "code": slugify(str(source.get("code") or f"{start}-{end}")),
        "title": title,
        "start_year": start,
        "end_year": end,
        "adopted_by": str(source.get("adopted_by") or ""),
        "adoption_act_number": str(source.get("adoption_act_number") or ""),
        "adoption_act_date": act_date,
        "publication_reference": str(source.get("publication_reference") or ""),
    }


def _indicator_targets(indicator: dict) -> dict:
    """{year: value} from `targets` (or the older target_<year> keys)."""
    targets = dict(indicator.get("targets") or {})
    for key, value in indicator.items():
        match = _YEAR_TARGET_KEY.match(str(key))
        if match:
            targets[int(match.group(1))] = value
    return {int(year) if str(year).isdigit() else year: value for year, value in targets.items()}


def read_plan_file(path=DEFAULT_PLAN_PATH) -> dict:
    """The YAML transcription, checked for the references load_plan relies on. Adds `plan` (the Plan fields)
    and, to each indicator, `targets` as {year: value} for exactly the years of the plan's period."""
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict) or not all(
        isinstance(data.get(kind), list) for kind in ("objectives", "sectors", "actions", "indicators")
    ):
        raise ServiceError(_("Il file del piano non ha le sezioni attese: obiettivi, settori, azioni, indicatori."))
    problems = []
    data["plan"] = plan = _plan_record(data.get("source") or {}, problems)
    years = set(range(plan["start_year"], plan["end_year"] + 1)) if plan else set()
    sector_codes = {s["code"] for s in data["sectors"]}
    objective_numbers = {o["number"] for o in data["objectives"]}
    for action in data["actions"]:
        for code in action["sectors"]:
            if code not in sector_codes:
                problems.append(f"azione {action['number']}: settore sconosciuto {code!r}")
    for indicator in data["indicators"]:
        for number in indicator["objectives"]:
            if number not in objective_numbers:
                problems.append(f"indicatore {indicator['number']}: obiettivo sconosciuto {number!r}")
        indicator["targets"] = targets = _indicator_targets(indicator)
        if years and set(targets) != years:
            problems.append(
                f"indicatore {indicator['number']}: target per gli anni {sorted(targets, key=str)}, "
                f"il periodo del piano è {sorted(years)}"
            )
        for year, target in targets.items():
            if not _is_count(target):
                problems.append(f"indicatore {indicator['number']}: target {year} non valido {target!r}")
        rule = indicator.get("rule") or {}
        indicator["measure"] = rule.get("measure") or IndicatorMeasure.MANUAL
        indicator["activity_kind"] = rule.get("kind") or ""
        if indicator["measure"] not in IndicatorMeasure.values:
            problems.append(f"indicatore {indicator['number']}: regola sconosciuta {indicator['measure']!r}")
        if indicator["activity_kind"] and indicator["activity_kind"] not in ActivityKind.values:
            problems.append(f"indicatore {indicator['number']}: tipologia di attività sconosciuta "
                            f"{indicator['activity_kind']!r}")
    for kind in ("objectives", "sectors", "actions", "indicators"):
        key = "code" if kind == "sectors" else "number"
        keys = [row[key] for row in data[kind]]
        if len(keys) != len(set(keys)):
            problems.append(f"{kind}: chiavi duplicate")
    if problems:
        raise ServiceError(_("Il file del piano non è coerente: %(problems)s") % {"problems": "; ".join(problems)})
    return data


def _upsert(model, lookup: dict, values: dict, counts: dict, m2m: tuple[str, set] | None = None):
    """Create or update one row; count it as created, updated or unchanged. m2m: (field, wanted pks)."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        if m2m:
            getattr(obj, m2m[0]).set(m2m[1])
        counts["created"] += 1
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
    m2m_changed = False
    if m2m:
        manager = getattr(obj, m2m[0])
        if set(manager.values_list("pk", flat=True)) != m2m[1]:
            manager.set(m2m[1])
            m2m_changed = True
    counts["updated" if changed or m2m_changed else "unchanged"] += 1
    return obj


PLAN_LOAD_KINDS = ("plan", "objectives", "sectors", "actions", "indicators", "targets")


@transaction.atomic
def load_plan(path=DEFAULT_PLAN_PATH, actor=None) -> dict:
    """Bring one plan in line with its YAML file: the plan by its code, its objectives, actions and indicators by
    number within it, sectors (shared by all plans) by code, targets by indicator and year. Other plans are left
    alone, and so are rows the file does not name (agreements may point at them). Returns
    {kind: {"created": n, "updated": n, "unchanged": n}}. Running it twice changes nothing."""
    data = read_plan_file(path)
    counts = {kind: {"created": 0, "updated": 0, "unchanged": 0} for kind in PLAN_LOAD_KINDS}
    fields = dict(data["plan"])
    plan = _upsert(Plan, {"code": fields.pop("code")}, fields, counts["plan"])

    objectives = {}
    for row in data["objectives"]:
        objectives[row["number"]] = _upsert(
            Objective, {"plan": plan, "number": row["number"]}, {"title": row["title"]}, counts["objectives"]
        )
    sectors = {}
    for row in data["sectors"]:
        sectors[row["code"]] = _upsert(
            Sector, {"code": row["code"]}, {"name": row["name"], "is_dg": bool(row["is_dg"])}, counts["sectors"]
        )
    for row in data["actions"]:
        _upsert(
            Action, {"plan": plan, "number": row["number"]},
            {name: row.get(name) or "" for name in _ACTION_TEXT_FIELDS},
            counts["actions"], m2m=("sectors", {sectors[code].pk for code in row["sectors"]}),
        )
    for row in data["indicators"]:
        indicator = _upsert(
            Indicator, {"plan": plan, "number": row["number"]}, {name: row[name] for name in _INDICATOR_FIELDS},
            counts["indicators"], m2m=("objectives", {objectives[n].pk for n in row["objectives"]}),
        )
        for year, value in sorted(row["targets"].items()):
            _upsert(IndicatorTarget, {"indicator": indicator, "year": year}, {"value": value}, counts["targets"])

    if any(c["created"] or c["updated"] for c in counts.values()):
        audit_record(actor=actor, action="plan_load",
                     detail={"file": Path(path).name, "plan": plan.code, "counts": counts})
    return counts


def validate_indicator_actual(*, plan: Plan, year, value) -> None:
    """The rules for an actual, shared by the service and the admin form. Raises ServiceError."""
    if isinstance(year, bool) or not isinstance(year, int) or year not in plan.years:
        raise ServiceError(
            _("L'anno %(year)s non è coperto dal piano: sono ammessi solo %(years)s.")
            % {"year": year, "years": ", ".join(str(y) for y in plan.years)}
        )
    if isinstance(value, bool) or not isinstance(value, int):
        raise ServiceError(_("Il valore rilevato deve essere un numero intero."))
    if value < 0:
        raise ServiceError(_("Il valore rilevato non può essere negativo (ricevuto %(value)s).") % {"value": value})


@transaction.atomic
def indicator_actual_record(*, indicator: Indicator, year: int, value: int, actor,
                            reason: str = "") -> IndicatorActual:
    """Record the value an indicator reached in a year: the value of a manual indicator (reason optional), or a
    correction of the value computed from the activity register (shown as such, with who entered it, when and
    why: the reason is required)."""
    if not has_role(actor, *ACTUAL_RECORDER_ROLES):
        raise PermissionDeniedError(RECORDING_REFUSED)
    indicator = Indicator.objects.select_for_update().select_related("plan").get(pk=indicator.pk)
    validate_indicator_actual(plan=indicator.plan, year=year, value=value)
    reason = (reason or "").strip()
    if indicator.measure != IndicatorMeasure.MANUAL and not reason:
        # A correction overrides what the register says: whoever reads the page must learn why.
        raise InvalidDataError.for_field("reason", CORRECTION_REASON_REQUIRED)
    actual = IndicatorActual.objects.filter(indicator=indicator, year=year).first()
    previous = actual.value if actual else None
    if actual is None:
        actual = IndicatorActual.objects.create(indicator=indicator, year=year, value=value, recorded_by=actor,
                                                reason=reason or "")
    else:
        actual.value = value
        actual.recorded_by = actor
        actual.reason = reason or ""
        actual.save(update_fields=["value", "recorded_by", "recorded_at", "reason"])
    audit_record(
        actor=actor,
        action="indicator_actual_record",
        detail={
            "indicator": indicator.number,
            "indicator_name": indicator.name,
            "year": year,
            "value": value,
            "previous_value": previous,
            "measure": indicator.measure,
            "correction": indicator.measure != IndicatorMeasure.MANUAL,
            "reason": reason or "",
            "plan": indicator.plan.code,
            "target": IndicatorTarget.objects.filter(indicator=indicator, year=year)
            .values_list("value", flat=True).first(),
        },
    )
    return actual
