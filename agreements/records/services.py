"""Every write to an agreement's record: proposal, edits, articles, signatories, closing, renewal, expiry and
the import of past agreements. One function each, one transaction, one audit event naming the actor.

They know nothing of Viewflow: workflows/services.py calls them when a process starts or is cancelled. The
write primitives here (`locked`, `require_status`, `write_fields`, `check_date_order`) serve the procedure's
step services too (agreements/procedure/services.py).
"""

import contextlib
import contextvars
import datetime
import re

from django.db import transaction
from django.utils.translation import gettext as _

from agreements.clauses import selectors as clause_selectors
from agreements.common import dates
from agreements.common.audit import audit_record, diff, snapshot
from agreements.common.errors import InvalidDataError, InvalidStateError, StaleObjectError
from agreements.common.errors import ServiceError as ValidationFailed
from agreements.common.guards import require_role
from agreements.common.languages import country_name, is_country
from agreements.common.roles import Role
from agreements.models import (
    Agreement,
    AgreementKind,
    Article,
    AuditEvent,
    Counterpart,
    CounterpartType,
    Profile,
    ReferenceCounter,
    RenewalClause,
    Signatory,
    Status,
)
from agreements.models.agreement import OPEN_STATUSES, REFERENCE_PREFIX
from agreements.notifications import services as notifications
from agreements.outbox.services import outbox_enqueue

DGR_NUMBER = re.compile(r"^\d{1,5}/\d{4}$")

# Fields a drafter may edit on the record itself; lifecycle fields change only through their step.
EDITABLE_FIELDS = (
    "title",
    "counterpart",
    "subject_areas",
    "languages",
    "authentic_languages",
    "binding",
    "estimated_cost",
    "cost_notes",
    "notes",
    "director",
    "consultation_days",
    "duration_months",
    "renewal_clause",
    "renewal_notice_days",
    "implementation_notes",
)


# What the Giunta approved with its resolution on the draft (L.R. 16/2008 art. 17 c. 2): the text it approved is
# this title with this counterpart. They open again only when the text goes back to negotiation.
FIXED_BY_GIUNTA = ("title", "counterpart")


def fixed_fields(agreement: Agreement) -> tuple[str, ...]:
    """The record's fields a step has fixed and an edit may not change now."""
    if agreement.dgr_number and agreement.status != Status.NEGOTIATION:
        return FIXED_BY_GIUNTA
    return ()


def _fixed_changed(agreement: Agreement, values: dict) -> list[str]:
    def key(value):
        return value.pk if hasattr(value, "pk") else value

    return [name for name in fixed_fields(agreement)
            if name in values and key(values[name]) != key(getattr(agreement, name))]


# The agreement's relations its notifications read: kept from the instance in hand when the locked row agrees.
_AT_HAND = ("counterpart", "drafted_by", "director")


_HELD = contextvars.ContextVar("agreement_held", default=None)


@contextlib.contextmanager
def holding(agreement: Agreement):
    """Inside the block, `agreement` is the row its caller locked (SELECT ... FOR UPDATE) in the current
    transaction, kept current because every write of the block goes through it (write_fields): locked() returns
    it as it is instead of reading it again. Only workflows.completion.task_complete uses it, around one step."""
    token = _HELD.set(agreement)
    try:
        yield agreement
    finally:
        _HELD.reset(token)


def locked(agreement: Agreement) -> Agreement:
    """The agreement's row, read again under lock (SELECT ... FOR UPDATE), unless it is the one held (holding).
    The people and counterpart the caller already read come along when the row still names them."""
    if agreement is not None and agreement is _HELD.get():
        return agreement
    fresh = Agreement.objects.select_for_update().get(pk=agreement.pk)
    for name in _AT_HAND:
        field = Agreement._meta.get_field(name)
        if field.is_cached(agreement) and getattr(fresh, field.attname) == getattr(agreement, field.attname):
            field.set_cached_value(fresh, field.get_cached_value(agreement))
    return fresh


