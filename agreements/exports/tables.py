"""The register, the six-monthly transparency list and the plan monitoring as tables: CSV, ODS and JSON-ready
rows. The caller passes a queryset already limited to what the user may see (common.access.visible_agreements).

Each table is a list of columns: a machine key (the CSV header of the command-line exports and the JSON keys),
an Italian label (the header of the downloads from the site), the raw value and, where the register shows a
label instead of a code (kind, status), the shown value, and where the office wants more than a code in its
spreadsheets (plan actions by title), the office value. Dates stay dates until written: ISO 8601 in the plain CSV
and JSON, dd/mm/yyyy in the CSV for Excel, date cells in XLSX and ODS."""

import csv
import datetime
import decimal
import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableColumn, TableRow
from odf.text import P
from openpyxl.utils import get_column_letter

from agreements.common.errors import InvalidDataError, ServiceError
from agreements.common.labels import choice_label
from agreements.models import Action, Activity, ActivityKind, Agreement, AgreementKind, Status
from agreements.models.agreement import RatificationForm
from agreements.records.filters import RegisterFilter
from agreements.records.selectors import dg_names_by_agreement, register_agreements

REGION_NAME = "Regione Emilia-Romagna"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    value: Callable
    shown: Callable | None = None
    office: Callable | None = None

    def get(self, obj, human: bool, office: bool = False):
        if office and self.office:
            return self.office(obj)
        return (self.shown or self.value)(obj) if human else self.value(obj)


def table(columns: list[Column], objects: Iterable, *, human: bool, office: bool = False
          ) -> tuple[list[str], list[list]]:
    """(headers, rows): Italian labels and shown values when `human`, machine keys and raw values otherwise;
    with `office`, the values meant for the office's spreadsheets (plan actions by title)."""
    headers, rows = iter_table(columns, objects, human=human, office=office)
    return headers, list(rows)


# Rows read from the database in chunks of this many agreements (with their prefetches): an export of 10,000 rows
# holds one chunk in memory at a time, and its first bytes leave before the last rows are read.
CHUNK = 2000


def iter_table(columns: list[Column], objects: Iterable, *, human: bool, office: bool = False
               ) -> tuple[list[str], Iterator[list]]:
    """As table(), with the rows as a lazy iterator: a queryset is read in chunks (QuerySet.iterator, prefetches
    included), nothing is read before the first row is asked for."""
    headers = [str(c.label) if human else c.key for c in columns]
    getters = [_getter(c, human, office) for c in columns]

    def rows():
        source = objects.iterator(chunk_size=CHUNK) if isinstance(objects, QuerySet) else objects
        for obj in source:
            yield [get(obj) for get in getters]

    return headers, rows()


def _getter(column: Column, human: bool, office: bool) -> Callable:
    if office and column.office:
        return column.office
    return (column.shown or column.value) if human else column.value


def records(columns: list[Column], objects: Iterable) -> list[dict]:
    """Rows as {key: raw value} with ISO dates: the JSON of the command-line exports."""
    return [{c.key: _plain(c.value(obj)) for c in columns} for obj in objects]


