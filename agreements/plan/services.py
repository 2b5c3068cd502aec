"""The Region's operational plan: loading it from its YAML transcription, exporting it, reading it for the
monitoring page, and recording indicator actuals."""

from pathlib import Path

import yaml
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.common.audit import audit_record
from agreements.common.errors import PermissionDeniedError, ServiceError
from agreements.common.roles import Role, has_role
from agreements.models import Action, Indicator, IndicatorActual, Objective, Sector

DEFAULT_PLAN_PATH = Path(__file__).resolve().parent / "data" / "plan_2022_2023.yaml"

# The years the 2022-2023 plan sets targets for.
PLAN_YEARS = (2022, 2023)

# Who may record an indicator actual: the office that runs the plan.
ACTUAL_RECORDER_ROLES = (Role.DRAFTER, Role.DIRECTOR, Role.ADMIN)
RECORDING_REFUSED = gettext_lazy("Non hai i permessi per registrare i valori degli indicatori.")

ACTION_CSV_COLUMNS = [
    "objective", "title", "timing", "sectors", "stakeholders", "output", "office_activities", "spillover",
]

_ACTION_TEXT_FIELDS = [
    "objective", "title", "short_title", "timing", "stakeholders", "output", "office_activities", "spillover",
]
_INDICATOR_FIELDS = ["expected_result", "name", "target_2022", "target_2023"]


# --- loading -------------------------------------------------------------------------------------------------

def read_plan_file(path=DEFAULT_PLAN_PATH) -> dict:
    """The YAML transcription, checked for the references load_plan relies on."""
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    sector_codes = {s["code"] for s in data["sectors"]}
    objective_numbers = {o["number"] for o in data["objectives"]}
    problems = []
    for action in data["actions"]:
        for code in action["sectors"]:
            if code not in sector_codes:
                problems.append(f"azione {action['number']}: settore sconosciuto {code!r}")
    for indicator in data["indicators"]:
        for number in indicator["objectives"]:
            if number not in objective_numbers:
                problems.append(f"indicatore {indicator['number']}: obiettivo sconosciuto {number!r}")
        for year in PLAN_YEARS:
            target = indicator[f"target_{year}"]
            if not isinstance(target, int) or isinstance(target, bool) or target < 0:
                problems.append(f"indicatore {indicator['number']}: target {year} non valido {target!r}")
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


@transaction.atomic
def load_plan(path=DEFAULT_PLAN_PATH, actor=None) -> dict:
    """Bring the plan tables in line with the YAML file: upsert objectives and indicators by number, sectors
    by code, actions by number. Rows the file does not name are left alone (agreements may point at them).
    Returns {kind: {"created": n, "updated": n, "unchanged": n}}. Running it twice changes nothing."""
    data = read_plan_file(path)
    counts = {kind: {"created": 0, "updated": 0, "unchanged": 0}
              for kind in ("objectives", "sectors", "actions", "indicators")}

    objectives = {}
    for row in data["objectives"]:
        objectives[row["number"]] = _upsert(
            Objective, {"number": row["number"]}, {"title": row["title"]}, counts["objectives"]
        )
    sectors = {}
    for row in data["sectors"]:
        sectors[row["code"]] = _upsert(
            Sector, {"code": row["code"]}, {"name": row["name"], "is_dg": bool(row["is_dg"])}, counts["sectors"]
        )
    for row in data["actions"]:
        _upsert(
            Action, {"number": row["number"]}, {name: row[name] or "" for name in _ACTION_TEXT_FIELDS},
            counts["actions"], m2m=("sectors", {sectors[code].pk for code in row["sectors"]}),
        )
    for row in data["indicators"]:
        _upsert(
            Indicator, {"number": row["number"]}, {name: row[name] for name in _INDICATOR_FIELDS},
            counts["indicators"], m2m=("objectives", {objectives[n].pk for n in row["objectives"]}),
        )

    if any(c["created"] or c["updated"] for c in counts.values()):
        audit_record(actor=actor, action="plan_load", detail={"file": Path(path).name, "counts": counts})
    return counts


def validate_indicator_actual(*, year, value) -> None:
    """The rules for an actual, shared by the service and the admin form. Raises ServiceError."""
    if isinstance(year, bool) or not isinstance(year, int) or year not in PLAN_YEARS:
        raise ServiceError(
            _("L'anno %(year)s non è coperto dal piano: sono ammessi solo %(years)s.")
            % {"year": year, "years": ", ".join(str(y) for y in PLAN_YEARS)}
        )
    if isinstance(value, bool) or not isinstance(value, int):
        raise ServiceError(_("Il valore rilevato deve essere un numero intero."))
    if value < 0:
        raise ServiceError(_("Il valore rilevato non può essere negativo (ricevuto %(value)s).") % {"value": value})


@transaction.atomic
def indicator_actual_record(*, indicator: Indicator, year: int, value: int, actor) -> IndicatorActual:
    """Record (or correct) the value an indicator reached in a year."""
    if not has_role(actor, *ACTUAL_RECORDER_ROLES):
        raise PermissionDeniedError(RECORDING_REFUSED)
    validate_indicator_actual(year=year, value=value)
    indicator = Indicator.objects.select_for_update().get(pk=indicator.pk)
    actual = IndicatorActual.objects.filter(indicator=indicator, year=year).first()
    previous = actual.value if actual else None
    if actual is None:
        actual = IndicatorActual.objects.create(indicator=indicator, year=year, value=value, recorded_by=actor)
    else:
        actual.value = value
        actual.recorded_by = actor
        actual.save(update_fields=["value", "recorded_by", "recorded_at"])
    audit_record(
        actor=actor,
        action="indicator_actual_record",
        detail={
            "indicator": indicator.number,
            "indicator_name": indicator.name,
            "year": year,
            "value": value,
            "previous_value": previous,
            "target": getattr(indicator, f"target_{year}"),
        },
    )
    return actual
