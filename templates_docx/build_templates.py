"""Build the shipped .docx templates with python-docx: real Word files a drafter can open and edit.

    .venv/bin/python templates_docx/build_templates.py            # rewrites templates_docx/*.docx
    .venv/bin/python templates_docx/build_templates.py OUTDIR     # writes them elsewhere (tests compare)

Fields are Jinja tags for docxtpl (`{{ agreement.title }}`, `{%tr for a in articles %}` for table rows,
`{%p ... %}` for paragraphs); the names are listed by `manage.py render_document --fields`. Each tag is written
in a single run so Word does not split it. The output is byte-for-byte reproducible (fixed dates in the
properties and in the zip entries), so a rebuild shows up in `git diff` only when the text changed.
"""

import datetime
import io
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

HERE = Path(__file__).resolve().parent
FIXED_TIME = datetime.datetime(2024, 1, 1, 0, 0, 0)

L131 = "legge 5 giugno 2003, n. 131"
DAR = "Presidenza del Consiglio dei Ministri – Dipartimento per gli Affari Regionali e le Autonomie"
MAECI = "Ministero degli Affari Esteri e della Cooperazione Internazionale"


# --- helpers -------------------------------------------------------------------------------------------------


def new_document(title: str, *, landscape: bool = False) -> Document:
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(11)
    normal.paragraph_format.space_after = Pt(6)
    section = doc.sections[0]
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.2))
    header = section.header.paragraphs[0]
    header.text = "{{ region.name }}"
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer = section.footer.paragraphs[0]
    footer.text = "Rif. {{ agreement.reference }}"
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    props = doc.core_properties
    props.title = title
    props.author = "Regione Emilia-Romagna"
    props.last_modified_by = "Regione Emilia-Romagna"
    props.comments = ""
    props.subject = ""
    props.keywords = "Intese"
    props.created = props.modified = props.last_printed = FIXED_TIME
    props.revision = 1
    return doc


def para(container, text: str = "", *, bold=False, italic=False, size=None, align=None, space_after=None):
    p = container.add_paragraph()
    if text:
        run = p.add_run(text)
        run.bold, run.italic = bold, italic
        if size:
            run.font.size = Pt(size)
    if align == "center":
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif align == "right":
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    elif align == "justify":
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    if space_after is not None:
        p.paragraph_format.space_after = Pt(space_after)
    return p


def cell_text(cell, text: str, **kwargs):
    """Put `text` in a table cell, reusing the empty paragraph every new cell has."""
    first = cell.paragraphs[0]
    if not first.text and len(cell.paragraphs) == 1 and not first.runs:
        run = first.add_run(text)
        run.bold = kwargs.get("bold", False)
        if kwargs.get("align") == "justify":
            first.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        return first
    return para(cell, text, **kwargs)


def repeat_as_header(row):
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def letterhead(doc, protocol_field: str | None = None):
    para(doc, "{{ region.name }}", bold=True, size=13, space_after=0)
    para(doc, "{{ region.office }}", space_after=0)
    para(doc, "{{ region.unit }}", space_after=12)
    if protocol_field:
        para(doc, "{% if " + protocol_field + " is defined %}Prot. n. {{ " + protocol_field
             + " }}{% else %}Prot. n. ____________{% endif %}", space_after=0)
    para(doc, "{{ region.city }}, {{ today }}", align="right", space_after=12)


def signature_table(doc, left_title: str, left_loop: str, right_title: str, right_loop: str):
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, title, loop in ((table.rows[0].cells[0], left_title, left_loop),
                              (table.rows[0].cells[1], right_title, right_loop)):
        cell_text(cell, title, bold=True)
        para(cell, "{%p for s in " + loop + " %}")
        para(cell, "{{ s.name }}", space_after=0)
        para(cell, "{{ s.role }}", italic=True)
        para(cell, "_______________________________")
        para(cell, "{%p endfor %}")
    return table