def require_status(agreement: Agreement, *statuses):
    if agreement.status not in statuses:
        raise InvalidStateError(
            _("Operazione non possibile: l'accordo %(ref)s è nello stato «%(status)s».")
            % {"ref": agreement.reference, "status": agreement.get_status_display()}
        )


def write_fields(agreement: Agreement, actor, action: str, values: dict, *, on_behalf_of=None,
                 detail=None) -> Agreement:
    """Write `values` on the locked agreement, bump its version and audit the before/after."""
    before = snapshot(agreement, values.keys())
    for name, value in values.items():
        setattr(agreement, name, value)
    # The row is locked (locked()): the version read with it is current, so the new one is known without a read.
    agreement.version += 1
    agreement.save(update_fields=[*values.keys(), "version", "updated_at"])
    changes = diff(before, snapshot(agreement, values.keys()))
    audit_record(
        actor=actor,
        on_behalf_of=on_behalf_of,
        agreement=agreement,
        action=action,
        changes=changes,
        detail=detail,
    )
    if "status" in changes:  # every phase change passes here: the drafter and the director are told
        notifications.phase_changed(agreement=agreement, before=changes["status"][0], after=changes["status"][1],
                                    actor=actor, version=agreement.version)
    return agreement


def _dgs_without_referent(dgs) -> list:
    """The DGs among `dgs` that no active referent could act for (their consultation would reach nobody)."""
    covered = set(
        Profile.objects.filter(dg__in=dgs, user__is_active=True, user__groups__name=Role.DG_REFERENT)
        .values_list("dg_id", flat=True)
    )
    return [dg for dg in dgs if dg.pk not in covered]


def _require_referents(dgs) -> None:
    """Refuse DGs whose consultation would reach nobody, naming them and whom to ask."""
    orphan_dgs = _dgs_without_referent(dgs)
    if orphan_dgs:
        raise ValidationFailed(
            _("%(dgs)s: nessun referente attivo potrebbe esprimere il parere. Chiedere all'amministratore di "
              "nominare un referente, oppure togliere la DG dalla proposta.")
            % {"dgs": ", ".join(dg.name for dg in orphan_dgs)}
        )


SIMILAR_NAME_SCORE = 85  # rapidfuzz token-set ratio from which two names in one country count as the same entity


def _plain_name(name: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).replace("-", " ").split())


def similar_counterparts(*, name: str, country_code: str, name_local: str = "") -> list[Counterpart]:
    """Counterparts of the same country whose name (or local name) is close to `name` or `name_local`:
    "Region de Murcia" finds "Región de Murcia". A read, for the duplicate check and the form."""
    from rapidfuzz import fuzz

    wanted = [_plain_name(n) for n in (name, name_local) if n and n.strip()]
    found = []
    for counterpart in Counterpart.objects.filter(country_code=country_code.upper()).order_by("name"):
        names = [_plain_name(n) for n in (counterpart.name, counterpart.name_local) if n]
        if any(fuzz.token_set_ratio(a, b) >= SIMILAR_NAME_SCORE for a in wanted for b in names):
            found.append(counterpart)
    return found


class DuplicateCounterpartError(ValidationFailed):
    def __init__(self, message, similar):
        super().__init__(message)
        self.similar = similar


