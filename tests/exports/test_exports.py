"""Exports: the register as CSV and ODS (read back with odfpy and with LibreOffice), the six-monthly transparency
list, the plan monitoring CSV and the command-line exports. Every export holds only what the user may see."""

import csv
import datetime
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from odf.namespaces import OFFICENS
from odf.opendocument import load
from odf.table import Table, TableCell, TableRow

from agreements.models import Indicator
from agreements.plan.services import indicator_actual_record
from tests.support.factories import AgreementFactory, InForceAgreementFactory
from tests.support.register import response_body as body

REGISTER_HEADERS = [
    "Codice", "Titolo", "Tipo", "Controparte", "Paese", "Stato", "Data di firma", "Entrata in vigore", "Scadenza",
    "Rinnova", "DG coinvolte", "Azioni del piano", "Numero DGR", "Data DGR",
]
CLI_COLUMNS = ["reference", "title", "kind", "counterpart", "country", "status", "signed_on", "entry_into_force",
               "end_date", "renews"]


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, body(response)[:500]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(body(response).decode("utf-8"))))


def read_ods(content: bytes) -> list[list[str]]:
    """Every row of the first sheet as text, dates as their ISO value: what a spreadsheet holds."""
    document = load(io.BytesIO(content))
    sheet = document.spreadsheet.getElementsByType(Table)[0]
    rows = []
    for row in sheet.getElementsByType(TableRow):
        values = []
        for cell in row.getElementsByType(TableCell):
            date_value = cell.attributes.get((OFFICENS, "date-value"))
            values.append(date_value if date_value else str(cell))
        rows.append(values)
    return rows


@pytest.fixture
def renewal(register_agreements, plan_dg_agri):
    """The Nouvelle-Aquitaine renewal, in proposal: shows the `renews` column."""
    return AgreementFactory(reference="INT-2025-001", title="Rinnovo dell'intesa con la Nouvelle-Aquitaine",
                            counterpart=register_agreements["aquitaine"].counterpart, dgs=[plan_dg_agri],
                            renews=register_agreements["aquitaine"])


def test_register_csv_has_the_register_columns_and_rows(client, drafter, register_agreements, renewal):
    client.force_login(drafter)
    response = client.get(reverse("exports:register", args=["csv"]) + "?ordering=reference")
    assert response["Content-Disposition"].startswith('attachment; filename="registro-accordi-')
    rows = read_csv(response)
    assert rows[0] == REGISTER_HEADERS
    by_ref = {row[0]: dict(zip(REGISTER_HEADERS, row, strict=True)) for row in rows[1:]}
    assert list(by_ref) == ["INT-2022-001", "INT-2022-002", "INT-2022-003", "INT-2025-001"]
    aquitaine = by_ref["INT-2022-001"]
    assert aquitaine["Tipo"] == "Intesa" and aquitaine["Stato"] == "In vigore"
    assert aquitaine["Controparte"] == "Nouvelle-Aquitaine" and aquitaine["Paese"] == "Francia"
    assert (aquitaine["Data di firma"], aquitaine["Entrata in vigore"], aquitaine["Scadenza"]) == (
        "2022-04-20", "2022-04-27", "2025-04-27")
    assert aquitaine["DG coinvolte"] == "DG AGRI; DG CRLI" and aquitaine["Azioni del piano"] == "2022-2023/1"
    assert (aquitaine["Numero DGR"], aquitaine["Data DGR"]) == ("512/2022", "2022-03-28")
    assert by_ref["INT-2025-001"]["Rinnova"] == "INT-2022-001"
    assert by_ref["INT-2022-003"]["Stato"] == "Consultazione DG" and by_ref["INT-2022-003"]["Scadenza"] == ""


def test_register_csv_streams_its_header_before_reading_any_row(client, drafter, register_agreements, renewal):
    client.force_login(drafter)
    response = client.get(reverse("exports:register", args=["csv"]) + "?ordering=reference")
    assert response.streaming and response.status_code == 200
    pieces = iter(response.streaming_content)
    with CaptureQueriesContext(connection) as first:
        header = next(pieces)
    assert header.decode() == ",".join(REGISTER_HEADERS) + "\r\n" and len(first.captured_queries) == 0
    with CaptureQueriesContext(connection) as rest:
        text = b"".join(pieces).decode()
    assert len(rest.captured_queries) > 0 and text.count("\r\n") == 4 and "INT-2025-001" in text


