"""Documents of an agreement: .docx templates rendered from the record, uploads, PDF copies, all versioned.

Rendering runs docxtpl in a sandboxed Jinja environment with StrictUndefined and autoescape:
- a template cannot reach Python internals (the sandbox blocks `__class__`, `__globals__`...), nor run away
  with `'x' * 10**9`; the offending render raises and nothing is stored;
- a field the record does not have is an error naming the field, never an empty gap: the context leaves out
  every value that is empty, so `{{ agreement.dgr_date }}` fails until the DGR is recorded. Templates guard
  optional values with `{% if agreement.signed_on is defined %}`;
- `&`, `<`, quotes and any script in the data are escaped into valid XML.
After rendering, a scan of every XML part of the result proves no `{{`, `{%`, `}}` or `%}` is left. Data values
can never form such a pair, with each other or with the template's text: every brace in the data gets a
zero-width space (U+200B) on its inner side (`{` + ZWSP, ZWSP + `}`), which leaves the text unchanged to the reader.

Every generated, uploaded or converted file becomes a new DocumentVersion (sha256, size, author, time, step);
nothing is overwritten. The writes are in services.py, one audit event each; the reads in selectors.py.
"""

import datetime
import functools
import io
import re
import threading
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from docx.oxml import parse_xml
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from agreements.common import dates
from agreements.common.errors import ServiceError
from agreements.common.languages import language_name
from agreements.models import (
    Agreement,
    AgreementKind,
    Article,
    Counterpart,
    DocumentTemplate,
    Signatory,
)
from agreements.models.agreement import RenewalClause, Status
from agreements.models.documents import DocumentType

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates_docx"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"


class DocumentError(ServiceError):
    """A document could not be produced; nothing was stored."""


class MissingFieldError(DocumentError):
    def __init__(self, field: str):
        label = FIELD_LABELS.get(field)
        text = f"{field} ({label})" if label else field
        super().__init__(
            _("Manca un dato richiesto dal modello: %(field)s. Completare la scheda dell'accordo e riprovare.")
            % {"field": text}
        )
        self.field = field


class TemplateSecurityError(DocumentError):
    pass


class TemplateInvalidError(DocumentError):
    pass


class LeftoverTagError(DocumentError):
    pass


class UnknownTemplateError(DocumentError):
    pass


# --- The templates ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    label: str
    doc_type: str

    @property
    def shipped_path(self) -> Path:
        return TEMPLATES_DIR / f"{self.name}.docx"


TEMPLATES = {
    t.name: t
    for t in (
        TemplateInfo("intesa_bilingue", gettext_lazy("Intesa, testo bilingue a fronte"), DocumentType.INTESA_BILINGUAL),
        TemplateInfo("memorandum", gettext_lazy("Memorandum of Understanding"), DocumentType.MEMORANDUM),
        TemplateInfo(
            "notifica_governo",
            gettext_lazy("Comunicazione preventiva a Presidenza del Consiglio (DAR) e MAECI (L. 131/2003 art. 6)"),
            DocumentType.NOTICE_GOVERNMENT,
        ),
        TemplateInfo(
            "informativa_assemblea", gettext_lazy("Informativa all'Assemblea legislativa"),
            DocumentType.INFORMATIVA_ASSEMBLY,
        ),
        TemplateInfo(
            "lettera_controparte", gettext_lazy("Lettera di accompagnamento alla controparte"),
            DocumentType.COVER_LETTER,
        ),
        TemplateInfo("proposta_rinnovo", gettext_lazy("Proposta di rinnovo"), DocumentType.RENEWAL_PROPOSAL),
    )
}


def template_info(name: str) -> TemplateInfo:
    try:
        return TEMPLATES[name]
    except KeyError:
        raise UnknownTemplateError(
            _("Modello sconosciuto: «%(name)s». Modelli disponibili: %(names)s.")
            % {"name": name, "names": ", ".join(TEMPLATES)}
        ) from None


def current_template(name: str) -> DocumentTemplate | None:
    """The newest uploaded revision, which wins over the file shipped in templates_docx/."""
    template_info(name)
    return DocumentTemplate.objects.filter(name=name).order_by("-revision").first()


def template_source(name: str) -> tuple[bytes, DocumentTemplate | None]:
    info = template_info(name)
    revision = current_template(name)
    if revision is not None:
        with revision.file.open("rb") as fh:
            return fh.read(), revision
    return info.shipped_path.read_bytes(), None