@transaction.atomic
def counterpart_create(*, actor, name: str, country_code: str, type: str, name_local: str = "",
                       language: str = "", allow_similar: bool = False) -> Counterpart:
    """A drafter enters a new counterpart from the proposal form. Refused when a counterpart of the same country
    has a similar name (unless the drafter confirms it is a different one); an equal name is always refused."""
    require_role(actor, Role.DRAFTER)
    name, name_local, code = name.strip(), name_local.strip(), country_code.strip().upper()
    if not name:
        raise ValidationFailed(_("Indicare la denominazione della controparte."))
    if not is_country(code):
        raise ValidationFailed(_("Paese sconosciuto: %(code)s") % {"code": code})
    if type not in CounterpartType.values:
        raise ValidationFailed(_("Tipo di controparte sconosciuto."))
    if Counterpart.objects.filter(name__iexact=name).exists():
        raise DuplicateCounterpartError(_("La controparte «%(name)s» esiste già: sceglierla dall'elenco.")
                                        % {"name": name}, [])
    similar = similar_counterparts(name=name, country_code=code, name_local=name_local)
    if similar and not allow_similar:
        raise DuplicateCounterpartError(
            _("Nello stesso Paese esiste già una controparte simile: %(names)s. Sceglierla dall'elenco oppure "
              "confermare che è un ente diverso.") % {"names": ", ".join(c.name for c in similar)}, similar)
    counterpart = Counterpart.objects.create(
        name=name, name_local=name_local if name_local != name else "", country=country_name(code),
        country_code=code, type=type, language=language,
    )
    audit_record(actor=actor, action="counterpart_create",
                 detail={"counterpart": counterpart.name, "country_code": code,
                         "similar_confirmed": [c.name for c in similar]})
    return counterpart


