"""What the search indexes, read from the rows it comes from: one function per source, each returning the texts of
one agreement (or one activity of the register) as SearchText values, read for a batch of agreements at once by
`agreements_texts` (a fixed number of queries per batch). The article texts are read in one place
(`article_texts`), so a change of the Article model (languages as rows) is adapted here and nowhere else."""

import io
import logging
from dataclasses import dataclass

from django.utils.translation import gettext as _

from agreements.common.languages import country_name
from agreements.models import Activity, Agreement, Article, AuditEvent, DocumentVersion, Opinion
from agreements.models.search import SearchEntry

logger = logging.getLogger(__name__)

ITALIAN = "it"
# Longest text kept for one entry: PostgreSQL's tsvector stops at 1 MB, and a snippet needs no more.
MAX_BODY_CHARS = 400_000
MAX_PDF_PAGES = 500
# The markers ts_headline puts around a hit (the page turns them into <mark>); removed from indexed text.
HIT_START, HIT_STOP = "\u27e6", "\u27e7"
# Audit-event details that carry someone's remarks on the text (director's send-backs and rejections, reasons for
# withdrawing or archiving). Opinions' notes are indexed from the opinions, observations from the record's fields.
REMARK_KEYS = ("remarks", "reason")
# The record's free-text fields.
NOTE_FIELDS = ("notes", "cost_notes", "implementation_notes", "qualification_reason", "negotiation_criteria",
               "observations_text", "assembly_observations_text", "closed_reason")


@dataclass(frozen=True)
class SearchText:
    kind: str
    source_id: int
    language: str
    title: str
    body: str

    @property
    def config(self) -> str:
        return config_for(self.language)


def config_for(language: str) -> str:
    """PostgreSQL's Italian configuration (stemming, stop words) for Italian, 'simple' for any other language."""
    return "italian" if (language or ITALIAN) == ITALIAN else "simple"


def clean(text) -> str:
    text = str(text or "").replace("\x00", " ").replace(HIT_START, " ").replace(HIT_STOP, " ")
    return text[:MAX_BODY_CHARS]


def article_texts(articles: list[Article]) -> list[SearchText]:
    """Every article given in every language it is written in: the one place that reads article texts (Italian in
    its own columns, the other languages in the article's translations)."""
    texts = []
    for article in articles:
        prefix = _("Art. %(n)s") % {"n": article.number}
        texts.append(SearchText(SearchEntry.Kind.ARTICLE, article.pk, ITALIAN,
                                clean(f"{prefix} {article.heading_it}"), clean(article.text_it)))
        for code in sorted(article.translations or {}):
            if code == ITALIAN:
                continue
            heading, text = article.heading(code), article.text(code)
            if heading or text:
                texts.append(SearchText(SearchEntry.Kind.ARTICLE, article.pk, code,
                                        clean(f"{prefix} {heading}"), clean(text)))
    return texts


def record_texts(agreement: Agreement) -> list[SearchText]:
    """The record itself (title weighs most; reference, counterpart, areas) and its free-text notes."""
    counterpart = agreement.counterpart
    body = " ".join([agreement.reference, counterpart.name, counterpart.name_local, counterpart.country,
                     *[str(a) for a in agreement.subject_areas or []]])
    texts = [SearchText(SearchEntry.Kind.AGREEMENT, agreement.pk, ITALIAN, clean(agreement.title), clean(body))]
    notes = "\n".join(str(getattr(agreement, f) or "") for f in NOTE_FIELDS if getattr(agreement, f, ""))
    if notes.strip():
        texts.append(SearchText(SearchEntry.Kind.NOTE, agreement.pk, ITALIAN, _("Note"), clean(notes)))
    return texts


def opinion_texts(opinions: list[Opinion]) -> list[SearchText]:
    return [
        SearchText(SearchEntry.Kind.OPINION, o.pk, ITALIAN,
                   clean(_("Parere %(dg)s, turno %(n)d: %(kind)s") % {"dg": o.dg.name, "n": o.round,
                                                                       "kind": o.get_kind_display()}),
                   clean(o.notes))
        for o in opinions if (o.notes or "").strip()
    ]