# --- The rendering context ----------------------------------------------------------------------------------

REGION = {
    "name": "Regione Emilia-Romagna",
    "name_short": "Emilia-Romagna",
    "country": "Italia",
    "office": "Gabinetto del Presidente della Giunta regionale",
    "unit": "Relazioni internazionali",
    "city": "Bologna",
}

MONTHS = ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
          "ottobre", "novembre", "dicembre"]

# ISO 639-1 code -> (Italian name, name in the language itself).
LANGUAGES = {
    "it": ("italiano", "Italiano"), "fr": ("francese", "Français"), "en": ("inglese", "English"),
    "es": ("spagnolo", "Español"), "ca": ("catalano", "Català"), "de": ("tedesco", "Deutsch"),
    "pt": ("portoghese", "Português"), "nl": ("olandese", "Nederlands"), "pl": ("polacco", "Polski"),
    "ro": ("rumeno", "Română"), "hr": ("croato", "Hrvatski"), "sl": ("sloveno", "Slovenščina"),
    "sr": ("serbo", "Српски"), "el": ("greco", "Ελληνικά"), "ru": ("russo", "Русский"),
    "uk": ("ucraino", "Українська"), "ar": ("arabo", "العربية"), "he": ("ebraico", "עברית"),
    "zh": ("cinese", "中文"), "ja": ("giapponese", "日本語"), "ko": ("coreano", "한국어"),
    "tr": ("turco", "Türkçe"), "hu": ("ungherese", "Magyar"), "cs": ("ceco", "Čeština"),
    "sq": ("albanese", "Shqip"), "vi": ("vietnamita", "Tiếng Việt"),
}

KIND_GENITIVE = {
    AgreementKind.INTESA: "dell'Intesa",
    AgreementKind.ACCORDO: "dell'Accordo",
    AgreementKind.MEMORANDUM: "del Memorandum of Understanding",
    AgreementKind.PROTOCOLLO: "del Protocollo d'intesa",
    AgreementKind.LETTERA_INTENTI: "della Lettera d'intenti",
}

KIND_WITH_ARTICLE = {
    AgreementKind.INTESA: "l'Intesa",
    AgreementKind.ACCORDO: "l'Accordo",
    AgreementKind.MEMORANDUM: "il Memorandum of Understanding",
    AgreementKind.PROTOCOLLO: "il Protocollo d'intesa",
    AgreementKind.LETTERA_INTENTI: "la Lettera d'intenti",
}