def save(doc: Document, name: str, folder: Path = HERE) -> Path:
    """Save with fixed zip timestamps, so the file is reproducible."""
    raw = io.BytesIO()
    doc.save(raw)
    raw.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info))
    path = folder / f"{name}.docx"
    path.write_bytes(out.getvalue())
    return path


# --- the templates -------------------------------------------------------------------------------------------


def intesa_bilingue() -> Document:
    """The Intesa with its equally authentic versions side by side: one column per language of the text (two,
    three or more), article by article. The columns come from `{%tc for %}` loops over the text's languages."""
    doc = new_document("Intesa – testo multilingue", landscape=True)
    para(doc, "INTESA", bold=True, size=16, align="center", space_after=2)
    para(doc, "tra la {{ region.name }} (Repubblica Italiana) e {{ counterpart.name }} ({{ counterpart.country }})",
         align="center", size=12)
    para(doc, "{{ counterpart.name_local }}", italic=True, align="center")
    para(doc, "«{{ agreement.title }}»", bold=True, align="center", space_after=12)
    para(doc, "Testo in {{ agreement.languages_text }}, le versioni a fronte, articolo per articolo. "
              "{% if agreement.authentic_languages_text is defined %}Fanno ugualmente fede le versioni in "
              "{{ agreement.authentic_languages_text }}.{% endif %}", italic=True, align="center", space_after=12)

    table = doc.add_table(rows=4, cols=3)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    head, loop_start, article, loop_end = table.rows
    cell_text(head.cells[0], "{%tc for l in text_languages %}")
    cell_text(head.cells[1], "{{ l.native_name }}", bold=True)
    cell_text(head.cells[2], "{%tc endfor %}")
    repeat_as_header(head)
    cell_text(loop_start.cells[0], "{%tr for a in articles %}")
    cell_text(article.cells[0], "{%tc for v in a.versions %}")
    cell_text(article.cells[1], "{{ v.title }}", bold=True)
    para(article.cells[1], "{{ v.text }}", align="justify")
    cell_text(article.cells[2], "{%tc endfor %}")
    cell_text(loop_end.cells[0], "{%tr endfor %}")

    para(doc, "")
    para(doc, "{% if agreement.signed_on is defined %}Fatto a {{ agreement.signature_place }}, il "
              "{{ agreement.signed_on }}{% else %}Fatto a ____________________, il ____________________"
              "{% endif %}, in due esemplari originali, in {{ agreement.languages_text }}.", align="center")
    signature_table(doc, "Per la {{ region.name }}", "signatories_region",
                    "{{ counterpart.name_local }}", "signatories_counterpart")
    return doc


def memorandum() -> Document:
    doc = new_document("Memorandum of Understanding")
    para(doc, "MEMORANDUM OF UNDERSTANDING", bold=True, size=16, align="center", space_after=2)
    para(doc, "Memorandum d'intesa", italic=True, align="center")
    para(doc, "tra la {{ region.name }} e {{ counterpart.name }} ({{ counterpart.country }})", align="center")
    para(doc, "«{{ agreement.title }}»", bold=True, align="center", space_after=12)
    para(doc, "La {{ region.name }} e {{ counterpart.name_local }}, di seguito «le Parti»,", align="justify")
    para(doc, "considerati i legami di amicizia e di collaborazione tra i rispettivi territori e la volontà comune "
              "di sviluppare iniziative congiunte{% if agreement.subject_areas_text is defined %} nei seguenti "
              "ambiti: {{ agreement.subject_areas_text }}{% endif %},", align="justify")
    para(doc, "convengono quanto segue.", align="justify", space_after=12)
    para(doc, "{%p for a in articles %}")
    para(doc, "{{ a.title_it }}", bold=True, align="center", space_after=2)
    para(doc, "{{ a.text_it }}", align="justify")
    para(doc, "{%p endfor %}")
    para(doc, "Natura del Memorandum", bold=True, align="center", space_after=2)
    para(doc, "{% if agreement.is_binding %}Le Parti si impegnano a dare attuazione al presente Memorandum nei limiti "
              "delle rispettive competenze e risorse.{% else %}Il presente Memorandum esprime la comune volontà di "
              "collaborare e non crea obblighi giuridicamente vincolanti né oneri finanziari per le Parti."
              "{% endif %}", align="justify")
    para(doc, "Durata", bold=True, align="center", space_after=2)
    para(doc, "{% if agreement.duration_text is defined %}Il presente Memorandum ha durata di "
              "{{ agreement.duration_text }} dalla data della firma. {% endif %}{{ agreement.renewal_text }}",
         align="justify", space_after=18)
    para(doc, "{% if agreement.signed_on is defined %}Fatto a {{ agreement.signature_place }}, il "
              "{{ agreement.signed_on }}.{% else %}Fatto a ____________________, il ____________________.{% endif %}")
    signature_table(doc, "Per la {{ region.name }}", "signatories_region",
                    "Per {{ counterpart.name }}", "signatories_counterpart")
    return doc


