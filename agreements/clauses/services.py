"""Writes to the clause library, by administrators: a new version of a clause, a new text template of a kind.
One transaction and one audit event each; nothing is overwritten (the older versions stay)."""

import itertools
import re

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from agreements.common.audit import audit_record
from agreements.common.errors import ServiceError
from agreements.common.guards import require_role
from agreements.common.languages import is_language
from agreements.common.roles import Role
from agreements.models import AgreementKind, ClauseVersion, KindTemplate

from . import selectors

CODE = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")

# The sample agreements a clause must compile for: fields of cooperation present and absent, every renewal
# clause, a duration and none.
SAMPLES = [
    {"areas": areas, "duration_months": duration, "renewal": renewal, "notice_days": 90}
    for areas, duration, renewal in itertools.product((["cultura", "ricerca"], []), (36, None),
                                                      ("none", "express", "tacit"))
]
SAMPLE_BASE = {"region": "Regione", "counterpart": "Controparte", "title": "Titolo", "this_text": "la presente Intesa",
               "This_text": "La presente Intesa", "languages": "italiano e francese"}

# A sentence left open: a colon at the end of the text, or at the end of a line not followed by a list item
# ("nei seguenti ambiti:" and nothing after, or the next sentence).
OPEN_SENTENCE = re.compile(r":[ \t]*(?:\Z|\n(?![ \t]*(?:[-–•*]|\d+[.)])))")


def check_clause_text(source: str, *, language: str, part: str) -> None:
    """The text compiles for every sample agreement and never ends a sentence with a colon left open (the MoU's
    "nei seguenti ambiti:" with no fields of cooperation): such wording must be conditional."""
    for sample in SAMPLES:
        context = {**SAMPLE_BASE, **sample}
        try:
            filled = selectors.clause_environment().from_string(source).render(context)
        except Exception as exc:  # noqa: BLE001 - any template error is the same refusal
            raise ServiceError(_("Testo %(language)s (%(part)s): il testo non si compila (%(error)s). Campi "
                                 "disponibili: %(fields)s.") % {"language": language, "part": part, "error": exc,
                                                                "fields": ", ".join(sorted(context))}) from None
        if OPEN_SENTENCE.search(filled):
            raise ServiceError(
                _("Testo %(language)s (%(part)s): con %(case)s una frase resta aperta («…%(end)s»). Rendere la "
                  "frase condizionale, per esempio {%% if areas %%}…{%% endif %%}.")
                % {"language": language, "part": part, "end": filled.strip()[-40:],
                   "case": _("nessun ambito di cooperazione") if not sample["areas"] else _("i dati di esempio")})


@transaction.atomic
def clause_version_create(*, actor, code: str, texts: dict, note: str = "") -> ClauseVersion:
    """An administrator writes a new version of a clause (or a new clause): heading and text per language,
    Italian required."""
    require_role(actor, Role.ADMIN)
    code = code.strip().lower()
    if not CODE.match(code):
        raise ServiceError(_("Codice della clausola non valido: usare lettere minuscole, cifre e trattini."))
    cleaned = {}
    for language, version in texts.items():
        if not is_language(language):
            raise ServiceError(_("Codice di lingua sconosciuto: %(codes)s") % {"codes": language})
        heading, text = str(version.get("heading", "")).strip(), str(version.get("text", "")).strip()
        if not heading and not text:
            continue
        if not heading or not text:
            raise ServiceError(_("Testo %(language)s: indicare rubrica e testo.") % {"language": language})
        check_clause_text(heading, language=language, part=_("rubrica"))
        check_clause_text(text, language=language, part=_("testo"))
        cleaned[language] = {"heading": heading, "text": text}
    if "it" not in cleaned:
        raise ServiceError(_("La clausola deve avere rubrica e testo in italiano."))
    current = selectors.clauses().get(code)
    if current is not None and current.texts == cleaned:
        raise ServiceError(_("Nessuna modifica rispetto alla versione attuale."))
    last = ClauseVersion.objects.select_for_update().filter(code=code).aggregate(n=Max("number"))["n"]
    version = ClauseVersion.objects.create(code=code, number=(last or 0) + 1, texts=cleaned, note=note.strip(),
                                           created_by=actor)
    audit_record(actor=actor, action="clause_version_create",
                 detail={"clause": code, "version": version.number, "languages": sorted(cleaned),
                         "note": version.note})
    return version


@transaction.atomic
def kind_template_set(*, actor, kind: str, clauses: list[str]) -> KindTemplate:
    """An administrator sets which clauses, in which order, make the first draft of a kind."""
    require_role(actor, Role.ADMIN)
    if kind not in AgreementKind.values:
        raise ServiceError(_("Tipo di accordo sconosciuto: %s") % kind)
    codes = [c.strip().lower() for c in clauses if c.strip()]
    if not codes:
        raise ServiceError(_("Il modello di testo deve contenere almeno una clausola."))
    if len(set(codes)) != len(codes):
        raise ServiceError(_("Una clausola compare due volte nel modello di testo."))
    unknown = [c for c in codes if c not in selectors.clauses()]
    if unknown:
        raise ServiceError(_("Clausole sconosciute: %(codes)s") % {"codes": ", ".join(unknown)})
    last = KindTemplate.objects.select_for_update().filter(kind=kind).aggregate(n=Max("revision"))["n"]
    revision = KindTemplate.objects.create(kind=kind, revision=(last or 0) + 1, clauses=codes, created_by=actor)
    audit_record(actor=actor, action="kind_template_set",
                 detail={"kind": kind, "revision": revision.revision, "clauses": codes})
    return revision