# Italian descriptions of the fields, for error messages and `render_document --fields`.
FIELD_LABELS = {
    "today": "data di oggi",
    "region": "dati della Regione",
    "agreement.reference": "codice dell'accordo",
    "agreement.title": "titolo",
    "agreement.kind_label": "tipo di accordo",
    "agreement.kind_with_article": "tipo di accordo con articolo («l'Intesa»)",
    "agreement.kind_genitive": "tipo di accordo con preposizione («dell'Intesa»)",
    "agreement.subject_areas": "ambiti di cooperazione (elenco)",
    "agreement.subject_areas_text": "ambiti di cooperazione",
    "agreement.languages_text": "lingue del testo",
    "agreement.authentic_languages_text": "versioni ugualmente autentiche",
    "agreement.duration_months": "durata in mesi",
    "agreement.duration_text": "durata",
    "agreement.renewal_clause_label": "clausola di rinnovo",
    "agreement.renewal_text": "clausola di rinnovo (testo)",
    "agreement.renewal_notice_days": "giorni di preavviso per la disdetta",
    "agreement.estimated_cost": "costo stimato",
    "agreement.cost_notes": "note sui costi",
    "agreement.dgr_number": "numero della DGR",
    "agreement.dgr_date": "data della DGR",
    "agreement.notice_government_date": "data della comunicazione al Governo",
    "agreement.notice_government_protocol": "protocollo della comunicazione al Governo",
    "agreement.observations_deadline": "termine per le osservazioni del Governo",
    "agreement.notice_assembly_date": "data dell'informativa all'Assemblea",
    "agreement.notice_assembly_protocol": "protocollo dell'informativa all'Assemblea",
    "agreement.full_powers_date": "data dei pieni poteri",
    "agreement.text_agreed_on": "data del testo concordato",
    "agreement.approved_on": "data di approvazione",
    "agreement.signature_place": "luogo di firma",
    "agreement.signed_on": "data di firma",
    "agreement.ratification_act": "atto di ratifica",
    "agreement.ratification_date": "data di ratifica",
    "agreement.entry_into_force": "entrata in vigore",
    "agreement.end_date": "scadenza",
    "agreement.burert_reference": "riferimento BURERT",
    "agreement.published_on": "data di pubblicazione",
    "agreement.renews_reference": "codice dell'accordo rinnovato",
    "agreement.renews_title": "titolo dell'accordo rinnovato",
    "renewed": "accordo da rinnovare",
    "renewed.reference": "codice dell'accordo da rinnovare",
    "renewed.title": "titolo dell'accordo da rinnovare",
    "renewed.signed_on": "data di firma dell'accordo da rinnovare",
    "renewed.signature_place": "luogo di firma dell'accordo da rinnovare",
    "renewed.entry_into_force": "entrata in vigore dell'accordo da rinnovare",
    "renewed.end_date": "scadenza dell'accordo da rinnovare",
    "renewed.renewal_text": "clausola di rinnovo dell'accordo da rinnovare",
    "renewed.subject_areas_text": "ambiti di cooperazione dell'accordo da rinnovare",
    "counterpart.name": "denominazione della controparte",
    "counterpart.name_local": "denominazione in lingua originale",
    "counterpart.country": "Paese della controparte",
    "counterpart.type_label": "tipo di controparte",
    "other_language": "lingua della controparte",
    "other_language.name": "lingua della controparte (in italiano)",
    "other_language.native_name": "lingua della controparte (nella lingua stessa)",
    "articles": "articoli del testo",
    "articles[].title_it": "rubrica dell'articolo con numero (italiano)",
    "articles[].title_other": "rubrica dell'articolo con numero (altra lingua)",
    "articles[].heading_other": "rubrica dell'articolo nell'altra lingua",
    "articles[].text_it": "testo dell'articolo in italiano",
    "articles[].text_other": "testo dell'articolo nell'altra lingua",
    "articles[].versions": "l'articolo in ciascuna lingua del testo",
    "articles[].versions[].title": "rubrica dell'articolo con numero (in ciascuna lingua)",
    "articles[].versions[].heading": "rubrica dell'articolo (in ciascuna lingua)",
    "articles[].versions[].text": "testo dell'articolo (in ciascuna lingua)",
    "text_languages": "lingue del testo (una colonna ciascuna)",
    "text_languages[].code": "lingua del testo (codice ISO 639-1)",
    "text_languages[].name": "lingua del testo (in italiano)",
    "text_languages[].native_name": "lingua del testo (nella lingua stessa)",
    "articles[].versions[].code": "lingua della versione (codice ISO 639-1)",
    "signatories_region": "firmatari per la Regione",
    "signatories_counterpart": "firmatari per la controparte",
    "dgs_text": "DG coinvolte",
    "drafter": "redattore",
    "drafter.name": "nome del redattore",
    "director": "dirigente responsabile",
    "director.name": "nome del dirigente responsabile",
}

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean_text(value) -> str:
    """Data as plain text for the XML: characters XML cannot hold are dropped, line ends normalised, and
    template delimiters defused (see the module docstring)."""
    text = _XML_INVALID.sub("", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("{", "{\u200b").replace("}", "\u200b}")


def italian_date(day: datetime.date | None) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}" if day else ""


def euro(amount: Decimal | None) -> str:
    if amount is None:
        return ""
    return f"{amount:,.2f} €".replace(",", "·").replace(".", ",").replace("·", ".")


def italian_list(items) -> str:
    items = [str(i) for i in items if str(i).strip()]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " e " + items[-1]


def language_names(code: str) -> tuple[str, str]:
    """(Italian name, name in the language itself); beyond the table, the ISO 639 names pycountry ships."""
    if code in LANGUAGES:
        return LANGUAGES[code]
    return language_name(code, "it"), language_name(code, code)


def _present(values: dict) -> dict:
    """The fields that have a value, as clean text: an empty field is absent, so using it is an error."""
    out = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool | dict):
            out[key] = value
            continue
        value = [clean_text(v) for v in value] if isinstance(value, list) else clean_text(value)
        if value not in ("", []):
            out[key] = value
    return out


