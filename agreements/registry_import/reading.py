"""Reading a register spreadsheet (.xlsx, .ods, .csv) with tablib into rows of {column key: value}. The headers may
be the Italian labels of the register export or its machine keys, so what Intese exports imports back."""

import csv
import io
from pathlib import Path

import tablib
from django.utils.translation import gettext as _

from agreements.common.errors import ServiceError

# The columns the import understands: machine key -> the register export's Italian header (exports.tables).
COLUMNS = {
    "reference": "Codice",
    "title": "Titolo",
    "kind": "Tipo",
    "counterpart": "Controparte",
    "country": "Paese",
    "status": "Stato",
    "signed_on": "Data di firma",
    "entry_into_force": "Entrata in vigore",
    "end_date": "Scadenza",
    "renews": "Rinnova",
    "dgs": "DG coinvolte",
    "plan_actions": "Azioni del piano",
    "dgr_number": "Numero DGR",
    "dgr_date": "Data DGR",
}
REQUIRED = ("reference", "title", "kind", "counterpart")
FORMATS = {".xlsx": "xlsx", ".ods": "ods", ".csv": "csv"}


class UnreadableFile(ServiceError):
    pass


def _key(header) -> str | None:
    text = str(header or "").strip().lstrip("\ufeff").casefold()
    for key, label in COLUMNS.items():
        if text in (key, label.casefold()):
            return key
    return None


def read_rows(content: bytes, filename: str) -> tuple[list[str], list[tuple[int, dict]]]:
    """(column keys found, [(spreadsheet row number, {key: value})]); the header is row 1, so data starts at 2.
    Refuses a file of another type, one tablib cannot read, or one without the required columns."""
    fmt = FORMATS.get(Path(filename).suffix.lower())
    if fmt is None:
        raise UnreadableFile(_("Formato non riconosciuto: %s (attesi .xlsx, .ods o .csv).") % filename)
    try:
        if fmt == "csv":
            text = content.decode("utf-8-sig")
            delimiter = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=";,\t").delimiter
            dataset = tablib.Dataset().load(io.StringIO(text), format="csv", delimiter=delimiter)
        else:
            dataset = tablib.Dataset().load(io.BytesIO(content), format=fmt)
    except Exception as error:  # noqa: BLE001 - whatever the reader says, the file is not a register we can read
        raise UnreadableFile(_("Il file %(name)s non si legge come foglio di calcolo: %(error)s")
                             % {"name": filename, "error": error}) from error
    keys = [_key(header) for header in dataset.headers or []]
    missing = [COLUMNS[key] for key in REQUIRED if key not in keys]
    if missing:
        raise UnreadableFile(_("Mancano le colonne obbligatorie: %s.") % ", ".join(missing))
    rows = []
    for number, values in enumerate(dataset, start=2):
        row = {key: value for key, value in zip(keys, values, strict=False) if key}
        if any(value not in (None, "") for value in row.values()):
            rows.append((number, row))
    return [k for k in keys if k], rows