def next_reference(kind: str, year: int) -> str:
    prefix = REFERENCE_PREFIX[kind]
    # The year's counter read under lock, created first if the year has none (the unique constraint settles a
    # concurrent creation: get_or_create then reads, under lock, the row the other one made).
    counter, _created = ReferenceCounter.objects.select_for_update().get_or_create(prefix=prefix, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{prefix}-{year}-{counter.last:03d}"


# The columns of an article and of a signatory as the editors, the services and a renewal's copy handle them.
ARTICLE_FIELDS = ("number", "heading_it", "text_it", "translations")
SIGNATORY_FIELDS = ("side", "name", "role")


def _signatories_create(agreement: Agreement, rows) -> None:
    """The signatories of `agreement` from `rows` (dicts of SIGNATORY_FIELDS), in their order."""
    Signatory.objects.bulk_create(
        Signatory(agreement=agreement, order=i, **{name: row[name] for name in SIGNATORY_FIELDS})
        for i, row in enumerate(rows)
    )


def check_date_order(*pairs):
    """Each pair is (earlier, later, message, field): refuse when later < earlier, naming `field`, the submitted
    field at fault (usually the later date, the one just entered; the API answers 400 naming it)."""
    for earlier, later, message, field in pairs:
        if earlier and later and later < earlier:
            raise ValidationFailed(message, field=field)


# --- Proposal and record ------------------------------------------------------------------------------------


@transaction.atomic
def agreement_create(
    *,
    actor,
    title: str,
    kind: str,
    counterpart,
    dgs=(),
    plan_actions=(),
    languages=("it",),
    authentic_languages=None,
    subject_areas=(),
    binding: bool = True,
    director=None,
    duration_months: int | None = None,
    renewal_clause: str = RenewalClause.EXPRESS,
    renewal_notice_days: int | None = None,
    consultation_days: int = 15,
    estimated_cost=None,
    renews: Agreement | None = None,
    year: int | None = None,
) -> Agreement:
    """A drafter opens a proposal (step 1). The reference code is new and never reused."""
    require_role(actor, Role.DRAFTER)
    if kind not in AgreementKind.values:
        raise ValidationFailed(_("Tipo di accordo sconosciuto: %s") % kind)
    if not title or not title.strip():
        raise ValidationFailed(_("Il titolo è obbligatorio."))
    if renewal_clause == RenewalClause.TACIT and not renewal_notice_days:
        raise ValidationFailed(_("Per il rinnovo tacito indicare i giorni di preavviso per la disdetta."))
    if not 1 <= consultation_days <= 120:
        raise ValidationFailed(_("I giorni per il parere DG devono essere tra 1 e 120."))
    if director is not None and director.pk == actor.pk:
        raise ValidationFailed(_("Il dirigente responsabile non può essere chi redige il testo."))
    dgs = list(dgs)
    _require_referents(dgs)
    agreement = Agreement.objects.create(
        reference=next_reference(kind, year or dates.today().year),
        title=title.strip(),
        kind=kind,
        binding=binding,
        counterpart=counterpart,
        languages=list(languages),
        authentic_languages=list(authentic_languages if authentic_languages is not None else languages),
        subject_areas=list(subject_areas),
        drafted_by=actor,
        director=director,
        duration_months=duration_months,
        renewal_clause=renewal_clause,
        renewal_notice_days=renewal_notice_days,
        consultation_days=consultation_days,
        estimated_cost=estimated_cost,
        renews=renews,
        status=Status.NEGOTIATION,
    )
    # A new agreement has no relations yet: they are added, without reading first what set() would replace.
    if dgs:
        agreement.dgs.add(*dgs)
    plan_actions = list(plan_actions)
    if plan_actions:
        agreement.plan_actions.add(*plan_actions)
    # The first draft: the renewed agreement's text, else the clause library's template for the kind, with the
    # agreement's fields filled in, so the documents render before anyone types an article.
    copied = list(renews.articles.values(*ARTICLE_FIELDS)) if renews is not None else []
    # a new text, or the renewal of an agreement recorded without its text: the library's draft
    rows = copied or clause_selectors.first_draft(agreement)
    Article.objects.bulk_create(Article(agreement=agreement, **row) for row in rows)
    audit_record(
        actor=actor,
        agreement=agreement,
        action="agreement_create",
        detail={"reference": agreement.reference, "kind": kind, "renews": renews.reference if renews else None,
                "articles": len(rows),
                "text_from": "renewed" if copied else "clause_library"},
    )
    return agreement


@transaction.atomic
def agreement_update(*, agreement: Agreement, actor, expected_version: int, **values) -> Agreement:
    """Edit the record. `expected_version` is the version the user loaded: a concurrent edit is refused."""
    require_role(actor, Role.DRAFTER)
    unknown = set(values) - set(EDITABLE_FIELDS) - {"dgs", "plan_actions"}
    if unknown:
        raise ValidationFailed(_("Campi non modificabili: %s") % ", ".join(sorted(unknown)))
    agreement = locked(agreement)
    if agreement.version != expected_version:
        raise StaleObjectError(
            _("L'accordo è stato modificato da un altro utente dopo che lo hai aperto: ricarica la pagina.")
        )
    if agreement.status not in OPEN_STATUSES and agreement.status != Status.IN_FORCE:
        raise InvalidStateError(_("Un accordo chiuso non si modifica."))
    if _fixed_changed(agreement, values):
        raise ValidationFailed(
            _("Titolo e controparte sono fissati dalla delibera di Giunta sul progetto (DGR %(dgr)s): si modificano "
              "solo se il testo torna in negoziazione.") % {"dgr": agreement.dgr_number}
        )
    relations = {name: values.pop(name) for name in ("dgs", "plan_actions") if name in values}
    if "dgs" in relations:  # a DG added now must have someone to give its opinion
        current = set(agreement.dgs.values_list("pk", flat=True))
        _require_referents([dg for dg in relations["dgs"] if dg.pk not in current])
    detail = {}
    for name, items in relations.items():
        before = sorted(getattr(agreement, name).values_list("pk", flat=True))
        getattr(agreement, name).set(items)
        after = sorted(getattr(agreement, name).values_list("pk", flat=True))
        if before != after:
            detail[name] = [before, after]
    return write_fields(agreement, actor, "agreement_update", values, detail=detail)


def _article_rows(articles: list[dict], languages: list[str]) -> list[dict]:
    """Rows of ARTICLE_FIELDS, cleaned: Italian heading and text required, other versions only in the text's
    languages (ISO 639-1), empty versions dropped."""
    rows = []
    for a in articles:
        heading_it, text_it = str(a.get("heading_it", "")).strip(), str(a.get("text_it", "")).strip()
        if not heading_it or not text_it:
            raise ValidationFailed(_("Ogni articolo deve avere rubrica e testo in italiano."))
        translations = {}
        for code, version in (a.get("translations") or {}).items():
            if code not in languages or not isinstance(version, dict):
                raise ValidationFailed(_("Lingua non prevista per il testo: %(code)s. Aggiungerla alle lingue "
                                         "dell'accordo.") % {"code": code})
            heading, text = str(version.get("heading", "")).strip(), str(version.get("text", "")).strip()
            if heading or text:
                translations[code] = {"heading": heading, "text": text}
        rows.append({"number": int(a["number"]), "heading_it": heading_it, "text_it": text_it,
                     "translations": translations})
    return rows


def article_changes(before: list[dict], after: list[dict]) -> dict:
    """What an edit changed, for the audit event and the history: numbers added and removed, and per article
    and language the heading and text before and after (only those that changed)."""
    old = {row["number"]: row for row in before}
    new = {row["number"]: row for row in after}
    changes = []
    for number in sorted(set(old) & set(new)):
        for code in dict.fromkeys(["it", *old[number]["translations"], *new[number]["translations"]]):
            for part in ("heading", "text"):
                was, now = (_article_value(row[number], code, part) for row in (old, new))
                if was != now:
                    changes.append({"number": number, "language": code, "part": part, "before": was, "after": now})
    return {"added": sorted(set(new) - set(old)), "removed": sorted(set(old) - set(new)), "changes": changes}


def _article_value(row: dict, code: str, part: str) -> str:
    if code == "it":
        return row[f"{part}_it"]
    return row["translations"].get(code, {}).get(part, "")


@transaction.atomic
def articles_replace(*, agreement: Agreement, actor, articles: list[dict]) -> Agreement:
    """The drafter edits the article list: rows of number, heading_it, text_it and translations
    ({code: {"heading", "text"}} for each other language of the text). The audit event keeps what changed."""
    require_role(actor, Role.DRAFTER)
    agreement = locked(agreement)
    require_status(agreement, Status.PROPOSAL, Status.NEGOTIATION)
    numbers = [int(a["number"]) for a in articles]
    if len(set(numbers)) != len(numbers):
        raise ValidationFailed(_("Due articoli hanno lo stesso numero."))
    rows = _article_rows(articles, agreement.text_languages)
    before = list(Article.objects.filter(agreement=agreement).values(*ARTICLE_FIELDS))
    Article.objects.filter(agreement=agreement).delete()
    Article.objects.bulk_create(Article(agreement=agreement, **row) for row in rows)
    return write_fields(agreement, actor, "articles_replace", {},
                        detail={"articles": len(rows), **article_changes(before, rows)})


@transaction.atomic
def signatories_replace(*, agreement: Agreement, actor, signatories: list[dict]) -> Agreement:
    require_role(actor, Role.DRAFTER)
    agreement = locked(agreement)
    Signatory.objects.filter(agreement=agreement).delete()
    _signatories_create(agreement, signatories)
    return write_fields(agreement, actor, "signatories_replace", {}, detail={"signatories": len(signatories)})


# --- Closing, renewal, expiry -------------------------------------------------------------------------------


class Closure:
    WITHDRAW = "withdraw"
    ARCHIVE = "archive"
    TERMINATE = "terminate"

    STATUS = {WITHDRAW: Status.WITHDRAWN, ARCHIVE: Status.ARCHIVED, TERMINATE: Status.TERMINATED}


@transaction.atomic
def agreement_close(*, agreement: Agreement, actor, closure: str, reason: str) -> Agreement:
    """A director withdraws or archives an agreement at any step (or records withdrawal, recesso), with a reason."""
    require_role(actor, Role.DIRECTOR)
    if closure not in Closure.STATUS:
        raise ValidationFailed(_("Chiusura non valida."))
    if not reason.strip():
        raise ValidationFailed(_("Indicare la motivazione."))
    agreement = locked(agreement)
    if closure == Closure.TERMINATE:
        require_status(agreement, Status.IN_FORCE)
    elif agreement.status in (Status.WITHDRAWN, Status.ARCHIVED, Status.REJECTED, Status.RENEWED):
        raise InvalidStateError(_("L'accordo è già chiuso."))
    return write_fields(agreement, actor, f"agreement_{closure}",
                        {"status": Closure.STATUS[closure], "closed_reason": reason.strip()})


@transaction.atomic
def renewal_decline(*, agreement: Agreement, actor, reason: str) -> Agreement:
    """A decision not to renew: expiry reminders stop repeating."""
    require_role(actor, Role.DIRECTOR, Role.DRAFTER)
    if not reason.strip():
        raise ValidationFailed(_("Indicare la motivazione."))
    agreement = locked(agreement)
    require_status(agreement, Status.IN_FORCE)
    return write_fields(agreement, actor, "renewal_decline", {"no_renewal_decided_on": dates.today()},
                        detail={"reason": reason.strip()})


@transaction.atomic
def agreements_expire(*, today: datetime.date) -> int:
    """Daily: agreements in force past their end date expire, or renew themselves under a tacit clause."""
    count = 0
    for agreement in Agreement.objects.select_for_update(skip_locked=True).filter(
        status=Status.IN_FORCE, end_date__lt=today
    ):
        if (
            agreement.renewal_clause == RenewalClause.TACIT
            and not agreement.no_renewal_decided_on
            and agreement.duration_months
        ):
            _tacit_extend(agreement)
        else:
            write_fields(agreement, None, "agreement_expire", {"status": Status.EXPIRED})
        count += 1
    return count


def _tacit_extend(agreement: Agreement) -> Agreement:
    """A tacit clause extends the agreement: an act, audited (`agreement_tacit_renewal`), with the drafter and the
    director told by e-mail and the informativa to the Assembly offered on the agreement page. Never silent."""
    old_end = agreement.end_date
    new_end = dates.end_date(old_end, agreement.duration_months)
    agreement = write_fields(agreement, None, "agreement_tacit_renewal",
                             {"end_date": new_end, "tacit_extension_informed_on": None},
                             detail={"previous_end_date": old_end, "new_end_date": new_end,
                                     "assembly_informativa": "offered"})
    to = sorted({u.email for u in (agreement.drafted_by, agreement.director) if u is not None and u.email})
    if to:
        outbox_enqueue(
            key=f"tacit-extension-{agreement.pk}-{new_end:%Y%m%d}", to=to, agreement=agreement, html="",
            subject=_("%(ref)s: proroga tacita fino al %(day)s") % {"ref": agreement.reference,
                                                                   "day": new_end.strftime("%d/%m/%Y")},
            text=_(
                "L'accordo %(ref)s «%(title)s» scadeva il %(old)s e, per la clausola di rinnovo tacito, è prorogato "
                "fino al %(new)s.\n"
                "Dalla pagina dell'accordo si registra l'informativa all'Assemblea legislativa sulla proroga.\n"
                "Ricevi questo messaggio come redattore o dirigente responsabile dell'accordo."
            ) % {"ref": agreement.reference, "title": agreement.title, "old": old_end.strftime("%d/%m/%Y"),
                 "new": new_end.strftime("%d/%m/%Y")},
        )
    return agreement


@transaction.atomic
def tacit_extension_inform(*, agreement: Agreement, actor, date: datetime.date, protocol: str) -> Agreement:
    """The Giunta secretariat records the informativa to the Assembly on a tacit extension (Statuto art. 13 c. 3:
    information after the fact)."""
    require_role(actor, Role.SECRETARIAT)
    agreement = locked(agreement)
    require_status(agreement, Status.IN_FORCE)
    if not AuditEvent.objects.filter(agreement=agreement, action="agreement_tacit_renewal").exists():
        raise InvalidStateError(_("L'accordo non è stato prorogato tacitamente."))
    if agreement.tacit_extension_informed_on:
        raise InvalidStateError(_("L'informativa sulla proroga è già registrata."))
    if not protocol.strip():
        raise ValidationFailed(_("Indicare il numero di protocollo."))
    if date > dates.today():
        message = _("La data dell'informativa non può essere futura.")
        raise InvalidDataError(message, {"date": [message]})
    return write_fields(agreement, actor, "tacit_extension_inform", {"tacit_extension_informed_on": date},
                        detail={"protocol": protocol.strip(), "end_date": agreement.end_date})


RENEWAL_COPIED_FIELDS = (
    "kind", "binding", "languages", "authentic_languages", "subject_areas", "duration_months",
    "renewal_clause", "renewal_notice_days", "consultation_days", "estimated_cost", "director",
)


@transaction.atomic
def renewal_create(*, agreement: Agreement, actor, automatic: bool = False) -> Agreement:
    """A renewal is a new agreement through the whole procedure, prefilled from the old one and linked to it."""
    if not automatic:
        require_role(actor, Role.DRAFTER)
    old = locked(agreement)
    require_status(old, Status.IN_FORCE)
    if old.renewals.exclude(status__in=[Status.REJECTED, Status.WITHDRAWN, Status.ARCHIVED]).exists():
        raise InvalidStateError(_("Il rinnovo di questo accordo è già stato avviato."))
    drafter = actor if not automatic else old.drafted_by
    new = Agreement.objects.create(
        reference=next_reference(old.kind, dates.today().year),
        title=_("Rinnovo: %(title)s") % {"title": old.title} if not old.title.startswith("Rinnovo") else old.title,
        counterpart=old.counterpart,
        drafted_by=drafter,
        renews=old,
        status=Status.NEGOTIATION,
        **{name: getattr(old, name) for name in RENEWAL_COPIED_FIELDS},
    )
    new.dgs.set(old.dgs.all())
    new.plan_actions.set(old.plan_actions.all())
    new.other_counterparts.set(old.other_counterparts.all())
    # The renewal starts from the old text; an agreement recorded without its text gets the library's draft.
    rows = list(old.articles.values(*ARTICLE_FIELDS)) or clause_selectors.first_draft(new)
    Article.objects.bulk_create(Article(agreement=new, **row) for row in rows)
    _signatories_create(new, old.signatories.order_by("order").values(*SIGNATORY_FIELDS))
    # One event, on the renewal: its history starts with who opened it and from which agreement (the old one's
    # page shows the renewal in its chain, and its own history records the renewal when that enters into force).
    audit_record(actor=actor, agreement=new, action="renewal_create",
                 detail={"renewal": new.reference, "renews": old.reference, "automatic": automatic})
    return new


# --- Import of past agreements ----------------------------------------------------------------------------


IMPORTABLE_STATUSES = (Status.IN_FORCE, Status.EXPIRED, Status.TERMINATED, Status.ARCHIVED)


@transaction.atomic
def agreement_import(*, actor, title: str, kind: str, counterpart, status: str, dgs=(), plan_actions=(),
                     year: int, notes: str = "", **record) -> Agreement:
    """Record an agreement concluded before the product existed (from the plan or the paper archive): it gets a
    reference of its year and its legal dates as they were, with no procedure to run. One audit event."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    if kind not in AgreementKind.values or status not in IMPORTABLE_STATUSES:
        raise ValidationFailed(_("Tipo o stato non importabile: %(kind)s, %(status)s") % {"kind": kind,
                                                                                         "status": status})
    check_date_order((record.get("entry_into_force"), record.get("end_date"),
                       _("La scadenza non può precedere l'entrata in vigore."), "end_date"))
    if record.get("entry_into_force") and record.get("duration_months") and not record.get("end_date"):
        record["end_date"] = dates.end_date(record["entry_into_force"], record["duration_months"])
    agreement = Agreement.objects.create(reference=next_reference(kind, year), title=title.strip(), kind=kind,
                                         counterpart=counterpart, status=status, notes=notes, **record)
    agreement.dgs.set(dgs)
    agreement.plan_actions.set(plan_actions)
    audit_record(actor=actor, agreement=agreement, action="agreement_import",
                 detail={"reference": agreement.reference, "status": status})
    return agreement