def _renewal_text(agreement: Agreement, kind_with_article: str) -> str:
    subject = kind_with_article[0].upper() + kind_with_article[1:]
    if agreement.renewal_clause == RenewalClause.TACIT:
        days = agreement.renewal_notice_days or 0
        return _(
            "%(subject)s si rinnova tacitamente per un periodo di pari durata, salvo disdetta comunicata per "
            "iscritto da una delle Parti almeno %(days)d giorni prima della scadenza."
        ) % {"subject": subject, "days": days}
    if agreement.renewal_clause == RenewalClause.EXPRESS:
        return _("%(subject)s può essere rinnovato per espresso accordo scritto delle Parti.") % {"subject": subject}
    return _("%(subject)s non è rinnovabile.") % {"subject": subject}


def _person(user) -> dict | None:
    if user is None:
        return None
    return _present({"name": user.get_full_name() or user.get_username(), "email": user.email})


def _title(number, heading: str) -> str:
    return (f"Art. {number} – {heading}" if number else heading) if heading else ""


def _article_context(article: Article, text_languages: list[str]) -> dict:
    """One article for the templates: `versions` holds one entry per language of the text (Italian first), the
    columns of the multilingual table; `*_it` and `*_other` (the first other language) serve older templates."""
    other = text_languages[1] if len(text_languages) > 1 else ""
    values = _present({
        "number": article.number,
        "title_it": _title(article.number, article.heading_it),
        "title_other": _title(article.number, article.heading(other)) if other else "",
        "heading_it": article.heading_it,
        "heading_other": article.heading(other) if other else "",
        "text_it": article.text_it,
        "text_other": article.text(other) if other else "",
    })
    values["versions"] = [
        _present({"code": code, "title": _title(article.number, article.heading(code)),
                  "heading": article.heading(code), "text": article.text(code)})
        for code in text_languages
    ]
    return values


