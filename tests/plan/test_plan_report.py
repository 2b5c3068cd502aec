"""The monitoring and evaluation report: generated from the page's button and by `manage.py plan_report`, it opens
in python-docx and LibreOffice, its numbers equal the page's, a DG referent's holds only what involves their DG."""

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from docx import Document

from tests.plan.test_computed_indicators import register, values_for  # noqa: F401 (the fixture)
from tests.support.documents import libreoffice_texts

PAGE = "/piano/"
pytestmark = pytest.mark.usefixtures("register")


def report(client, user, year=2023, fmt="docx"):
    client.force_login(user)
    html = client.get(PAGE).content.decode()
    form = re.search(r'<form method="get" action="([^"]+)" class="plan-report"', html).group(1)
    response = client.get(form, {"piano": "2022-2023", "anno": year, "formato": fmt})
    assert response.status_code == 200
    return response


def tables_by_indicator(document):
    """Indicator number -> {year: [target, computed, value, gap, note]} from the report's indicator tables."""
    paragraphs = document.paragraphs
    numbers = [int(p.text.split(".")[0]) for p, after in zip(paragraphs, paragraphs[1:], strict=False)
               if re.match(r"^\d+\. ", p.text) and after.text.startswith("Regola:")]
    found = {}
    indicator_tables = [t for t in document.tables if t.rows[0].cells[0].text == "Anno"]
    for number, table in zip(numbers, indicator_tables, strict=True):
        found[number] = {int(r.cells[0].text): [c.text for c in r.cells[1:]] for r in table.rows[1:]}
    return found


def test_report_numbers_equal_the_page_with_charts_criteria_and_lists(client, drafter):
    response = report(client, drafter)
    assert response["Content-Disposition"].endswith('rapporto-piano-2022-2023-2023.docx"')
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Piano operativo attività internazionale 2022-2023 – anno 2023" in text
    # a table per indicator: target, computed, value, gap per year, equal to the page's figures
    page = values_for(drafter)
    tables = tables_by_indicator(document)
    assert sorted(tables) == list(range(1, 9))
    for number, years in tables.items():
        for year, (target, computed, value, gap, _note) in years.items():
            row = page[number][year]
            assert target == str(row["target"])
            assert computed == ("—" if row["computed"] is None else str(row["computed"]))
            assert value == ("—" if row["value"] is None else str(row["value"]))
            assert gap == ("—" if row["gap"] is None else str(row["gap"]))
    assert tables[1][2023][:4] == ["15", "2", "2", "-13"]
    # the breakdowns of the year
    assert "2023 · per Paese: Canada 1; Stati Uniti 1" in text
    assert "2023 · per tipologia: Ente locale 1" in text
    # one chart per indicator, as an image
    assert len(document.inline_shapes) == 8
    assert not any("[[grafico" in p.text for p in document.paragraphs)
    # the four evaluation criteria, each with its figures
    for title in ("Continuità delle relazioni", "Copertura tematica", "Partecipazione degli stakeholder",
                  "Spillover"):
        assert title in text
    assert "Nuovi stakeholder coinvolti nell'anno: 1." in text
    # the activities of 2023 (five) and the agreements of the plan
    activities = next(t for t in document.tables if t.rows[0].cells[2].text == "Titolo"
                      and t.rows[0].cells[1].text == "Tipologia")
    titles = [r.cells[2].text for r in activities.rows[1:]]
    assert sorted(titles) == sorted(["Nota sul Québec", "Delegazione Québec", "Delegazione PA 2023",
                                     "Evento Québec", "Evento PA"])


HEADER = ["Anno", "Target", "Calcolato dal registro", "Valore", "Scarto", "Nota"]


def libreoffice_tables(text: str) -> list[dict]:
    """The indicator tables as LibreOffice reads the .docx (its text export puts each cell on its own line):
    [{year: [target, computed, value, gap]}] in the order of the report."""
    lines = [line.strip() for line in text.splitlines()]
    tables = []
    for start in (i for i in range(len(lines)) if lines[i:i + len(HEADER)] == HEADER):
        rows, at = {}, start + len(HEADER)
        while at < len(lines) and re.fullmatch(r"20\d\d", lines[at]):
            rows[int(lines[at])] = lines[at + 1:at + 5]
            at += len(HEADER)
        tables.append(rows)
    return tables


def test_report_opens_in_libreoffice_with_the_pages_numbers(client, drafter, plan_referent_agri):
    # given the report of each user (the office sees all, the DG AGRI referent their DG's)
    files = {user.username: report(client, user).content for user in (drafter, plan_referent_agri)}
    # when LibreOffice reads them back
    texts = libreoffice_texts(files)
    # then every indicator table holds the page's target, computed value, value and gap for both years
    for user in (drafter, plan_referent_agri):
        page = values_for(user)
        tables = libreoffice_tables(texts[user.username])
        assert len(tables) == 8, texts[user.username][:2000]
        for number, rows in enumerate(tables, start=1):
            assert sorted(rows) == [2022, 2023]
            for year, cells in rows.items():
                row = page[number][year]
                assert cells == ["—" if row[key] is None else str(row[key])
                                 for key in ("target", "computed", "value", "gap")], (user, number, year)
    assert libreoffice_tables(texts[drafter.username])[0][2023] == ["15", "2", "2", "-13"]
    assert libreoffice_tables(texts[plan_referent_agri.username])[0][2022] == ["12", "2", "2", "-10"]


def test_referent_report_holds_only_what_involves_their_dg(client, plan_referent_agri):
    document = Document(io.BytesIO(report(client, plan_referent_agri).content))
    tables = tables_by_indicator(document)
    assert tables[1][2022][1] == "2" and tables[3][2023][1] == "1"  # DG AGRI only
    activities = next(t for t in document.tables if t.rows[0].cells[1].text == "Tipologia")
    assert [r.cells[2].text for r in activities.rows[1:]] == ["Evento PA"]
    text = "\n".join(p.text for p in document.paragraphs)
    assert "DG AGRI" in text and "Delegazione Québec" not in text


def test_plan_report_command_writes_docx_and_pdf_through_libreoffice(drafter, tmp_path):
    docx_path, pdf_path = tmp_path / "r.docx", tmp_path / "r.pdf"
    call_command("plan_report", "--plan", "2022-2023", "--year", "2022", "--user", drafter.username,
                 "--output", str(docx_path), stdout=io.StringIO())
    assert len(Document(str(docx_path)).inline_shapes) == 8
    call_command("plan_report", "--plan", "2022-2023", "--year", "2022", "--user", drafter.username,
                 "--format", "pdf", "--output", str(pdf_path), stdout=io.StringIO())
    assert pdf_path.read_bytes().startswith(b"%PDF")
    with pytest.raises(CommandError):
        call_command("plan_report", "--plan", "2022-2023", "--year", "2021", "--user", drafter.username,
                     "--output", str(tmp_path / "x.docx"))
    assert not (tmp_path / "x.docx").exists()


def test_report_page_refuses_a_year_outside_the_plan(client, drafter):
    client.force_login(drafter)
    assert client.get("/piano/rapporto/", {"piano": "2022-2023", "anno": "2021"}).status_code == 404
    assert client.get("/piano/rapporto/", {"piano": "2022-2023", "anno": "x"}).status_code == 404
