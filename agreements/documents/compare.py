"""Compare two versions of a text article by article: the articles as recorded now, or any .docx version
(generated or uploaded), whose articles are read back with python-docx. The result lists only the articles
that differ (added, removed, or changed, with the changed words), and can be downloaded as a .docx with the
changes marked (removed words struck through in red, added words underlined in green)."""

import io
import re
from dataclasses import dataclass, field

import docx
from django.utils.translation import gettext as _
from docx.enum.text import WD_COLOR_INDEX
from docx.shared import RGBColor

from agreements.common.textdiff import ADDED, REMOVED, changed, word_diff
from agreements.models import Agreement, DocumentVersion

from .render import DOCX_TYPE, language_names
from .selectors import read_version

ARTICLE_HEADING = re.compile(r"^\s*(?:Art\.|Articolo|Article|Artículo|Artikel)\s*(\d{1,3})\b", re.IGNORECASE)
RECORDED = "testo"  # the choice that stands for the articles as recorded


@dataclass
class TextVersion:
    label: str
    # column label (the language as the document names it: "Italiano", "Español") -> number -> text
    columns: dict[str, dict[int, str]] = field(default_factory=dict)


@dataclass
class ArticleDiff:
    number: int
    status: str  # "added", "removed", "changed"
    columns: list[tuple[str, list[tuple[str, str]]]]  # (column label, word diff) for the columns that differ


def recorded_text(agreement: Agreement, articles) -> TextVersion:
    version = TextVersion(label=_("Testo registrato (articoli attuali)"))
    for code in agreement.text_languages:
        column = version.columns.setdefault(language_names(code)[1], {})
        for article in articles:
            heading, text = article.heading(code), article.text(code)
            if heading or text:
                column[article.number] = f"Art. {article.number} – {heading}\n{text}".strip()
    return version


def _is_heading_paragraph(paragraph) -> bool:
    runs = [r for r in paragraph.runs if r.text.strip()]
    return bool(runs) and all(r.bold for r in runs)


def docx_text(data: bytes, label: str) -> TextVersion:
    """The articles of a .docx: a paragraph "Art. N ..." opens article N in its column (a table cell's column, or
    the body); the paragraphs after it are its text, up to the next article or a bold heading that is not one.
    Table columns take their label from the table's first row (the languages of the multilingual template)."""
    document = docx.Document(io.BytesIO(data))
    version = TextVersion(label=label)
    body = document.element.body
    body_current: list = [None]

    def add(column: str, current: list, text: str, is_heading: bool):
        match = ARTICLE_HEADING.match(text)
        if match:
            current[0] = int(match.group(1))
            version.columns.setdefault(column, {})[current[0]] = text
        elif is_heading:
            current[0] = None
        elif current[0] is not None and text:
            articles = version.columns.setdefault(column, {})
            articles[current[0]] = f"{articles[current[0]]}\n{text}"

    for child in body.iterchildren():
        if child.tag.endswith("}p"):
            paragraph = docx.text.paragraph.Paragraph(child, document)
            add(_("Italiano"), body_current, paragraph.text.strip(), _is_heading_paragraph(paragraph))
        elif child.tag.endswith("}tbl"):
            table = docx.table.Table(child, document)
            rows = table.rows
            labels = []
            if rows and not any(ARTICLE_HEADING.match(c.text) for c in rows[0].cells):
                labels = [c.text.strip() for c in rows[0].cells]
            currents = {}
            for row in rows:
                for i, cell in enumerate(row.cells):
                    column = labels[i] if i < len(labels) and labels[i] else _("Colonna %(n)d") % {"n": i + 1}
                    current = currents.setdefault(i, [None])
                    for paragraph in cell.paragraphs:
                        text = paragraph.text.strip()
                        if row is rows[0] and labels:
                            continue
                        add(column, current, text, False)
    return version


def compare(older: TextVersion, newer: TextVersion) -> list[ArticleDiff]:
    """Only the articles that differ, by number; per column (language) the words removed and added."""
    labels = list(dict.fromkeys([*newer.columns, *older.columns]))
    numbers = sorted({n for columns in (older.columns, newer.columns) for col in columns.values() for n in col})
    diffs = []
    for number in numbers:
        in_old = any(number in older.columns.get(label, {}) for label in labels)
        in_new = any(number in newer.columns.get(label, {}) for label in labels)
        columns = []
        for label in labels:
            before = older.columns.get(label, {}).get(number, "")
            after = newer.columns.get(label, {}).get(number, "")
            ops = word_diff(before, after)
            if changed(ops):
                columns.append((label, ops))
        if columns:
            status = "added" if not in_old else "removed" if not in_new else "changed"
            diffs.append(ArticleDiff(number=number, status=status, columns=columns))
    return diffs


def version_text(agreement: Agreement, choice: str) -> TextVersion:
    """The text a choice of the compare form stands for: RECORDED, or the pk of one of the agreement's .docx
    versions. A choice that is neither raises LookupError (the page answers 404)."""
    if choice == RECORDED:
        return recorded_text(agreement, list(agreement.articles.all()))
    if not str(choice).isdigit():
        raise LookupError(choice)
    version = DocumentVersion.objects.filter(agreement=agreement, pk=int(choice), content_type=DOCX_TYPE).first()
    if version is None:
        raise LookupError(choice)
    return docx_text(read_version(version), f"{version.get_doc_type_display()} v{version.number}")


def compare_docx(agreement: Agreement, older: TextVersion, newer: TextVersion, diffs: list[ArticleDiff]) -> bytes:
    """The comparison as a Word file: one section per changed article, removed words struck through in red,
    added words underlined in green."""
    document = docx.Document()
    document.add_heading(_("Confronto del testo – %(ref)s") % {"ref": agreement.reference}, level=1)
    document.add_paragraph(agreement.title)
    document.add_paragraph(_("Da: %(old)s — A: %(new)s") % {"old": older.label, "new": newer.label})
    legend = document.add_paragraph(_("Legenda: "))
    _run(legend, _("testo tolto"), REMOVED)
    legend.add_run(" · ")
    _run(legend, _("testo aggiunto"), ADDED)
    if not diffs:
        document.add_paragraph(_("Nessuna differenza negli articoli."))
    status_labels = {"added": _("articolo aggiunto"), "removed": _("articolo tolto"), "changed": _("modificato")}
    for diff in diffs:
        document.add_heading(_("Art. %(n)d (%(status)s)") % {"n": diff.number, "status": status_labels[diff.status]},
                             level=2)
        for label, ops in diff.columns:
            paragraph = document.add_paragraph()
            paragraph.add_run(f"{label}: ").bold = True
            for op, words in ops:
                _run(paragraph, words, op)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _run(paragraph, text: str, op: str):
    run = paragraph.add_run(text)
    if op == REMOVED:
        run.font.strike = True
        run.font.color.rgb = RGBColor(0xB0, 0x00, 0x20)
        run.font.highlight_color = WD_COLOR_INDEX.PINK
    elif op == ADDED:
        run.font.underline = True
        run.font.color.rgb = RGBColor(0x00, 0x70, 0x30)
        run.font.highlight_color = WD_COLOR_INDEX.BRIGHT_GREEN
    return run