def context_from(agreement: Agreement, *, articles, signatories, dgs, today=None) -> dict:
    """The rendering context from an agreement and its related rows (passed in, so no query runs here)."""
    counterpart = agreement.counterpart
    text_languages = agreement.text_languages
    other_code = text_languages[1] if len(text_languages) > 1 else ""
    kind_with_article = KIND_WITH_ARTICLE.get(agreement.kind, agreement.kind)
    notice = agreement.notice_government_date
    agreement_fields = _present({
        "reference": agreement.reference,
        "title": agreement.title,
        "kind": agreement.kind,
        "kind_label": agreement.get_kind_display(),
        "kind_with_article": kind_with_article,
        "kind_genitive": KIND_GENITIVE.get(agreement.kind, agreement.kind),
        "subject_areas_text": italian_list(agreement.subject_areas),
        "languages_text": italian_list(language_names(c)[0] for c in agreement.languages),
        "authentic_languages_text": italian_list(language_names(c)[0] for c in agreement.authentic_languages),
        "duration_months": agreement.duration_months,
        "duration_text": _("%(n)d mesi") % {"n": agreement.duration_months} if agreement.duration_months else "",
        "renewal_clause_label": agreement.get_renewal_clause_display(),
        "renewal_text": _renewal_text(agreement, kind_with_article),
        "renewal_notice_days": agreement.renewal_notice_days,
        "estimated_cost": euro(agreement.estimated_cost),
        "cost_notes": agreement.cost_notes,
        "dgr_number": agreement.dgr_number,
        "dgr_date": italian_date(agreement.dgr_date),
        "notice_government_date": italian_date(notice),
        "notice_government_protocol": agreement.notice_government_protocol,
        "observations_deadline": italian_date(dates.observations_last_day(dates.observations_from(agreement))
                                               if notice else None),
        "notice_assembly_date": italian_date(agreement.notice_assembly_date),
        "notice_assembly_protocol": agreement.notice_assembly_protocol,
        "full_powers_date": italian_date(agreement.full_powers_date),
        "text_agreed_on": italian_date(agreement.text_agreed_on),
        "approved_on": italian_date(agreement.approved_on),
        "signature_place": agreement.signature_place,
        "signed_on": italian_date(agreement.signed_on),
        "ratification_act": agreement.ratification_act,
        "ratification_date": italian_date(agreement.ratification_date),
        "entry_into_force": italian_date(agreement.entry_into_force),
        "end_date": italian_date(agreement.end_date),
        "burert_reference": agreement.burert_reference,
        "published_on": italian_date(agreement.published_on),
        "renews_reference": agreement.renews.reference if agreement.renews_id is not None else "",
        "renews_title": agreement.renews.title if agreement.renews_id is not None else "",
    })
    # The agreement a renewal proposal is about: the one this record renews (generated on the renewal), or the
    # agreement itself (generated on the agreement in force before its renewal is opened).
    old = agreement.renews if agreement.renews_id is not None else agreement
    old_kind = KIND_WITH_ARTICLE.get(old.kind, old.kind)
    renewed = _present({
        "reference": old.reference,
        "title": old.title,
        "kind_with_article": old_kind,
        "kind_genitive": KIND_GENITIVE.get(old.kind, old.kind),
        "signed_on": italian_date(old.signed_on),
        "signature_place": old.signature_place,
        "entry_into_force": italian_date(old.entry_into_force),
        "end_date": italian_date(old.end_date),
        "renewal_text": _renewal_text(old, old_kind),
        "subject_areas_text": italian_list(old.subject_areas),
    })
    agreement_fields["subject_areas"] = [clean_text(a) for a in agreement.subject_areas]
    agreement_fields["is_binding"] = agreement.is_binding
    agreement_fields["is_state_agreement"] = agreement.needs_full_powers
    context = {
        "today": clean_text(italian_date(today or dates.today())),
        "region": {k: clean_text(v) for k, v in REGION.items()},
        "agreement": agreement_fields,
        "renewed": renewed,
        "counterpart": _present({
            "name": counterpart.name,
            "name_local": counterpart.name_local if clean_text(counterpart.name_local) else counterpart.name,
            "country": counterpart.country,
            "type_label": counterpart.get_type_display(),
            "language_code": counterpart.language,
        }),
        "signatories_region": [
            _present({"name": s.name, "role": s.role}) for s in signatories if s.side == Signatory.Side.REGION
        ],
        "signatories_counterpart": [
            _present({"name": s.name, "role": s.role}) for s in signatories if s.side == Signatory.Side.COUNTERPART
        ],
        "dgs": [clean_text(name) for name in dgs],
    }
    if other_code:
        name, native = language_names(other_code)
        context["other_language"] = _present({"code": other_code, "name": name, "native_name": native})
    context["text_languages"] = [
        _present({"code": code, "name": language_names(code)[0], "native_name": language_names(code)[1]})
        for code in text_languages
    ]
    if articles:
        context["articles"] = [_article_context(a, text_languages) for a in sorted(articles, key=lambda a: a.number)]
    if dgs:
        context["dgs_text"] = clean_text(italian_list(dgs))
    for role, user in (("drafter", agreement.drafted_by), ("director", agreement.director)):
        person = _person(user)
        if person:
            context[role] = person
    return context


def render_context(agreement: Agreement) -> dict:
    agreement = (
        Agreement.objects.select_related("counterpart", "drafted_by", "director", "renews").get(pk=agreement.pk)
    )
    return context_from(
        agreement,
        articles=list(agreement.articles.all()),
        signatories=list(agreement.signatories.all()),
        dgs=list(agreement.dgs.order_by("name").values_list("name", flat=True)),
    )


def sample_context() -> dict:
    """A context with every field present: the reference for checking a template's fields."""
    user = get_user_model()(username="esempio", first_name="Nome", last_name="Cognome", email="nome@example.org")
    day = datetime.date(2024, 1, 15)
    agreement = Agreement(
        reference="INT-2024-001", title="Esempio", kind=AgreementKind.INTESA, status=Status.NEGOTIATION,
        counterpart=Counterpart(name="Esempio", name_local="Exemple", country="Francia", type="region",
                                language="fr"),
        languages=["it", "fr"], authentic_languages=["it", "fr"], subject_areas=["cultura"],
        duration_months=36, renewal_clause=RenewalClause.TACIT, renewal_notice_days=90,
        estimated_cost=Decimal("1000"), cost_notes="note", dgr_number="1/2024", dgr_date=day,
        notice_government_date=day, notice_government_protocol="1", notice_assembly_date=day,
        notice_assembly_protocol="2", full_powers_date=day, text_agreed_on=day, approved_on=day,
        signature_place="Bologna", signed_on=day, ratification_act="atto", ratification_date=day,
        entry_into_force=day, end_date=day, burert_reference="BURERT", published_on=day,
        drafted_by=user, director=user,
    )
    agreement.renews = Agreement(
        pk=0, reference="INT-2021-001", title="Precedente", kind=AgreementKind.INTESA, subject_areas=["cultura"],
        signature_place="Bologna", signed_on=day, entry_into_force=day, end_date=day,
        renewal_clause=RenewalClause.EXPRESS,
    )
    articles = [Article(number=1, heading_it="Oggetto", text_it="Testo",
                        translations={"fr": {"heading": "Objet", "text": "Texte"}})]
    signatories = [Signatory(side=Signatory.Side.REGION, name="A", role="B"),
                   Signatory(side=Signatory.Side.COUNTERPART, name="C", role="D")]
    return context_from(agreement, articles=articles, signatories=signatories, dgs=["DG"], today=day)


