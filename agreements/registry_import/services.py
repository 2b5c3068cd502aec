"""Import of the office's existing register: every row checked first (would create, update or skip; errors with
row, column and reason), then, unless it is a dry run or a row is wrong, all rows written in one transaction.
Idempotent by reference: importing the same file twice changes nothing the second time. Each agreement created or
updated gets its audit event (`agreement_import`, the importing user, the file and the row). Imported agreements
enter the lifecycle in their state (in force, expired...): the next reminder scan and timers run take them up."""

import datetime
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from agreements.common import dates
from agreements.common.audit import audit_record
from agreements.common.errors import ServiceError
from agreements.common.guards import require_role
from agreements.common.plan_actions import ActionLookup
from agreements.common.roles import Role
from agreements.models import Agreement, Counterpart, ReferenceCounter, Sector
from agreements.models.agreement import REFERENCE_PREFIX, AgreementKind, Status
from agreements.records.services import IMPORTABLE_STATUSES

from .reading import COLUMNS, read_rows

STATUSES = (*IMPORTABLE_STATUSES, Status.RENEWED)  # concluded agreements: no procedure left to run
REFERENCE = re.compile(r"^([A-Z]{3})-(\d{4})-(\d{3,})$")
FIELDS = ("title", "kind", "counterpart", "status", "signed_on", "entry_into_force", "end_date", "dgr_number",
          "dgr_date")
DATE_KEYS = ("signed_on", "entry_into_force", "end_date", "dgr_date")

CREATE, UPDATE, SKIP, ERROR = "create", "update", "skip", "error"


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str

    def __str__(self):
        return _("riga %(row)d, colonna «%(column)s»: %(reason)s") % {
            "row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class RowPlan:
    row: int
    reference: str
    action: str = CREATE
    values: dict = field(default_factory=dict)  # model field -> value; dgs, plan_actions as lists; renews as a ref
    changes: list[str] = field(default_factory=list)  # the columns an update changes
    errors: list[RowError] = field(default_factory=list)


@dataclass
class ImportResult:
    filename: str
    rows: list[RowPlan]
    dry_run: bool
    written: bool = False

    @property
    def errors(self) -> list[RowError]:
        return [error for row in self.rows for error in row.errors]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)


class ImportRefused(ServiceError):
    """At least one row is wrong: nothing was written. `errors` lists every wrong cell."""

    def __init__(self, result: ImportResult):
        errors = result.errors
        super().__init__(_("Importazione rifiutata: %(n)d errori, nessun accordo scritto.") % {"n": len(errors)})
        self.result = result
        self.errors = errors


# --- reading cells ----------------------------------------------------------------------------------------------

def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value)
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(_("data non valida: «%s» (attesa gg/mm/aaaa)") % text)


def _choice(value, choices, what: str) -> str:
    text = _text(value).casefold()
    with translation.override("it"):
        for code, label in choices:
            if text in (code.casefold(), str(label).casefold()):
                return code
    raise ValueError(_("%(what)s sconosciuto: «%(value)s»") % {"what": what, "value": _text(value)})


def _parts(value) -> list[str]:
    return [part.strip() for part in _text(value).split(";") if part.strip()]


class _Lookups:
    """Counterparts, DGs and plan actions by name or code, read once for the whole file."""

    def __init__(self):
        self.counterparts = {c.name.casefold(): c for c in Counterpart.objects.all()}
        self.dgs = {}
        for dg in Sector.objects.filter(is_dg=True):
            self.dgs[dg.name.casefold()] = dg
            self.dgs[dg.code.casefold()] = dg
        self.actions = ActionLookup(titles=True)


# --- checking ---------------------------------------------------------------------------------------------------