def remark_texts(events: list[AuditEvent]) -> list[SearchText]:
    texts = []
    for event in events:
        detail = event.detail if isinstance(event.detail, dict) else {}
        said = [str(detail[k]) for k in REMARK_KEYS if isinstance(detail.get(k), str) and detail[k].strip()]
        if said:
            texts.append(SearchText(SearchEntry.Kind.REMARK, event.pk, ITALIAN,
                                    clean(f"{event.actor_name} · {event.at:%d/%m/%Y}"), clean("\n".join(said))))
    return texts


def _grouped(rows, key: str) -> dict[int, list]:
    groups: dict[int, list] = {}
    for row in rows:
        groups.setdefault(getattr(row, key), []).append(row)
    return groups


def agreements_texts(agreements: list[Agreement]) -> dict[int, list[SearchText]]:
    """Everything the search indexes of each agreement given (its counterpart selected), except its documents
    (indexed one by one by the worker): three queries for the whole batch, whatever its size."""
    ids = [a.pk for a in agreements]
    articles = _grouped(Article.objects.filter(agreement_id__in=ids).order_by("agreement_id", "number"),
                        "agreement_id")
    opinions = _grouped(Opinion.objects.filter(agreement_id__in=ids).select_related("dg"), "agreement_id")
    events = _grouped(AuditEvent.objects.filter(agreement_id__in=ids, detail__has_any_keys=list(REMARK_KEYS)),
                      "agreement_id")
    return {
        a.pk: [*record_texts(a), *article_texts(articles.get(a.pk, [])), *opinion_texts(opinions.get(a.pk, [])),
               *remark_texts(events.get(a.pk, []))]
        for a in agreements
    }


def agreement_texts(agreement: Agreement) -> list[SearchText]:
    """Everything of one agreement the search indexes, except its documents."""
    return agreements_texts([agreement])[agreement.pk]


def activity_texts(activity: Activity) -> list[SearchText]:
    """An activity of the register: its title (weighs most), then kind, dates, place, country, counterparts, notes
    and spillover (follow-up projects, funding applications). Its attachments are indexed one by one as
    documents. `activity.counterparts` may be prefetched."""
    counterparts = [c.name for c in activity.counterparts.all()] + [c.name_local for c in activity.counterparts.all()
                                                                    if c.name_local]
    country = country_name(activity.country_code) if activity.country_code else ""
    body = "\n".join(part for part in (
        activity.get_kind_display(), f"{activity.starts_on:%d/%m/%Y}", activity.place, country, *counterparts,
        activity.notes, activity.follow_up_projects, activity.funding_applications,
    ) if part)
    return [SearchText(SearchEntry.Kind.ACTIVITY, activity.pk, ITALIAN, clean(activity.title), clean(body))]


# --- Documents --------------------------------------------------------------------------------------------------


def docx_text(data: bytes) -> str:
    """The text of a .docx (python-docx): paragraphs and table cells, in order."""
    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(p for p in parts if p)


def pdf_text(data: bytes) -> str:
    """The text of a PDF (pypdf), page by page, up to MAX_PDF_PAGES pages and MAX_BODY_CHARS characters."""
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
    parts, size = [], 0
    for page in reader.pages[:MAX_PDF_PAGES]:
        text = page.extract_text() or ""
        parts.append(text)
        size += len(text)
        if size > MAX_BODY_CHARS:
            break
    return "\n".join(parts)


def file_text(data: bytes) -> str:
    """The text of a stored version: a .docx, a PDF, or the document inside a .p7m envelope."""
    if data.startswith(b"PK\x03\x04"):
        return docx_text(data)
    if data.startswith(b"\x30") or not data.lstrip().startswith(b"%PDF-"):
        from agreements.documents.signatures import open_p7m

        return file_text(open_p7m(data).content)
    return pdf_text(data)


def document_text(version: DocumentVersion) -> SearchText:
    """The text of an uploaded version; its title only when the text cannot be read (so it is not retried)."""
    from agreements.documents.selectors import read_version

    try:
        text = file_text(read_version(version))
    except Exception as exc:  # noqa: BLE001 - a parser's error on one stored file must not stop the worker
        logger.warning("Search: the text of %s cannot be read: %s", version, exc)
        text = ""
    title = f"{version.get_doc_type_display()} v{version.number} · {version.filename}"
    return SearchText(SearchEntry.Kind.DOCUMENT, version.pk, ITALIAN, clean(title), clean(text))