# --- Rendering ----------------------------------------------------------------------------------------------

MAX_SEQUENCE = 100_000
MAX_INT_BITS = 100_000
LEFTOVER_TAG = re.compile(r"\{\{|\{%|\{#|\}\}|%\}|#\}")


class _DocumentSandbox(SandboxedEnvironment):
    """Jinja's sandbox, plus: no `*`/`**` that would build a huge value, and only `range` among the globals."""

    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context, operator, left, right):
        ints = isinstance(left, int) and isinstance(right, int)
        if operator == "**" and ints and right > 0 and abs(left) > 1 and left.bit_length() * right > MAX_INT_BITS:
            raise SecurityError("power too large")
        if operator == "*":
            if ints and left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise SecurityError("product too large")
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(n, int) and len(seq) * n > MAX_SEQUENCE:
                    raise SecurityError("sequence too long")
        return super().call_binop(context, operator, left, right)


TEMPLATE_GLOBALS = ("range",)


COMPILE_CACHE_SIZE = 32


class _CachingSandbox(_DocumentSandbox):
    """docxtpl compiles each part's XML on every render; the same template gives the same XML, so keep the
    compiled templates of the last few sources (keyed by the whole source: a new revision is a new key)."""

    def __init__(self, **options):
        super().__init__(**options)
        self._compiled: OrderedDict[str, object] = OrderedDict()
        self._compiled_lock = threading.Lock()

    def from_string(self, source, globals=None, template_class=None):
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        with self._compiled_lock:
            template = self._compiled.get(source)
            if template is not None:
                self._compiled.move_to_end(source)
                return template
        template = super().from_string(source)
        with self._compiled_lock:
            self._compiled[source] = template
            while len(self._compiled) > COMPILE_CACHE_SIZE:
                self._compiled.popitem(last=False)
        return template


@functools.cache
def jinja_environment() -> SandboxedEnvironment:
    """The one rendering environment (thread-safe: rendering never changes it)."""
    env = _CachingSandbox(autoescape=True, undefined=StrictUndefined)
    env.globals = {name: env.globals[name] for name in TEMPLATE_GLOBALS}
    return env


def template_sources(template: bytes) -> list[str]:
    """The Jinja sources docxtpl renders from a .docx: body, headers, footers, footnotes, core properties."""
    tpl = DocxTemplate(io.BytesIO(template))
    tpl.init_docx()
    sources = [tpl.patch_xml(tpl.get_xml())]
    for part in tpl.docx.part.package.parts:
        if part.content_type.endswith(("header+xml", "footer+xml", "footnotes+xml")) and part.blob:
            sources.append(tpl.patch_xml(tpl.xml_to_string(parse_xml(part.blob))))
    props = tpl.docx.core_properties
    sources += [getattr(props, p) or "" for p in ("author", "comments", "identifier", "language", "subject", "title")]
    return sources


def _undefined_field(message: str, template: bytes) -> str:
    match = re.search(r"'([^']+)' is undefined", message)
    if match:
        return match.group(1)
    match = re.search(r"has no attribute '([^']+)'", message)
    if match:
        attr = match.group(1)
        try:
            used = sorted(p for p in template_fields(template)[0] if p.endswith("." + attr))
        except DocumentError:
            used = []
        return used[0] if used else attr
    return message