def test_choice_labels_resolved_once_still_follow_the_active_language(client, drafter, register_agreements):
    from django.utils import translation

    from agreements.exports.tables import REGISTER_COLUMNS, register_rows, table
    from agreements.models import Agreement

    agreements = Agreement.objects.filter(pk=register_agreements["aquitaine"].pk)
    with translation.override("en"):
        english = table(REGISTER_COLUMNS, register_rows(agreements), human=True)[1][0]
    italian = table(REGISTER_COLUMNS, register_rows(agreements), human=True)[1][0]
    assert english[5] == "In force" and italian[5] == "In vigore"


def test_register_ods_reads_back_with_the_same_rows_as_the_csv(client, drafter, register_agreements, renewal):
    client.force_login(drafter)
    csv_rows = read_csv(client.get(reverse("exports:register", args=["csv"]) + "?ordering=reference"))
    response = client.get(reverse("exports:register", args=["ods"]) + "?ordering=reference")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oasis.opendocument.spreadsheet"
    assert read_ods(response.content) == csv_rows


def test_register_export_applies_the_register_filters(client, drafter, register_agreements, plan_dg_crli, plan):
    client.force_login(drafter)
    url = reverse("exports:register", args=["csv"])
    in_force = read_csv(client.get(url, {"status": "in_force"}))
    assert sorted(row[0] for row in in_force[1:]) == ["INT-2022-001", "INT-2022-002"]
    crli_search = read_csv(client.get(url, {"dg": plan_dg_crli.pk, "q": "pennsylvania"}))
    assert [row[0] for row in crli_search[1:]] == ["INT-2022-002"]
    by_action = read_csv(client.get(url, {"plan_action": plan["actions"][2].pk}))
    assert [row[0] for row in by_action[1:]] == ["INT-2022-003"]
    expiring = read_csv(client.get(url, {"expiring_before": "2025-12-31"}))
    assert [row[0] for row in expiring[1:]] == ["INT-2022-001"]


