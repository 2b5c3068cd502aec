"""Reads of the clause library: the current text of each clause (an administrator's newest version, else the
shipped one), the clauses of each kind's text template, and the first draft of an agreement built from them."""

import functools
from dataclasses import dataclass

from django.utils.translation import gettext as _
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from agreements.common.errors import ServiceError
from agreements.common.languages import language_name
from agreements.models import Agreement, AgreementKind, ClauseVersion, KindTemplate

from . import library


@dataclass
class Clause:
    code: str
    number: int  # 0: the shipped text
    texts: dict[str, dict[str, str]]  # language -> {"heading", "text"}
    note: str = ""
    author: str = ""

    @property
    def heading(self) -> str:
        return self.texts.get("it", {}).get("heading", self.code)

    @property
    def languages(self) -> list[str]:
        return list(self.texts)


def _shipped(code: str) -> Clause:
    return Clause(code=code, number=0, texts={lang: {"heading": h, "text": t}
                                              for lang, (h, t) in library.CLAUSES[code].items()})


def clauses() -> dict[str, Clause]:
    """Every clause, current version, in the library's order (administrators' new clauses last). One query."""
    current = {code: _shipped(code) for code in library.CLAUSES}
    seen = set()
    for version in ClauseVersion.objects.select_related("created_by").order_by("code", "-number"):
        if version.code in seen:
            continue
        seen.add(version.code)
        current[version.code] = Clause(code=version.code, number=version.number, texts=version.texts,
                                       note=version.note, author=version.created_by.get_full_name()
                                       or version.created_by.get_username())
    return current


def clause_history(code: str) -> list[ClauseVersion]:
    return list(ClauseVersion.objects.filter(code=code).select_related("created_by").order_by("-number"))


def kind_templates() -> dict[str, list[str]]:
    """kind -> clause codes of its first draft (an administrator's newest revision, else the shipped list)."""
    current = {kind: list(codes) for kind, codes in library.KIND_TEMPLATES.items()}
    seen = set()
    for revision in KindTemplate.objects.order_by("kind", "-revision"):
        if revision.kind not in seen:
            seen.add(revision.kind)
            current[revision.kind] = list(revision.clauses)
    return current


# --- Filling in the agreement's fields ---------------------------------------------------------------------------

@functools.cache
def clause_environment() -> SandboxedEnvironment:
    """Plain text (no autoescape: the article is text, escaped when a page or a document shows it); a field the
    context lacks is an error, never an empty gap."""
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    env.globals = {}
    return env


class ClauseError(ServiceError):
    pass


@functools.lru_cache(maxsize=512)
def clause_template(source: str):
    """The compiled template of a clause text. Compiling is most of the cost of filling one in (every new
    agreement fills its whole first draft) and depends on the text alone, so each text is compiled once per
    process; a syntax error is raised again on each call, as it is not cached."""
    return clause_environment().from_string(source)


def clause_context(agreement: Agreement, language: str) -> dict:
    """The agreement's fields as a clause in `language` names them (see library.py)."""
    this_text = library.THIS_TEXT.get(language, library.THIS_TEXT["it"]).get(agreement.kind, agreement.kind)
    counterpart = agreement.counterpart
    name = counterpart.name if language == "it" else (counterpart.name_local or counterpart.name)
    names = [language_name(code, language) for code in agreement.text_languages]
    if language not in CAPITALISED_LANGUAGE_NAMES:  # "in italiano e spagnolo", but "in Italian and Spanish"
        names = [name.lower() for name in names]
    return {
        "region": library.REGION_NAME.get(language, library.REGION_NAME["it"]),
        "counterpart": name,
        "title": agreement.title,
        "this_text": this_text,
        "This_text": this_text[:1].upper() + this_text[1:],
        "areas": list(agreement.subject_areas or []),
        "duration_months": agreement.duration_months,
        "renewal": agreement.renewal_clause,
        "notice_days": agreement.renewal_notice_days or 0,
        "languages": _join(names, language),
    }


CAPITALISED_LANGUAGE_NAMES = ("en", "de")
AND = {"it": "e", "en": "and", "fr": "et", "es": "y"}


def _join(items: list[str], language: str) -> str:
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {AND.get(language, 'e')} {items[-1]}"


def fill(source: str, context: dict) -> str:
    try:
        lines = clause_template(source).render(context).split("\n")
        return "\n".join(" ".join(line.split()) for line in lines).strip()
    except TemplateError as exc:
        raise ClauseError(_("La clausola non si compila: %(error)s") % {"error": exc}) from None


def first_draft(agreement: Agreement) -> list[dict]:
    """The articles of a new agreement from its kind's text template: rows of number, heading_it, text_it and
    translations, with the agreement's fields filled in, one version per language of the text. A language the
    library lacks gets the Italian text marked «[da tradurre]», so the draft still renders and the gap shows."""
    library_clauses = clauses()
    codes = [code for code in kind_templates().get(agreement.kind, []) if code in library_clauses]
    languages = agreement.text_languages
    contexts = {code: clause_context(agreement, code) for code in languages}
    rows = []
    for number, code in enumerate(codes, start=1):
        texts = library_clauses[code].texts
        italian = {part: fill(texts["it"][part], contexts["it"]) for part in ("heading", "text")}
        row = {"number": number, "heading_it": italian["heading"], "text_it": italian["text"], "translations": {}}
        for language in languages[1:]:
            if language in texts:
                version = {part: fill(texts[language][part], contexts[language]) for part in ("heading", "text")}
            else:
                version = {"heading": italian["heading"], "text": _("[da tradurre] ") + italian["text"]}
            row["translations"][language] = version
        rows.append(row)
    return rows


def kind_labels() -> dict[str, str]:
    return {kind: str(label) for kind, label in AgreementKind.choices}