def _check_row(number: int, row: dict, lookups: _Lookups, existing: dict, in_file: set) -> RowPlan:
    plan = RowPlan(row=number, reference=_text(row.get("reference")))
    values = plan.values

    def error(key, reason):
        plan.errors.append(RowError(number, COLUMNS[key], str(reason)))

    match = REFERENCE.match(plan.reference)
    if not match:
        error("reference", _("codice mancante o non valido: «%s» (atteso per esempio INT-2022-003)") % plan.reference)
    title = _text(row.get("title"))
    if not title:
        error("title", _("titolo mancante"))
    elif len(title) > 300:
        error("title", _("titolo più lungo di 300 caratteri"))
    values["title"] = title
    try:
        values["kind"] = _choice(row.get("kind"), AgreementKind.choices, _("tipo"))
        if match and REFERENCE_PREFIX[values["kind"]] != match[1]:
            error("reference", _("il codice %(ref)s non corrisponde al tipo (atteso %(prefix)s-...)")
                  % {"ref": plan.reference, "prefix": REFERENCE_PREFIX[values["kind"]]})
    except ValueError as reason:
        error("kind", reason)
    for key in DATE_KEYS:
        if key in row:
            try:
                values[key] = _date(row.get(key))
            except ValueError as reason:
                error(key, reason)
    if values.get("entry_into_force") and values.get("end_date") and values["end_date"] < values["entry_into_force"]:
        error("end_date", _("la scadenza precede l'entrata in vigore"))
    counterpart = lookups.counterparts.get(_text(row.get("counterpart")).casefold())
    if counterpart is None:
        error("counterpart", _("controparte sconosciuta: «%s» (creala prima nell'amministrazione)")
              % _text(row.get("counterpart")))
    else:
        values["counterpart"] = counterpart
        country = _text(row.get("country"))
        if country and country.casefold() != counterpart.country.casefold():
            error("country", _("«%(country)s» non è il paese di %(name)s (%(expected)s)")
                  % {"country": country, "name": counterpart.name, "expected": counterpart.country})
    if _text(row.get("status")):
        try:
            values["status"] = _choice(row.get("status"), Status.choices, _("stato"))
            if values["status"] not in STATUSES:
                error("status", _("stato non importabile: «%s» (si importano accordi in vigore o conclusi; "
                                  "quelli in corso si avviano con una proposta)") % _text(row.get("status")))
        except ValueError as reason:
            error("status", reason)
    elif values.get("end_date") and values["end_date"] < dates.today():
        values["status"] = Status.EXPIRED  # the state its dates imply
    elif values.get("entry_into_force") or values.get("signed_on"):
        values["status"] = Status.IN_FORCE
    else:
        error("status", _("stato mancante e nessuna data da cui dedurlo"))
    if "dgr_number" in row:
        values["dgr_number"] = _text(row.get("dgr_number"))[:30]
    if "dgs" in row:
        unknown = [name for name in _parts(row.get("dgs")) if name.casefold() not in lookups.dgs]
        if unknown:
            error("dgs", _("DG sconosciute: %s") % ", ".join(unknown))
        values["dgs"] = sorted({lookups.dgs[n.casefold()].pk for n in _parts(row.get("dgs")) if n not in unknown})
    if "plan_actions" in row:
        actions, problems = lookups.actions.resolve_all(_parts(row.get("plan_actions")))
        if problems:
            error("plan_actions", "; ".join(problems))
        values["plan_actions"] = sorted(action.pk for action in actions)
    if "renews" in row:
        renews = _text(row.get("renews"))
        if renews and renews not in existing and renews not in in_file:
            error("renews", _("l'accordo rinnovato %s non è nel registro né nel file") % renews)
        values["renews"] = renews
    return plan


def _current(agreement: Agreement) -> dict:
    values = {name: getattr(agreement, name) for name in FIELDS}
    values["dgs"] = sorted(dg.pk for dg in agreement.dgs.all())
    values["plan_actions"] = sorted(action.pk for action in agreement.plan_actions.all())
    values["renews"] = agreement.renews.reference if agreement.renews_id else ""
    return values