def _plain(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


# --- register ------------------------------------------------------------------------------------------------

REGISTER_COLUMNS = [
    Column("reference", gettext_lazy("Codice"), lambda a: a["reference"]),
    Column("title", gettext_lazy("Titolo"), lambda a: a["title"]),
    Column("kind", gettext_lazy("Tipo"), lambda a: a["kind"], lambda a: choice_label(AgreementKind, a["kind"])),
    Column("counterpart", gettext_lazy("Controparte"), lambda a: a["counterpart__name"]),
    Column("country", gettext_lazy("Paese"), lambda a: a["counterpart__country"]),
    Column("status", gettext_lazy("Stato"), lambda a: a["status"], lambda a: choice_label(Status, a["status"])),
    Column("signed_on", gettext_lazy("Data di firma"), lambda a: a["signed_on"]),
    Column("entry_into_force", gettext_lazy("Entrata in vigore"), lambda a: a["entry_into_force"]),
    Column("end_date", gettext_lazy("Scadenza"), lambda a: a["end_date"]),
    Column("renews", gettext_lazy("Rinnova"), lambda a: a["renews__reference"] or ""),
    Column("dgs", gettext_lazy("DG coinvolte"), lambda a: "; ".join(a["dgs"])),
    Column("plan_actions", gettext_lazy("Azioni del piano"),
           lambda a: "; ".join(reference for reference, _title in a["plan_actions"]),
           office=lambda a: "; ".join(f"{reference}. {title}" for reference, title in a["plan_actions"])),
    Column("dgr_number", gettext_lazy("Numero DGR"), lambda a: a["dgr_number"]),
    Column("dgr_date", gettext_lazy("Data DGR"), lambda a: a["dgr_date"]),
]

REGISTER_FIELDS = ("id", "reference", "title", "kind", "counterpart__name", "counterpart__country", "status",
                   "signed_on", "entry_into_force", "end_date", "renews__reference", "dgr_number", "dgr_date")


def in_chunks(rows: Iterable[dict], complete: Callable[[list[dict]], list[dict]]) -> Iterator[dict]:
    """`rows` (plain values, read lazily) in their order, CHUNK at a time through `complete`, which adds to a
    chunk's rows what they list (a few queries per chunk, not per row)."""
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield from complete(chunk)
            chunk = []
    if chunk:
        yield from complete(chunk)


def register_rows(agreements: QuerySet) -> Iterator[dict]:
    """The register's rows as the columns read them: plain values (no model instance per row), read in chunks of
    CHUNK agreements, each chunk with its DGs and plan actions in two more queries; in the queryset's order."""
    return in_chunks(agreements.prefetch_related(None).values(*REGISTER_FIELDS).iterator(chunk_size=CHUNK),
                     _with_lists)


def _with_lists(rows: list[dict]) -> list[dict]:
    ids = [row["id"] for row in rows]
    dgs, actions = dg_names_by_agreement(ids), {}
    for agreement_id, plan, number, title in (
            Agreement.plan_actions.through.objects.filter(agreement_id__in=ids)
            .order_by("agreement_id", "action__plan__start_year", "action__plan__code", "action__number")
            .values_list("agreement_id", "action__plan__code", "action__number", "action__short_title")):
        actions.setdefault(agreement_id, []).append((f"{plan}/{number}", title))
    for row in rows:
        row["dgs"], row["plan_actions"] = dgs.get(row["id"], []), actions.get(row["id"], [])
    return rows


def register_filtered(user, params) -> QuerySet:
    """The register as the user sees it with `params` (the register page's query string: q, kind, status,
    country, dg, plan_action, expiring_before, ordering; records/filters.py). A malformed filter raises
    InvalidDataError naming it, rather than being ignored: an export must not silently hold more than asked."""
    filterset = RegisterFilter(params, queryset=register_agreements(user))
    if not filterset.is_valid():
        errors = {name: [str(e) for e in messages] for name, messages in filterset.errors.items()}
        problems = [
            f"{filterset.form.fields[name].label}: {' '.join(messages)}" if name in filterset.form.fields
            else " ".join(messages)
            for name, messages in errors.items()
        ]
        raise InvalidDataError(_("Filtri non validi. %s") % "; ".join(problems), errors)
    return register_queryset(filterset.qs)


def register_queryset(agreements: QuerySet) -> QuerySet:
    """What the register columns read, joined or prefetched, for callers that want model instances (the API's
    list): a fixed number of queries whatever the number of rows. The downloads read register_rows instead."""
    return agreements.select_related("counterpart", "renews").prefetch_related(
        "dgs", Prefetch("plan_actions", queryset=Action.objects.select_related("plan")))


# --- transparency list (D.Lgs. 33/2013 art. 23) ---------------------------------------------------------------

SEMESTER = re.compile(r"^(\d{4})-([12])$")


def semester_bounds(semester: str) -> tuple[datetime.date, datetime.date]:
    """'2022-1' -> 1 January to 30 June 2022; '2022-2' -> 1 July to 31 December 2022."""
    match = SEMESTER.match(semester or "")
    if not match:
        raise ServiceError(
            _("Semestre non valido: %s (formato atteso AAAA-1 per gennaio-giugno, AAAA-2 per luglio-dicembre).")
            % semester
        )
    year, half = int(match[1]), int(match[2])
    if half == 1:
        return datetime.date(year, 1, 1), datetime.date(year, 6, 30)
    return datetime.date(year, 7, 1), datetime.date(year, 12, 31)


def _parties(agreement) -> str:
    parties = [agreement.counterpart, *agreement.other_counterparts.all()]
    return "; ".join([REGION_NAME, *(f"{c.name} ({c.country})" for c in parties)])


def _act(number, day) -> str:
    return f"{number} del {day:%d/%m/%Y}" if number and day else (number or "")


def _final_dgr(agreement) -> str:
    return _act(agreement.final_dgr_number, agreement.final_dgr_date)


def _ratification(agreement) -> str:
    if not agreement.ratification_act:
        return ""
    form = choice_label(RatificationForm, agreement.ratification_form) if agreement.ratification_form else ""
    return " ".join(part for part in (form, _act(agreement.ratification_act, agreement.ratification_date)) if part)


def _burert(agreement) -> str:
    return _act(agreement.burert_reference, agreement.published_on)


TRANSPARENCY_COLUMNS = [
    Column("reference", gettext_lazy("Codice"), lambda a: a.reference),
    Column("subject", gettext_lazy("Oggetto"), lambda a: a.title),
    Column("parties", gettext_lazy("Parti"), _parties),
    Column("signed_on", gettext_lazy("Data di sottoscrizione"), lambda a: a.signed_on),
    Column("dgr_number", gettext_lazy("Numero DGR"), lambda a: a.dgr_number),
    Column("dgr_date", gettext_lazy("Data DGR"), lambda a: a.dgr_date),
    Column("end_date", gettext_lazy("Scadenza"), lambda a: a.end_date),
    # D.Lgs. 33/2013 art. 23 c. 2 (original text): the expected expense and the references of the main acts.
    Column("estimated_cost", gettext_lazy("Spesa prevista (EUR)"), lambda a: a.estimated_cost),
    Column("final_dgr", gettext_lazy("DGR di approvazione definitiva"), _final_dgr),
    Column("ratification", gettext_lazy("Atto di ratifica"), _ratification),
    Column("burert", gettext_lazy("Pubblicazione BURERT"), _burert),
]


def transparency_queryset(agreements: QuerySet, semester: str) -> QuerySet:
    """The agreements concluded (signed) in the semester: the list published every six months under
    D.Lgs. 33/2013 art. 23. Those signed and later ended stay in their semester's list."""
    start, end = semester_bounds(semester)
    return (
        agreements.filter(signed_on__gte=start, signed_on__lte=end)
        .select_related("counterpart")
        .prefetch_related("other_counterparts")
        .order_by("signed_on", "reference")
    )


# --- plan monitoring -----------------------------------------------------------------------------------------

def _reached(indicator, year):
    actual = indicator.actual_by_year.get(year)
    target = indicator.target_by_year.get(year)
    return round(100 * actual.value / target) if actual and target else None


def _actual(year):
    return lambda i: i.actual_by_year[year].value if year in i.actual_by_year else None


def plan_columns(years) -> list[Column]:
    """The indicator columns for a plan whose period is `years`."""
    columns = [
        Column("indicator", gettext_lazy("N."), lambda i: i.number),
        Column("name", gettext_lazy("Indicatore"), lambda i: i.name),
        Column("expected_result", gettext_lazy("Risultato atteso"), lambda i: i.expected_result),
        Column("objectives", gettext_lazy("Obiettivi"),
               lambda i: "; ".join(str(o.number) for o in i.objectives.all())),
    ]
    for year in years:
        columns += [
            Column(f"target_{year}", format_lazy("{} {}", gettext_lazy("Target"), year),
                   lambda i, y=year: i.target_by_year.get(y)),
            Column(f"actual_{year}", format_lazy("{} {}", gettext_lazy("Rilevato"), year), _actual(year)),
            Column(f"reached_{year}_pct", format_lazy("{} {}", gettext_lazy("% del target"), year),
                   lambda i, y=year: _reached(i, y)),
        ]
    return columns


PLAN_ACTION_COLUMNS = [
    Column("action", gettext_lazy("N."), lambda a: a.number),
    Column("short_title", gettext_lazy("Azione"), lambda a: a.short_title),
    Column("timing", gettext_lazy("Tempistica"), lambda a: a.timing),
    Column("sectors", gettext_lazy("Settori coinvolti"), lambda a: "; ".join(s.name for s in a.sectors.all())),
    Column("agreements_count", gettext_lazy("Numero accordi"), lambda a: len(a.linked_agreements)),
    Column("agreements", gettext_lazy("Accordi (stato)"),
           lambda a: "; ".join(f"{x.reference} ({x.status})" for x in a.linked_agreements),
           lambda a: "; ".join(f"{x.reference} ({choice_label(Status, x.status)})" for x in a.linked_agreements)),
]


# --- writers -------------------------------------------------------------------------------------------------

def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def write_csv(stream, headers: list[str], rows: Iterable[list]) -> int:
    """Comma-separated, UTF-8, ISO dates, empty for no value. Returns the number of data rows."""
    counted = _Counted(rows)
    for chunk in csv_chunks(headers, counted):
        stream.write(chunk)
    return counted.count


class _Counted:
    def __init__(self, rows: Iterable):
        self.rows, self.count = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


# A streamed CSV leaves in pieces of about this many characters (the header row leaves alone, at once).
PIECE = 64 * 1024


def csv_chunks(headers: list[str], rows: Iterable[list], *, excel: bool = False) -> Iterator[str]:
    """The CSV (plain, or for Excel when `excel`) as pieces of text: the header row first, before any row is read,
    then the rows in pieces of about PIECE characters. Concatenated, the same text as write_csv/write_excel_csv."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";") if excel else csv.writer(buffer)
    if excel:
        buffer.write("\ufeff")
    writer.writerow(headers)
    yield buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    convert = _italian if excel else _text
    writerow = writer.writerow
    for row in rows:
        writerow([convert(value) for value in row])
        if buffer.tell() >= PIECE:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def _ods_cell(value) -> TableCell:
    if value is None or value == "":
        return TableCell()
    if isinstance(value, datetime.date):
        cell = TableCell(valuetype="date", datevalue=value.isoformat())
        cell.addElement(P(text=value.strftime("%d/%m/%Y")))
        return cell
    if isinstance(value, int | float) and not isinstance(value, bool):
        cell = TableCell(valuetype="float", value=value)
        cell.addElement(P(text=str(value)))
        return cell
    cell = TableCell(valuetype="string")
    cell.addElement(P(text=str(value)))
    return cell


def ods_bytes(sheet_name: str, headers: list[str], rows: list[list]) -> bytes:
    """One sheet: a header row then the rows; dates as date cells, numbers as numbers."""
    document = OpenDocumentSpreadsheet()
    sheet = Table(name=sheet_name)
    sheet.addElement(TableColumn(numbercolumnsrepeated=len(headers)))
    for values in [headers, *rows]:
        row = TableRow()
        for value in values:
            row.addElement(_ods_cell(value))
        sheet.addElement(row)
    document.spreadsheet.addElement(sheet)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def write_excel_csv(stream, headers: list[str], rows: list[list]) -> int:
    """The CSV that Italian Excel opens as it is: UTF-8 with a BOM (or accents come out wrong), semicolons (the
    comma is the decimal separator there), dates dd/mm/yyyy, decimal comma. Returns the number of data rows."""
    for chunk in csv_chunks(headers, rows, excel=True):
        stream.write(chunk)
    return len(rows)


def _italian(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float | decimal.Decimal):
        return str(value).replace(".", ",")
    return str(value)


def _width(value) -> int:
    if isinstance(value, datetime.date):
        return 10
    return max((len(line) for line in str(value if value is not None else "").splitlines()), default=0)


# The columns of a streamed XLSX are as wide as their header and the content of the first WIDTH_SAMPLE rows (up
# to 60 characters): the widths are written before the rows, which leave as they are read.
WIDTH_SAMPLE = 1000
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_EPOCH = datetime.date(1899, 12, 30)
_XLSX_STATIC = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
        'Target="styles.xml"/></Relationships>'),
    # cell styles: 0 plain, 1 bold (the header), 2 date shown dd/mm/yyyy
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="DD/MM/YYYY"/></numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"),
}


def _xml_text(value: str) -> str:
    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _XML_ILLEGAL.sub("", text)


def _xlsx_cell(ref: str, value, style: int = 0) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float | decimal.Decimal):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, datetime.date):
        day = value.date() if isinstance(value, datetime.datetime) else value
        return f'<c r="{ref}" s="2"><v>{(day - _EXCEL_EPOCH).days}</v></c>'
    bold = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{bold} t="inlineStr"><is><t xml:space="preserve">{_xml_text(str(value))}</t></is></c>'


class _Pipe:
    """What the zip writes, kept until the generator hands it on: a write-only, unseekable stream (zipfile then
    writes each member's sizes after its data)."""

    def __init__(self):
        self.parts = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def xlsx_chunks(sheet_name: str, headers: list[str], rows: Iterable[list]) -> Iterator[bytes]:
    """One sheet as a streamed XLSX (a zip written as it goes): a bold header row, frozen, with an autofilter;
    dates as date cells shown dd/mm/yyyy, numbers as numbers, empty values as empty cells; strings inline. The
    rows are read once, as they come; the first bytes (the workbook's fixed parts) before any row is read."""
    import zipfile

    letters = [get_column_letter(i) for i in range(1, max(1, len(headers)) + 1)]
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, text in _XLSX_STATIC.items():
            archive.writestr(name, text)
        title = _xml_text((sheet_name or "Foglio1")[:31]).replace('"', "&quot;")
        archive.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        yield pipe.take()  # the parts that do not depend on the rows leave before any row is read
        rows = iter(rows)
        sample = [row for _, row in zip(range(WIDTH_SAMPLE), rows, strict=False)]
        widths = [min(60, max([_width(h), *(_width(row[i]) for row in sample)]) + 2) for i, h in enumerate(headers)]
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                           for i, w in enumerate(widths, start=1))
            sheet.write((
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
                'state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
                f'<sheetFormatPr defaultRowHeight="15"/>{"<cols>" + cols + "</cols>" if cols else ""}<sheetData>'
                '<row r="1">' + "".join(_xlsx_cell(f"{c}1", h, 1) for c, h in zip(letters, headers, strict=False))
                + "</row>").encode())
            number = 1
            buffer = []
            for row in itertools.chain(sample, rows):
                number += 1
                buffer.append(f'<row r="{number}">'
                              + "".join(_xlsx_cell(f"{c}{number}", v) for c, v in zip(letters, row, strict=False))
                              + "</row>")
                if len(buffer) == 500:
                    sheet.write("".join(buffer).encode())
                    buffer = []
                    yield pipe.take()
            sheet.write(("".join(buffer) + "</sheetData>"
                         f'<autoFilter ref="A1:{letters[-1]}{number}"/></worksheet>').encode())
    yield pipe.take()


def xlsx_bytes(sheet_name: str, headers: list[str], rows: Iterable[list]) -> bytes:
    """The whole XLSX of xlsx_chunks at once."""
    return b"".join(xlsx_chunks(sheet_name, headers, rows))


# --- activity register, stakeholders, computed indicator values (plan monitoring, issue 17) ----------------------

ACTIVITY_FIELDS = ("id", "starts_on", "ends_on", "kind", "title", "place", "country_code", "participants",
                   "participants_on_territory", "follow_up_projects", "funding_applications")
# What each activity lists: (key, relation, values read, order), one query per chunk each, in the order the
# activity page shows them (counterparts, DGs and stakeholders by name, actions by plan and number, agreements
# newest first).
ACTIVITY_LISTS = (
    ("counterparts", "counterparts", ("counterpart__name",), ("counterpart__name", "counterpart_id")),
    ("dgs", "dgs", ("sector__code", "sector__name"), ("sector__name", "sector_id")),
    ("plan_actions", "plan_actions", ("action__plan__code", "action__number"),
     ("action__plan__start_year", "action__number", "action_id")),
    ("agreements", "agreements", ("agreement__reference",), ("-agreement__created_at", "-agreement_id")),
    ("stakeholders", "stakeholders", ("stakeholder__name",), ("stakeholder__name", "stakeholder_id")),
)


def activity_export_rows(activities: QuerySet) -> Iterator[dict]:
    """The activity register's rows as the columns read them: plain values in the queryset's order, in chunks of
    CHUNK activities, each chunk with its five lists in five more queries (no model instance per row)."""
    return in_chunks(activities.prefetch_related(None).values(*ACTIVITY_FIELDS).iterator(chunk_size=CHUNK),
                     _activity_lists)


def _activity_lists(rows: list[dict]) -> list[dict]:
    ids = [row["id"] for row in rows]
    for key, relation, values, order in ACTIVITY_LISTS:
        found = {}
        through = getattr(Activity, relation).through
        for activity_id, *value in (through.objects.filter(activity_id__in=ids).order_by("activity_id", *order)
                                    .values_list("activity_id", *values)):
            found.setdefault(activity_id, []).append(value[0] if len(value) == 1 else tuple(value))
        for row in rows:
            row[key] = found.get(row["id"], [])
    return rows


ACTIVITY_COLUMNS = [
    Column("id", gettext_lazy("N."), lambda a: a["id"]),
    Column("starts_on", gettext_lazy("Data di inizio"), lambda a: a["starts_on"]),
    Column("ends_on", gettext_lazy("Data di fine"), lambda a: a["ends_on"]),
    Column("kind", gettext_lazy("Tipologia"), lambda a: a["kind"], lambda a: choice_label(ActivityKind, a["kind"])),
    Column("title", gettext_lazy("Titolo"), lambda a: a["title"]),
    Column("place", gettext_lazy("Luogo"), lambda a: a["place"]),
    Column("country_code", gettext_lazy("Paese (ISO 3166)"), lambda a: a["country_code"]),
    Column("counterparts", gettext_lazy("Controparti"), lambda a: "; ".join(a["counterparts"])),
    Column("dgs", gettext_lazy("DG e settori"), lambda a: "; ".join(code for code, _name in a["dgs"]),
           lambda a: "; ".join(name for _code, name in a["dgs"])),
    Column("plan_actions", gettext_lazy("Azioni del piano"),
           lambda a: "; ".join(f"{code}/{number}" for code, number in a["plan_actions"])),
    Column("agreements", gettext_lazy("Accordi"), lambda a: "; ".join(a["agreements"])),
    Column("stakeholders", gettext_lazy("Stakeholder"), lambda a: "; ".join(a["stakeholders"])),
    Column("participants", gettext_lazy("Partecipanti"), lambda a: a["participants"]),
    Column("participants_on_territory", gettext_lazy("Partecipanti sul territorio"),
           lambda a: a["participants_on_territory"]),
    Column("follow_up_projects", gettext_lazy("Progetti di follow-up"), lambda a: a["follow_up_projects"]),
    Column("funding_applications", gettext_lazy("Candidature a finanziamenti"), lambda a: a["funding_applications"]),
]

STAKEHOLDER_COLUMNS = [
    Column("name", gettext_lazy("Denominazione"), lambda s: s.name),
    Column("type", gettext_lazy("Tipologia"), lambda s: s.type, lambda s: s.get_type_display()),
    Column("internal", gettext_lazy("Interno all'amministrazione regionale"), lambda s: s.internal,
           lambda s: gettext_lazy("sì") if s.internal else gettext_lazy("no")),
    Column("first_involved_on", gettext_lazy("Primo coinvolgimento"), lambda s: s.first_involved_on),
    Column("activity_count", gettext_lazy("Attività"), lambda s: s.activity_count),
]

# One row per indicator and year: (indicator, value row of agreements.plan.indicators).
INDICATOR_VALUE_COLUMNS = [
    Column("indicator", gettext_lazy("N."), lambda r: r[0].number),
    Column("name", gettext_lazy("Indicatore"), lambda r: r[0].name),
    Column("measure", gettext_lazy("Regola"), lambda r: r[0].measure, lambda r: r[0].get_measure_display()),
    Column("year", gettext_lazy("Anno"), lambda r: r[1]["year"]),
    Column("target", gettext_lazy("Target"), lambda r: r[1]["target"]),
    Column("computed", gettext_lazy("Calcolato dal registro"), lambda r: r[1]["computed"]),
    Column("recorded", gettext_lazy("Registrato a mano"), lambda r: r[1]["recorded"].value if r[1]["recorded"]
           else None),
    Column("value", gettext_lazy("Valore"), lambda r: r[1]["value"]),
    Column("gap", gettext_lazy("Scarto"), lambda r: r[1]["gap"]),
    Column("breakdowns", gettext_lazy("Disaggregazioni"),
           lambda r: " | ".join(f"{b['name']}: " + "; ".join(f"{x['key']}={x['value']}" for x in b["rows"])
                                for b in r[1]["breakdowns"] if b["rows"])),
]
