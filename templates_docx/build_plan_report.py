"""Build templates_docx/rapporto_piano.docx, the plan's monitoring and evaluation report (manage.py plan_report).

    .venv/bin/python templates_docx/build_plan_report.py          # rewrites templates_docx/rapporto_piano.docx
    .venv/bin/python templates_docx/build_plan_report.py OUTDIR   # writes it elsewhere

Same helpers and conventions as build_templates.py (one run per Jinja tag, reproducible bytes). The fields are those
of agreements.plan.report.report_context; a chart is a paragraph holding `{{ i.chart }}`, a marker the report
replaces with the PNG after rendering.
"""

import sys
from pathlib import Path

from build_templates import HERE, cell_text, new_document, para, repeat_as_header, save


def table(doc, headers, loop, cells, endloop="{%tr endfor %}"):
    t = doc.add_table(rows=4, cols=len(headers))
    t.style = "Table Grid"
    head, start, row, end = t.rows
    for cell, text in zip(head.cells, headers, strict=True):
        cell_text(cell, text, bold=True)
    repeat_as_header(head)
    cell_text(start.cells[0], loop)
    for cell, text in zip(row.cells, cells, strict=True):
        cell_text(cell, text)
    cell_text(end.cells[0], endloop)
    return t


def rapporto_piano():
    doc = new_document("Rapporto di monitoraggio e valutazione del piano operativo")
    doc.sections[0].footer.paragraphs[0].text = "{{ plan.title }} – anno {{ year }}"
    para(doc, "{{ region.name }}", bold=True, size=13, space_after=0)
    para(doc, "{{ region.office }} – {{ region.unit }}", space_after=12)
    para(doc, "Rapporto di monitoraggio e valutazione", bold=True, size=16, align="center", space_after=2)
    para(doc, "{{ plan.title }} – anno {{ year }}", bold=True, size=13, align="center", space_after=6)
    para(doc, "Periodo del piano: {{ plan.period }}. {{ plan.act }}", align="center")
    para(doc, "Dati visibili a: {{ scope }}. Generato il {{ today }}.", italic=True, align="center", space_after=12)

    para(doc, "1. Indicatori: target, valore rilevato, scarto", bold=True, size=13)
    para(doc, "{%p for i in indicators %}")
    para(doc, "{{ i.number }}. {{ i.name }}", bold=True, space_after=2)
    para(doc, "Regola: {{ i.rule }}", italic=True, space_after=4)
    table(doc, ["Anno", "Target", "Calcolato dal registro", "Valore", "Scarto", "Nota"],
          "{%tr for v in i.years %}",
          ["{{ v.year }}", "{{ v.target }}", "{{ v.computed }}", "{{ v.value }}", "{{ v.gap }}", "{{ v.note }}"])
    para(doc, "{%p for b in i.breakdowns %}")
    para(doc, "{{ b }}", space_after=2)
    para(doc, "{%p endfor %}")
    para(doc, "{{ i.chart }}")
    para(doc, "{%p endfor %}")

    para(doc, "2. Criteri di valutazione", bold=True, size=13)
    para(doc, "{%p for c in criteria %}")
    para(doc, "{{ c.title }}", bold=True, space_after=2)
    para(doc, "{%p for line in c.lines %}")
    para(doc, "{{ line }}", space_after=2)
    para(doc, "{%p endfor %}")
    para(doc, "{%p endfor %}")

    para(doc, "3. Attività dell'Ufficio nell'anno ({{ activities|length }})", bold=True, size=13)
    table(doc, ["Data", "Tipologia", "Titolo", "Paese", "DG", "Partecipanti"], "{%tr for a in activities %}",
          ["{{ a.date }}", "{{ a.kind }}", "{{ a.title }}", "{{ a.country }}", "{{ a.dgs }}", "{{ a.participants }}"])

    para(doc, "4. Accordi del piano ({{ agreements|length }})", bold=True, size=13)
    table(doc, ["Codice", "Titolo", "Controparte", "Stato", "Scadenza", "Azioni"], "{%tr for a in agreements %}",
          ["{{ a.reference }}", "{{ a.title }}", "{{ a.counterpart }}", "{{ a.status }}", "{{ a.end_date }}",
           "{{ a.actions }}"])
    return doc


def main(argv):
    folder = Path(argv[1]) if len(argv) > 1 else HERE
    print(save(rapporto_piano(), "rapporto_piano", folder))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