def register_import_check(rows: list[tuple[int, dict]]) -> list[RowPlan]:
    """What importing `rows` would do, row by row: create, update (with the changed columns), skip (same as the
    register), or error (with every wrong cell). Writes nothing."""
    lookups = _Lookups()
    references = [_text(row.get("reference")) for _, row in rows]
    existing = {a.reference: a for a in Agreement.objects.filter(reference__in=references)
                .select_related("counterpart", "renews").prefetch_related("dgs", "plan_actions")}
    in_file = set(references)
    seen: dict[str, int] = {}
    plans = []
    for number, row in rows:
        plan = _check_row(number, row, lookups, existing, in_file)
        if plan.reference in seen:
            plan.errors.append(RowError(number, COLUMNS["reference"],
                                        _("codice ripetuto: già alla riga %d") % seen[plan.reference]))
        seen.setdefault(plan.reference, number)
        if plan.errors:
            plan.action = ERROR
        elif plan.reference in existing:
            current = _current(existing[plan.reference])
            plan.changes = [COLUMNS.get(k, k) for k, v in plan.values.items() if current.get(k) != v]
            if plan.changes and existing[plan.reference].status not in STATUSES:
                plan.errors.append(RowError(number, COLUMNS["reference"], _(
                    "l'accordo %s è in corso di procedura: non si modifica con un'importazione") % plan.reference))
                plan.action = ERROR
            else:
                plan.action = UPDATE if plan.changes else SKIP
        plans.append(plan)
    return plans


# --- writing ----------------------------------------------------------------------------------------------------

def _apply(plan: RowPlan, agreement: Agreement | None, *, actor, filename: str) -> Agreement:
    values = dict(plan.values)
    dgs, actions = values.pop("dgs", None), values.pop("plan_actions", None)
    values.pop("renews", None)  # linked once every row exists
    if agreement is None:
        agreement = Agreement.objects.create(reference=plan.reference, **values)
        prefix, year, number = REFERENCE.match(plan.reference).groups()
        counter, _created = ReferenceCounter.objects.select_for_update().get_or_create(prefix=prefix, year=int(year))
        if counter.last < int(number):  # a later proposal must not get an imported code
            counter.last = int(number)
            counter.save(update_fields=["last"])
    else:
        for name, value in values.items():
            setattr(agreement, name, value)
        agreement.version += 1
        agreement.save()
    if dgs is not None:
        agreement.dgs.set(dgs)
    if actions is not None:
        agreement.plan_actions.set(actions)
    audit_record(actor=actor, agreement=agreement, action="agreement_import", detail={
        "file": filename, "row": plan.row, "reference": plan.reference, "result": plan.action,
        "changed": plan.changes, "status": agreement.status,
    })
    return agreement


@transaction.atomic
def register_import(*, actor, content: bytes, filename: str, dry_run: bool = False) -> ImportResult:
    """Import the register in `content` (the file `filename`, .xlsx, .ods or .csv). All or nothing: any wrong row
    raises ImportRefused listing every error, and nothing is written; a dry run only reports. Administrators."""
    require_role(actor, Role.ADMIN)
    _keys, rows = read_rows(content, filename)
    result = ImportResult(filename=filename, rows=register_import_check(rows), dry_run=dry_run)
    if result.errors:
        raise ImportRefused(result)
    if dry_run:
        return result
    todo = [plan for plan in result.rows if plan.action in (CREATE, UPDATE)]
    existing = {a.reference: a for a in Agreement.objects.select_for_update()
                .filter(reference__in=[plan.reference for plan in todo])}
    written = {plan.reference: _apply(plan, existing.get(plan.reference), actor=actor, filename=filename)
               for plan in todo}
    for plan in todo:
        if "renews" in plan.values:
            renews = plan.values["renews"]
            agreement = written[plan.reference]
            agreement.renews = Agreement.objects.get(reference=renews) if renews else None
            agreement.save(update_fields=["renews", "updated_at"])
    result.written = bool(todo)
    return result
