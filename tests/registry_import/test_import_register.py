"""Import of the office's existing register: 500 rows with 10 wrong ones are refused with 10 precise messages and
nothing written; fixed, the file imports once and a second import changes nothing; the imported agreements are in
the register and get their reminders; what the register exports imports back into an empty register unchanged."""

import datetime
import io
import re

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from agreements.models import Agreement, AuditEvent, ReferenceCounter, Reminder
from agreements.registry_import.reading import COLUMNS
from agreements.reminders.services import scan_due
from tests.support.factories import CounterpartFactory
from tests.support.register import *  # noqa: F403

D = datetime.date
HEADERS = list(COLUMNS.values())
TODAY = D(2025, 1, 27)


def xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def counterparts(db):
    return [CounterpartFactory(name="Nouvelle-Aquitaine", country="Francia"),
            CounterpartFactory(name="Baviera", country="Germania"),
            CounterpartFactory(name="Québec", country="Canada")]


def register_rows(n: int, plan) -> list[list]:
    rows = []
    for i in range(1, n + 1):
        counterpart = ["Nouvelle-Aquitaine", "Baviera", "Québec"][i % 3]
        country = ["Francia", "Germania", "Canada"][i % 3]
        start = D(2015 + i % 8, 1 + i % 12, 1 + i % 27)
        end = D(start.year + 5, start.month, start.day)
        status = "Scaduta" if end < TODAY else "In vigore"
        action = plan["actions"][1 + i % 16]
        rows.append([f"INT-2019-{i:03d}", f"Intesa di cooperazione n. {i}", "Intesa", counterpart, country, status,
                     start, start, end, "", "DG AGRI; DG CRLI" if i % 2 else "DG CRLI",
                     f"{action.number}. {action.short_title}", f"{i}/2019", start - datetime.timedelta(days=30)])
    return rows


BAD = {  # row index (0-based) -> (column, wrong value, the reason's words)
    10: ("Controparte", "Atlantide", "controparte sconosciuta"),
    50: ("Data di firma", "31/02/2019", "data non valida"),
    90: ("DG coinvolte", "DG MARE", "DG sconosciute: DG MARE"),
    130: ("Azioni del piano", "99", "azione del piano sconosciuta: «99»"),
    170: ("Tipo", "Trattato", "tipo sconosciuto"),
    210: ("Titolo", "", "titolo mancante"),
    250: ("Codice", "INT-2019-001", "codice ripetuto: già alla riga 2"),
    290: ("Scadenza", D(2001, 1, 1), "la scadenza precede l'entrata in vigore"),
    330: ("Stato", "Consultazione DG", "stato non importabile"),
    370: ("Paese", "Portogallo", "non è il paese di"),
}


def run(path, *args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_register", str(path), "--user", "amministratore", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_500_rows_with_10_wrong_are_refused_then_fixed_import_once(tmp_path, admin_user, counterparts, plan,
                                                                     time_machine):
    time_machine.move_to(datetime.datetime(2025, 1, 27, 9, 0))
    good = register_rows(500, plan)
    bad = [list(row) for row in good]
    for index, (column, value, _reason) in BAD.items():
        bad[index][HEADERS.index(column)] = value
    path = tmp_path / "registro.xlsx"
    path.write_bytes(xlsx(bad))
    events = AuditEvent.objects.count()  # loading the plan was audited
    # given a register with 10 wrong rows, when imported, then refused: 10 precise messages, nothing written
    with pytest.raises(CommandError, match="10 errori"):
        run(path)
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_register", str(path), "--user", "amministratore", stderr=err)
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 10
    for line, (index, (column, _value, reason)) in zip(lines, sorted(BAD.items()), strict=True):
        assert line.startswith(f"riga {index + 2}, colonna «{column}»: ") and reason in line, line
    assert not Agreement.objects.exists() and AuditEvent.objects.count() == events
    # a dry run of the fixed file says what it would do and writes nothing
    path.write_bytes(xlsx(good))
    out, _ = run(path, "--dry-run")
    assert "500 da creare, 0 da aggiornare, 0 invariati" in out and not Agreement.objects.exists()
    # imported: 500 agreements, one audit event each naming the file and the row
    out, _ = run(path)
    assert "500 creati, 0 aggiornati, 0 invariati" in out
    assert Agreement.objects.count() == 500
    event = AuditEvent.objects.get(agreement__reference="INT-2019-007")
    assert event.action == "agreement_import" and event.actor == admin_user
    assert event.detail["file"] == "registro.xlsx" and event.detail["row"] == 8
    seventh = Agreement.objects.get(reference="INT-2019-007")
    assert seventh.counterpart.name == "Baviera" and seventh.signed_on == good[6][6]
    assert {dg.name for dg in seventh.dgs.all()} == {"DG AGRI", "DG CRLI"}
    assert [a.number for a in seventh.plan_actions.all()] == [8]
    assert ReferenceCounter.objects.get(prefix="INT", year=2019).last == 500  # new proposals get INT-2019-501
    # the second import changes nothing
    out, _ = run(path)
    assert "0 creati, 0 aggiornati, 500 invariati" in out and AuditEvent.objects.count() == events + 500
    # one title corrected in the office's file: one update, audited with the changed column
    good[6][1] = "Intesa di cooperazione n. 7 (testo corretto)"
    path.write_bytes(xlsx(good))
    out, _ = run(path)
    assert "0 creati, 1 aggiornati, 499 invariati" in out
    update = AuditEvent.objects.filter(agreement__reference="INT-2019-007").latest("pk")
    assert update.detail["result"] == "update" and update.detail["changed"] == ["Titolo"]