def notifica_governo() -> Document:
    doc = new_document("Comunicazione preventiva ai sensi dell'art. 6 della L. 131/2003")
    letterhead(doc, "agreement.notice_government_protocol")
    para(doc, "Alla " + DAR, bold=True, space_after=0)
    para(doc, "Roma", space_after=8)
    para(doc, "Al " + MAECI, bold=True, space_after=0)
    para(doc, "Servizio per gli Affari Giuridici, del Contenzioso Diplomatico e dei Trattati", space_after=0)
    para(doc, "Roma", space_after=12)
    para(doc, "Oggetto: comunicazione preventiva ai sensi dell'articolo 6, comma 2, della " + L131
         + " – {{ agreement.kind_label }} «{{ agreement.title }}» tra la {{ region.name }} e {{ counterpart.name }} "
         "({{ counterpart.country }}).", bold=True, align="justify", space_after=12)
    para(doc, "Ai sensi dell'articolo 6, comma 2, della " + L131 + ", si comunica che la Giunta regionale, con "
              "deliberazione n. {{ agreement.dgr_number }} del {{ agreement.dgr_date }}, ha approvato lo schema "
              "{{ agreement.kind_genitive }} indicato in oggetto con {{ counterpart.name }}, "
              "{{ counterpart.type_label|lower }} di {{ counterpart.country }}, che si trasmette in allegato"
              "{% if agreement.languages_text is defined %} nei testi in {{ agreement.languages_text }}"
              "{% endif %}.", align="justify")
    para(doc, "{% if agreement.subject_areas_text is defined %}La collaborazione riguarda i seguenti ambiti: "
              "{{ agreement.subject_areas_text }}. {% endif %}{% if agreement.duration_text is defined %}"
              "La durata prevista è di {{ agreement.duration_text }}.{% endif %}", align="justify")
    para(doc, "{% if agreement.is_state_agreement %}Trattandosi di accordo con uno Stato estero, ai sensi "
              "dell'articolo 6, comma 3, della medesima legge si chiede il conferimento dei pieni poteri di firma "
              "da parte del " + MAECI + ".{% else %}Il " + MAECI + " e il Dipartimento per gli Affari Regionali e "
              "le Autonomie possono formulare criteri e osservazioni entro trenta giorni dal ricevimento della "
              "presente; decorso tale termine, la Regione potrà procedere alla sottoscrizione.{% endif %}",
         align="justify")
    para(doc, "{% if drafter is defined %}Per ogni chiarimento è a disposizione {{ drafter.name }}"
              "{% if drafter.email is defined %} ({{ drafter.email }}){% endif %}.{% endif %}", align="justify",
         space_after=18)
    para(doc, "Distinti saluti.", space_after=18)
    para(doc, "Il dirigente responsabile", align="right", space_after=0)
    para(doc, "{% if director is defined %}{{ director.name }}{% else %}____________________{% endif %}",
         align="right", space_after=18)
    para(doc, "Allegato: schema {{ agreement.kind_genitive }} ({{ agreement.reference }}); deliberazione della Giunta "
              "regionale n. {{ agreement.dgr_number }} del {{ agreement.dgr_date }}.", italic=True, size=9)
    return doc