def render_docx(template: bytes, context: dict) -> bytes:
    """Render a .docx template; raise a DocumentError (and produce nothing) on any problem."""
    try:
        tpl = DocxTemplate(io.BytesIO(template))
        tpl.render(context, jinja_env=jinja_environment())  # the environment escapes (autoescape=True)
        out = io.BytesIO()
        tpl.save(out)
    except SecurityError:
        raise TemplateSecurityError(
            _("Il modello tenta di accedere a parti interne del sistema o di produrre un valore enorme: "
              "rendering bloccato, nessun documento prodotto.")
        ) from None
    except UndefinedError as exc:
        raise MissingFieldError(_undefined_field(str(exc), template)) from None
    except TemplateSyntaxError as exc:
        raise TemplateInvalidError(
            _("Il modello contiene un errore di sintassi nei campi: %(error)s") % {"error": exc.message}
        ) from None
    except TemplateError as exc:
        raise TemplateInvalidError(_("Il modello non può essere elaborato: %(error)s") % {"error": exc}) from None
    except (KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise TemplateInvalidError(
            _("Il modello non è un documento .docx valido (%(error)s).") % {"error": exc.__class__.__name__}
        ) from None
    except Exception as exc:  # noqa: BLE001 - `{{ 1/0 }}` and the like: still the one documented error
        raise TemplateInvalidError(
            _("Il modello non può essere elaborato: %(error)s") % {"error": exc.__class__.__name__}
        ) from None
    data = out.getvalue()
    scan_leftover_tags(data)
    return data


def scan_leftover_tags(data: bytes) -> None:
    """Prove the rendered document holds no template tag, in any XML part."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if not name.endswith((".xml", ".rels")):
                continue
            text = archive.read(name).decode("utf-8", "replace")
            if "{" not in text and "}" not in text:
                continue
            # Tags split across runs are still tags: look at each paragraph's text without the markup in between.
            plain = re.sub(r"<[^>]*>", "", re.sub(r"</w:p>|</a:p>", "\n", text))
            for candidate in (text, plain):
                match = LEFTOVER_TAG.search(candidate)
                if match:
                    snippet = candidate[max(0, match.start() - 30): match.end() + 30]
                    raise LeftoverTagError(
                        _("Nel documento prodotto è rimasto un segnaposto non elaborato (%(part)s: «%(snippet)s»): "
                          "correggere il modello.") % {"part": name, "snippet": snippet.strip()}
                    )


# --- Checking a template's fields ---------------------------------------------------------------------------


def _schema_has(schema, path: str) -> bool:
    node = schema
    for segment in path.split("."):
        is_item = segment.endswith("[]")
        key = segment[:-2] if is_item else segment
        if key:
            if not isinstance(node, dict) or key not in node:
                return False
            node = node[key]
        if is_item:
            if not isinstance(node, list) or not node:
                return False
            node = node[0]
    return True


def _target_names(target) -> list[str]:
    if isinstance(target, nodes.Name):
        return [target.name]
    return [n.name for n in target.find_all(nodes.Name)]


class _FieldCollector:
    """Walks a Jinja AST and collects the context paths it reads (`agreement.title`, `articles[].text_it`)."""

    def __init__(self):
        self.paths: set[str] = set()
        self.forbidden: set[str] = set()

    def path_of(self, node, scope) -> str | None:
        if isinstance(node, nodes.Name):
            return scope[node.name] if node.name in scope else node.name
        if isinstance(node, nodes.Getattr):
            base = self.path_of(node.node, scope)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, nodes.Getitem):
            base = self.path_of(node.node, scope)
            if not base:
                return None
            if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                return f"{base}.{node.arg.value}"
            return f"{base}[]"
        return None

    def visit(self, node, scope: dict):
        if isinstance(node, nodes.For):
            self.visit(node.iter, scope)
            source = self.path_of(node.iter, scope)
            inner = dict(scope, loop=None)
            for name in _target_names(node.target):
                inner[name] = f"{source}[]" if source else None
            for child in [*node.body, *node.else_, *([node.test] if node.test else [])]:
                self.visit(child, inner)
            return
        if isinstance(node, nodes.Assign | nodes.AssignBlock):
            for child in node.iter_child_nodes(exclude=("target",)):
                self.visit(child, scope)
            for name in _target_names(node.target):
                scope[name] = None
            return
        if isinstance(node, nodes.With):
            for value in node.values:
                self.visit(value, scope)
            inner = dict(scope)
            for target in node.targets:
                for name in _target_names(target):
                    inner[name] = None
            for child in node.body:
                self.visit(child, inner)
            return
        if isinstance(node, nodes.Macro | nodes.CallBlock):
            inner = dict(scope, caller=None, varargs=None, kwargs=None)
            for arg in getattr(node, "args", []):
                inner[arg.name] = None
            for child in node.iter_child_nodes(exclude=("args", "defaults")):
                self.visit(child, inner)
            return
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            attr = node.attr if isinstance(node, nodes.Getattr) else (
                node.arg.value if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str) else "")
            if attr.startswith("_"):
                self.forbidden.add(attr)
            path = self.path_of(node, scope)
            if path:
                self.paths.add(path)
        elif isinstance(node, nodes.Name) and node.ctx == "load" and node.name not in TEMPLATE_GLOBALS:
            path = self.path_of(node, scope)
            if path:
                self.paths.add(path)
        for child in node.iter_child_nodes():
            self.visit(child, scope)


def template_fields(template: bytes) -> tuple[set[str], set[str]]:
    """(paths read, forbidden attributes) over every part of a .docx template."""
    env = jinja_environment()
    collector = _FieldCollector()
    try:
        sources = template_sources(template)
    except (KeyError, ValueError, zipfile.BadZipFile, TemplateError) as exc:
        raise TemplateInvalidError(
            _("Il modello non è un documento .docx valido (%(error)s).") % {"error": exc.__class__.__name__}
        ) from None
    for source in sources:
        try:
            collector.visit(env.parse(source), {})
        except TemplateSyntaxError as exc:
            raise TemplateInvalidError(
                _("Il modello contiene un errore di sintassi nei campi: %(error)s") % {"error": exc.message}
            ) from None
    return collector.paths, collector.forbidden


def unknown_fields(template: bytes) -> list[str]:
    """The fields a template uses that the rendering context does not have (and any `_private` access)."""
    paths, forbidden = template_fields(template)
    schema = sample_context()
    unknown = sorted(p for p in paths if not _schema_has(schema, p))
    # Report `agreement.foo` once, not also `agreement.foo.bar`.
    unknown = [p for p in unknown if not any(p.startswith(q + ".") or p.startswith(q + "[") for q in unknown
                                             if q != p)]
    return unknown + sorted(forbidden)


# Lists that may be empty on a real agreement: a template must read well without them.
OPTIONAL_LISTS = {
    "agreement": ("subject_areas", "subject_areas_text"),
    "": ("dgs", "dgs_text", "signatories_region", "signatories_counterpart"),
}


def _paragraph_texts(data: bytes) -> list[str]:
    import docx

    document = docx.Document(io.BytesIO(data))
    texts = [p.text.strip() for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                texts += [p.text.strip() for p in cell.paragraphs]
    return [t for t in texts if t]


def open_sentences(template: bytes) -> list[str]:
    """Sentences a template leaves open when an optional list is empty: rendered with the sample context and
    again with every optional list emptied, a paragraph that ends with a colon must be followed by the same
    paragraph in both (the MoU's "…nei seguenti ambiti:" followed by the next article is refused)."""
    full = _paragraph_texts(render_docx(template, sample_context()))
    emptied = sample_context()
    for section, names in OPTIONAL_LISTS.items():
        target = emptied[section] if section else emptied
        for name in names:
            target.pop(name, None)
            if name in ("subject_areas", "dgs", "signatories_region", "signatories_counterpart"):
                target[name] = []
    empty = _paragraph_texts(render_docx(template, emptied))
    found = []
    for i, text in enumerate(empty):
        if not text.endswith(":"):
            continue
        following = empty[i + 1] if i + 1 < len(empty) else None
        j = full.index(text) if text in full else None
        if following is None or (j is not None and (j + 1 >= len(full) or full[j + 1] != following)):
            found.append(text)
    return found


def context_field_list(context=None, prefix="") -> list[str]:
    """Every field path of a context, for `render_document --fields` and the template admin page."""
    context = sample_context() if context is None else context
    out = []
    for key, value in context.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out += context_field_list(value, path + ".")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            out += context_field_list(value[0], path + "[].")
        else:
            out.append(path)
    return out