@pytest.mark.django_db
def test_imported_agreements_are_in_the_register_and_get_their_reminders(tmp_path, admin_user, counterparts, plan,
                                                                         client, time_machine):
    time_machine.move_to(datetime.datetime(2025, 1, 27, 9, 0))
    rows = [["INT-2020-004", "Intesa con il Québec", "Intesa", "Québec", "Canada", "", D(2020, 2, 20),
             D(2020, 3, 1), D(2025, 3, 1), "", "DG AGRI", "1", "", None]]
    path = tmp_path / "registro.xlsx"
    path.write_bytes(xlsx(rows))
    run(path)
    agreement = Agreement.objects.get(reference="INT-2020-004")
    assert agreement.status == "in_force"  # the state its dates imply (no status given)
    client.force_login(admin_user)
    assert "Intesa con il Québec" in client.get(reverse("agreements:register")).content.decode()
    scan_due(today=TODAY)  # 33 days before expiry: the 60-day threshold is due
    assert Reminder.objects.filter(agreement=agreement).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "excel.csv", "csv", "ods"])
def test_what_the_register_exports_imports_back_into_an_empty_register(fmt, client, admin_user,
                                                                        register_agreements, tmp_path):
    client.force_login(admin_user)
    url = reverse("exports:register", args=[fmt]) + "?status=in_force&ordering=reference"
    body = lambda r: b"".join(r.streaming_content) if r.streaming else r.content  # noqa: E731 (CSV, XLSX stream)
    exported = body(client.get(url))
    before = body(client.get(reverse("exports:register", args=["xlsx"]) + "?ordering=reference"))
    Agreement.objects.filter(status="in_force").delete()
    assert Agreement.objects.count() == 1  # the one still in consultation, not in the file
    path = tmp_path / f"registro.{fmt.replace('excel.', '')}"
    path.write_bytes(exported)
    out, _ = run(path)
    assert "2 creati" in out
    after = body(client.get(reverse("exports:register", args=["xlsx"]) + "?ordering=reference"))
    rows = lambda content: list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))  # noqa: E731
    assert rows(after) == rows(before)


@pytest.mark.django_db
def test_upload_page_previews_each_row_then_imports(client, admin_user, drafter, counterparts, plan):
    rows = register_rows(3, plan)
    client.force_login(drafter)
    assert client.get(reverse("registry_import:upload")).status_code == 403
    client.force_login(admin_user)
    assert reverse("registry_import:upload") in client.get(reverse("exports:index")).content.decode()
    wrong = [list(row) for row in rows]
    wrong[1][3] = "Atlantide"
    upload = io.BytesIO(xlsx(wrong))
    upload.name = "registro.xlsx"
    response = client.post(reverse("registry_import:upload"), {"file": upload, "action": "preview"})
    page = response.content.decode()
    assert response.status_code == 400 and "riga 3, colonna «Controparte»: controparte sconosciuta" in page
    assert 'name="action" value="import"' not in page and not Agreement.objects.exists()
    upload = io.BytesIO(xlsx(rows))
    upload.name = "registro.xlsx"
    page = client.post(reverse("registry_import:upload"), {"file": upload, "action": "preview"}).content.decode()
    assert "3 accordi da creare, 0 da aggiornare, 0 invariati" in page
    assert len(re.findall(r'<tr class="import-create">', page)) == 3 and not Agreement.objects.exists()
    response = client.post(reverse("registry_import:upload"), {"action": "import"}, follow=True)
    assert "Importati: 3 creati, 0 aggiornati, 0 invariati." in response.content.decode()
    assert Agreement.objects.count() == 3
    assert AuditEvent.objects.filter(action="agreement_import", actor=admin_user).count() == 3
    # the preview's file was used once: importing again asks for the file
    response = client.post(reverse("registry_import:upload"), {"action": "import"}, follow=True)
    assert "Carica di nuovo il file" in response.content.decode() and Agreement.objects.count() == 3