def informativa_assemblea() -> Document:
    doc = new_document("Informativa all'Assemblea legislativa")
    letterhead(doc, "agreement.notice_assembly_protocol")
    para(doc, "Alla Presidenza dell'Assemblea legislativa della {{ region.name }}", bold=True, space_after=0)
    para(doc, "Viale Aldo Moro 50, Bologna", space_after=12)
    para(doc, "Oggetto: informativa sullo schema {{ agreement.kind_genitive }} «{{ agreement.title }}» tra la "
              "{{ region.name }} e {{ counterpart.name }} ({{ counterpart.country }}).", bold=True, align="justify",
         space_after=12)
    para(doc, "Si informa l'Assemblea legislativa che la Giunta regionale, con deliberazione n. "
              "{{ agreement.dgr_number }} del {{ agreement.dgr_date }}, ha approvato lo schema "
              "{{ agreement.kind_genitive }} in oggetto{% if agreement.notice_government_date is defined %} e che "
              "in data {{ agreement.notice_government_date }} ne è stata data comunicazione preventiva alla " + DAR
         + " e al " + MAECI + ", ai sensi dell'articolo 6 della " + L131 + "{% endif %}.", align="justify")
    para(doc, "Elementi principali:", bold=True, space_after=2)
    para(doc, "– controparte: {{ counterpart.name }} ({{ counterpart.type_label|lower }}, {{ counterpart.country }});",
         space_after=0)
    para(doc, "{% if agreement.subject_areas_text is defined %}– ambiti di cooperazione: "
              "{{ agreement.subject_areas_text }};{% endif %}", space_after=0)
    para(doc, "{% if agreement.duration_text is defined %}– durata: {{ agreement.duration_text }}; "
              "{{ agreement.renewal_clause_label|lower }};{% endif %}", space_after=0)
    para(doc, "{% if agreement.estimated_cost is defined %}– costi stimati: {{ agreement.estimated_cost }};"
              "{% else %}– costi: nessun onere finanziario previsto;{% endif %}", space_after=0)
    para(doc, "{% if dgs_text is defined %}– Direzioni generali coinvolte: {{ dgs_text }}.{% endif %}", space_after=8)
    para(doc, "{% if agreement.is_binding %}Una volta sottoscritto, il testo sarà trasmesso all'Assemblea "
              "legislativa per la ratifica.{% else %}Il testo non comporta obblighi giuridicamente vincolanti per "
              "la Regione.{% endif %} Si allega lo schema {{ agreement.kind_genitive }}.", align="justify",
         space_after=18)
    para(doc, "Distinti saluti.", space_after=18)
    para(doc, "Per la Giunta regionale – {{ region.office }}", align="right", space_after=0)
    para(doc, "{% if director is defined %}{{ director.name }}{% else %}____________________{% endif %}",
         align="right")
    return doc