def test_malformed_filter_is_refused_with_a_message_not_ignored(client, drafter, register_agreements):
    client.force_login(drafter)
    response = client.get(reverse("exports:register", args=["csv"]), {"expiring_before": "domani"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "Filtri non validi" in response.content.decode() and "In scadenza entro il" in response.content.decode()


def test_dg_referent_exports_only_their_dgs_agreements(client, plan_referent_agri, register_agreements):
    client.force_login(plan_referent_agri)
    csv_rows = read_csv(client.get(reverse("exports:register", args=["csv"])))
    assert [row[0] for row in csv_rows[1:]] == ["INT-2022-001"]
    ods_rows = read_ods(client.get(reverse("exports:register", args=["ods"])).content)
    assert [row[0] for row in ods_rows[1:]] == ["INT-2022-001"]
    # DG CRLI's Pennsylvania was signed in 2022-2: not in DG AGRI's referent's list
    transparency = read_csv(client.get(reverse("exports:transparency", args=["csv"]), {"semester": "2022-2"}))
    assert transparency[1:] == []
    actions = read_csv(client.get(reverse("exports:plan_actions_csv")))
    listed = " ".join(row[5] for row in actions[1:])
    assert "INT-2022-001" in listed and "INT-2022-002" not in listed and "INT-2022-003" not in listed


@pytest.fixture
def signed_around_mid_year(plan, plan_dg_agri):
    """Agreements signed on each side of the two semester boundaries of 2022."""
    days = {"S-0630": datetime.date(2022, 6, 30), "S-0701": datetime.date(2022, 7, 1),
            "S-1231": datetime.date(2022, 12, 31), "S-0101": datetime.date(2023, 1, 1)}
    for reference, day in days.items():
        InForceAgreementFactory(reference=reference, signed_on=day, dgs=[plan_dg_agri],
                                dgr_number="100/2022", dgr_date=datetime.date(2022, 5, 2),
                                end_date=day.replace(year=day.year + 3), estimated_cost="12500.00",
                                final_dgr_number="140/2022", final_dgr_date=datetime.date(2022, 6, 20),
                                ratification_form="law", ratification_act="L.R. 9/2022",
                                ratification_date=day, burert_reference="BURERT n. 200", published_on=day)
    AgreementFactory(reference="S-UNSIGNED", dgs=[plan_dg_agri])
    return days


def test_transparency_list_holds_exactly_the_agreements_signed_in_the_semester(client, drafter,
                                                                              signed_around_mid_year):
    client.force_login(drafter)
    response = client.get(reverse("exports:transparency", args=["csv"]), {"semester": "2022-2"})
    assert response["Content-Disposition"] == 'attachment; filename="accordi-trasparenza-2022-2.csv"'
    rows = read_csv(response)
    assert rows[0] == ["Codice", "Oggetto", "Parti", "Data di sottoscrizione", "Numero DGR", "Data DGR", "Scadenza",
                       "Spesa prevista (EUR)", "DGR di approvazione definitiva", "Atto di ratifica",
                       "Pubblicazione BURERT"]
    assert [row[0] for row in rows[1:]] == ["S-0701", "S-1231"]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Parti"].startswith("Regione Emilia-Romagna; ") and "(Francia)" in first["Parti"]
    assert (first["Data di sottoscrizione"], first["Numero DGR"], first["Data DGR"], first["Scadenza"]) == (
        "2022-07-01", "100/2022", "2022-05-02", "2025-07-01")
    # D.Lgs. 33/2013 art. 23 c. 2: the expected expense and the references of the acts.
    assert (first["Spesa prevista (EUR)"], first["DGR di approvazione definitiva"], first["Atto di ratifica"],
            first["Pubblicazione BURERT"]) == (
        "12500.00", "140/2022 del 20/06/2022", "Legge regionale (l'intesa modifica leggi) L.R. 9/2022 del 01/07/2022",
        "BURERT n. 200 del 01/07/2022")
    first_half = read_csv(client.get(reverse("exports:transparency", args=["csv"]), {"semester": "2022-1"}))
    assert [row[0] for row in first_half[1:]] == ["S-0630"]
    ods = read_ods(client.get(reverse("exports:transparency", args=["ods"]), {"semester": "2023-1"}).content)
    assert [row[0] for row in ods[1:]] == ["S-0101"]


@pytest.mark.parametrize("semester", ["2022-3", "2022", "luglio 2022", ""])
def test_bad_semester_is_refused(client, drafter, signed_around_mid_year, semester):
    client.force_login(drafter)
    response = client.get(reverse("exports:transparency", args=["csv"]), {"semester": semester})
    assert response.status_code == 400
    assert "Semestre non valido" in response.content.decode()
    with pytest.raises(CommandError, match="Semestre non valido"):
        call_command("export_transparency", "--semester", semester)


def test_plan_monitoring_csv_has_targets_and_recorded_actuals(client, drafter, plan):
    indicator_actual_record(indicator=Indicator.objects.get(number=7), year=2022, value=4200, actor=drafter)
    client.force_login(drafter)
    rows = read_csv(client.get(reverse("exports:plan_csv")))
    assert rows[0] == ["N.", "Indicatore", "Risultato atteso", "Obiettivi", "Target 2022", "Rilevato 2022",
                       "% del target 2022", "Target 2023", "Rilevato 2023", "% del target 2023"]
    assert len(rows) == 9
    page_views = rows[7]
    assert page_views[0] == "7" and page_views[3] == "6"
    assert page_views[4:] == ["5000", "4200", "84", "6000", "", ""]


def test_exports_need_a_login_and_a_role(client, nogroup_user, register_agreements):
    register_url = reverse("exports:register", args=["csv"])
    assert client.get(register_url).status_code == 302
    client.force_login(nogroup_user)
    for url in (register_url, reverse("exports:transparency", args=["csv"]) + "?semester=2022-2",
                reverse("exports:plan_csv"), reverse("exports:index")):
        assert client.get(url).status_code == 403


def test_export_page_offers_the_semesters_of_the_plan(client, drafter, plan):
    client.force_login(drafter)
    html = client.get(reverse("exports:index")).content.decode()
    assert 'value="2022-1"' in html and 'value="2022-2"' in html and "luglio-dicembre 2022" in html


def test_register_export_queries_do_not_grow_with_the_rows(client, drafter, plan, plan_dg_agri):
    client.force_login(drafter)
    url = reverse("exports:register", args=["ods"])

    def export_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    for agreement in AgreementFactory.create_batch(3, dgs=[plan_dg_agri]):
        agreement.plan_actions.add(plan["actions"][1])
    few = export_queries()
    for agreement in InForceAgreementFactory.create_batch(30, dgs=[plan_dg_agri]):
        agreement.plan_actions.add(plan["actions"][3])
    assert export_queries() == few


# --- command line --------------------------------------------------------------------------------------------

def test_export_register_csv_prints_the_register_with_iso_dates(register_agreements, renewal, capsys):
    call_command("export_register", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert set(CLI_COLUMNS) <= set(rows[0])
    by_ref = {row["reference"]: row for row in rows}
    assert list(by_ref) == ["INT-2022-001", "INT-2022-002", "INT-2022-003", "INT-2025-001"]
    aquitaine = by_ref["INT-2022-001"]
    assert {k: aquitaine[k] for k in CLI_COLUMNS} == {
        "reference": "INT-2022-001", "title": "Intesa con la Nouvelle-Aquitaine (rinnovo)", "kind": "intesa",
        "counterpart": "Nouvelle-Aquitaine", "country": "Francia", "status": "in_force",
        "signed_on": "2022-04-20", "entry_into_force": "2022-04-27", "end_date": "2025-04-27", "renews": "",
    }
    assert by_ref["INT-2025-001"]["renews"] == "INT-2022-001"
    for row in rows:
        for key in ("signed_on", "entry_into_force", "end_date"):
            if row[key]:
                datetime.date.fromisoformat(row[key])


def test_export_register_json_matches_the_csv(register_agreements, renewal, capsys):
    call_command("export_register", "--format", "csv")
    csv_rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    call_command("export_register", "--format", "json")
    json_rows = json.loads(capsys.readouterr().out)
    assert [row["reference"] for row in json_rows] == [row["reference"] for row in csv_rows]
    assert json_rows[0]["signed_on"] == "2022-04-20" and json_rows[2]["end_date"] is None
    for json_row, csv_row in zip(json_rows, csv_rows, strict=True):
        assert {k: "" if v is None else str(v) for k, v in json_row.items()} == csv_row


def test_export_register_for_a_referent_holds_only_their_dg(register_agreements, plan_referent_agri, capsys):
    call_command("export_register", "--format", "json", "--user", plan_referent_agri.username)
    assert [row["reference"] for row in json.loads(capsys.readouterr().out)] == ["INT-2022-001"]
    with pytest.raises(CommandError, match="Utente sconosciuto"):
        call_command("export_register", "--user", "nessuno")


def test_export_transparency_prints_the_semester(signed_around_mid_year, capsys):
    call_command("export_transparency", "--semester", "2022-2", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [row["reference"] for row in rows] == ["S-0701", "S-1231"]
    assert list(rows[0]) == ["reference", "subject", "parties", "signed_on", "dgr_number", "dgr_date", "end_date",
                             "estimated_cost", "final_dgr", "ratification", "burert"]
    assert rows[1]["signed_on"] == "2022-12-31" and rows[1]["end_date"] == "2025-12-31"


def test_register_export_lists_the_rows_of_the_register_page_in_its_order(client, drafter, register_agreements,
                                                                          renewal, plan_dg_agri):
    client.force_login(drafter)
    query = {"dg": plan_dg_agri.pk, "ordering": "-reference"}
    page = client.get(reverse("agreements:register"), query).content.decode()
    on_page = re.findall(r'<a href="/accordi/[^"]+">([A-Z]{3}-\d{4}-\d{3})</a>', page)
    exported = [row[0] for row in read_csv(client.get(reverse("exports:register", args=["csv"]), query))[1:]]
    assert on_page == exported == ["INT-2025-001", "INT-2022-001"]


# --- the office's spreadsheets: XLSX and the CSV for Italian Excel ---------------------------------------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_register_xlsx_has_typed_cells_a_bold_frozen_filtered_header_and_widths(
        client, drafter, register_agreements, renewal):
    import openpyxl

    client.force_login(drafter)
    response = client.get(reverse("exports:register", args=["xlsx"]) + "?ordering=reference")
    assert response.status_code == 200 and response["Content-Type"] == XLSX_TYPE
    assert re.match(r'attachment; filename="registro-accordi-\d{4}-\d\d-\d\d\.xlsx"', response["Content-Disposition"])
    sheet = openpyxl.load_workbook(io.BytesIO(body(response))).active
    assert sheet.title == "Registro"
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == REGISTER_HEADERS and len(rows) == 5
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:N5"
    aquitaine = dict(zip(REGISTER_HEADERS, rows[1], strict=True))
    # dates are date cells shown as the office writes them, not text
    assert aquitaine["Data di firma"] == datetime.datetime(2022, 4, 20)
    assert sheet.cell(row=2, column=7).number_format == "DD/MM/YYYY" and sheet.cell(row=2, column=7).is_date
    assert aquitaine["Azioni del piano"].startswith("2022-2023/1. ")  # the action by its title, not a bare number
    assert rows[3][8] is None  # no end date: an empty cell, not ""
    assert sheet.column_dimensions["B"].width > sheet.column_dimensions["A"].width >= 12


def test_register_csv_for_excel_has_bom_semicolons_italian_dates_and_action_titles(
        client, drafter, register_agreements, renewal, plan):
    client.force_login(drafter)
    response = client.get(reverse("exports:register", args=["excel.csv"]) + "?ordering=reference")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].endswith('-excel.csv"')
    content = body(response)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == REGISTER_HEADERS
    aquitaine = dict(zip(REGISTER_HEADERS, rows[1], strict=True))
    assert (aquitaine["Data di firma"], aquitaine["Scadenza"], aquitaine["Data DGR"]) == (
        "20/04/2022", "27/04/2025", "28/03/2022")
    assert aquitaine["Azioni del piano"] == f"2022-2023/1. {plan['actions'][1].short_title}"
    # the plain CSV for programs stays RFC 4180 with ISO dates
    plain = read_csv(client.get(reverse("exports:register", args=["csv"]) + "?ordering=reference"))
    assert plain[1][6] == "2022-04-20" and plain[1][11] == "2022-2023/1"


def test_excel_csv_writes_decimal_commas():
    import decimal

    from agreements.exports.tables import write_excel_csv

    out = io.StringIO()
    write_excel_csv(out, ["Costo", "Quota"], [[decimal.Decimal("1250.50"), 0.25], [None, 3]])
    assert out.getvalue() == "\ufeffCosto;Quota\r\n1250,50;0,25\r\n;3\r\n"


def test_transparency_and_plan_exports_come_as_xlsx_too(client, drafter, register_agreements):
    import openpyxl

    client.force_login(drafter)
    transparency = client.get(reverse("exports:transparency", args=["xlsx"]), {"semester": "2022-1"})
    sheet = openpyxl.load_workbook(io.BytesIO(body(transparency))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Codice" and [r[0] for r in rows[1:]] == ["INT-2022-001"]
    assert rows[1][3] == datetime.datetime(2022, 4, 20)
    for name in ("exports:plan_indicators", "exports:plan_actions"):
        response = client.get(reverse(name, args=["xlsx"]))
        assert response.status_code == 200 and response["Content-Type"] == XLSX_TYPE
        book = openpyxl.load_workbook(io.BytesIO(body(response))).active
        assert book.max_row > 1 and book.freeze_panes == "A2"
        ods = client.get(reverse(name, args=["ods"]))
        assert read_ods(ods.content)[0] == [c.value for c in book[1]]
    page = client.get(reverse("exports:index")).content.decode()
    assert "CSV per Excel" in page and "registro.xlsx" in page and "piano-azioni.excel.csv" in page
    assert "importazione-registro" not in page  # the import is for administrators


def test_streamed_xlsx_reads_back_cell_by_cell_as_the_csv_for_excel(client, drafter, register_agreements, renewal):
    """The XLSX is written by hand as a stream (exports/tables.py, xlsx_chunks): a valid zip, read back by openpyxl
    (LibreOffice Calc is not installed here) with the values of the CSV for Excel, and streamed in pieces."""
    import zipfile

    import openpyxl

    client.force_login(drafter)
    response = client.get(reverse("exports:register", args=["xlsx"]) + "?ordering=reference")
    assert response.streaming
    pieces = list(response.streaming_content)
    content = b"".join(pieces)
    assert len(pieces) > 1 and zipfile.ZipFile(io.BytesIO(content)).testzip() is None
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    shown = [["" if v is None else v.strftime("%d/%m/%Y") if isinstance(v, datetime.datetime) else str(v)
              for v in row] for row in sheet.iter_rows(values_only=True)]
    excel = body(client.get(reverse("exports:register", args=["excel.csv"]) + "?ordering=reference"))
    expected = list(csv.reader(io.StringIO(excel.decode("utf-8-sig")), delimiter=";"))
    assert len(shown) == 5 and shown == expected