def lettera_controparte() -> Document:
    doc = new_document("Lettera di accompagnamento alla controparte")
    letterhead(doc)
    para(doc, "Spett.le {{ counterpart.name_local }}", bold=True, space_after=0)
    para(doc, "{%p for s in signatories_counterpart %}")
    para(doc, "alla cortese attenzione di {{ s.name }}, {{ s.role }}", space_after=0)
    para(doc, "{%p endfor %}")
    para(doc, "{{ counterpart.country }}", space_after=12)
    para(doc, "Oggetto: {{ agreement.kind_label }} «{{ agreement.title }}»", bold=True, space_after=12)
    para(doc, "Gentili colleghi,", space_after=6)
    para(doc, "facendo seguito ai contatti intercorsi, abbiamo il piacere di trasmettervi il testo "
              "{{ agreement.kind_genitive }} tra la {{ region.name }} e {{ counterpart.name_local }}"
              "{% if other_language is defined %}, con il testo italiano e il testo "
              "{{ other_language.name }} ({{ other_language.native_name }}){% endif %}.", align="justify")
    para(doc, "{% if agreement.subject_areas_text is defined %}Il testo definisce la collaborazione nei seguenti "
              "ambiti: {{ agreement.subject_areas_text }}. {% endif %}Vi saremmo grati se voleste confermarci il "
              "vostro accordo sul testo o comunicarci eventuali osservazioni, in vista della firma"
              "{% if agreement.signature_place is defined %} prevista a {{ agreement.signature_place }}"
              "{% endif %}{% if agreement.signed_on is defined %} il {{ agreement.signed_on }}{% endif %}.",
         align="justify")
    para(doc, "{% if drafter is defined %}Per ogni aspetto operativo potete rivolgervi a {{ drafter.name }}"
              "{% if drafter.email is defined %} ({{ drafter.email }}){% endif %}.{% endif %}", align="justify",
         space_after=12)
    para(doc, "Con i più cordiali saluti,", space_after=18)
    para(doc, "{%p for s in signatories_region %}")
    para(doc, "{{ s.name }}", align="right", space_after=0)
    para(doc, "{{ s.role }}", italic=True, align="right")
    para(doc, "{%p endfor %}")
    para(doc, "Allegato: testo {{ agreement.kind_genitive }} ({{ agreement.reference }}).", italic=True, size=9)
    return doc


def proposta_rinnovo() -> Document:
    # About the agreement being renewed (`renewed`: the one the renewal record renews, or the agreement itself),
    # with the duration of the renewal (`agreement`).
    doc = new_document("Proposta di rinnovo")
    letterhead(doc)
    para(doc, "Spett.le {{ counterpart.name_local }}", bold=True, space_after=0)
    para(doc, "{{ counterpart.country }}", space_after=12)
    para(doc, "Oggetto: proposta di rinnovo {{ renewed.kind_genitive }} «{{ renewed.title }}» "
              "({{ renewed.reference }})", bold=True, align="justify", space_after=12)
    para(doc, "Gentili colleghi,", space_after=6)
    para(doc, "{{ renewed.kind_with_article }} «{{ renewed.title }}» tra la {{ region.name }} e "
              "{{ counterpart.name_local }}{% if renewed.signed_on is defined %} (firma: "
              "{{ renewed.signed_on }}{% if renewed.signature_place is defined %}, "
              "{{ renewed.signature_place }}{% endif %}){% endif %} ha effetto dal {{ renewed.entry_into_force }} "
              "fino al {{ renewed.end_date }}.", align="justify")
    para(doc, "Alla luce dei risultati raggiunti{% if renewed.subject_areas_text is defined %} negli ambiti della "
              "collaborazione ({{ renewed.subject_areas_text }}){% endif %}, la {{ region.name }} ne propone il "
              "rinnovo per ulteriori {{ agreement.duration_text }}, con l'aggiornamento del testo ove necessario.",
         align="justify")
    para(doc, "Clausola di rinnovo vigente: {{ renewed.renewal_text }}", italic=True, align="justify")
    para(doc, "Da parte italiana il rinnovo seguirà la procedura prevista dall'articolo 6 della " + L131
         + " (comunicazione preventiva al Governo). Restiamo in attesa di conoscere la vostra disponibilità e le "
           "eventuali proposte di modifica del testo.", align="justify", space_after=12)
    para(doc, "Con i più cordiali saluti,", space_after=18)
    para(doc, "{%p for s in signatories_region %}")
    para(doc, "{{ s.name }}", align="right", space_after=0)
    para(doc, "{{ s.role }}", italic=True, align="right")
    para(doc, "{%p endfor %}")
    return doc


BUILDERS = {
    "intesa_bilingue": intesa_bilingue,
    "memorandum": memorandum,
    "notifica_governo": notifica_governo,
    "informativa_assemblea": informativa_assemblea,
    "lettera_controparte": lettera_controparte,
    "proposta_rinnovo": proposta_rinnovo,
}


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else HERE
    for name, build in BUILDERS.items():
        print(save(build(), name, folder))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
