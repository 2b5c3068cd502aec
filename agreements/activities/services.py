"""Writes of the activity register and the stakeholder registry: each one transaction and one audit event.
Drafters (and administrators) keep the register; everyone else reads it within their visibility."""

import datetime
import unicodedata

from django.db import transaction
from django.utils.translation import gettext as _

from agreements.common.audit import audit_record
from agreements.common.enqueue import SEARCH_INDEX_ACTIVITY, enqueue_after_commit
from agreements.common.errors import ServiceError as ValidationFailed
from agreements.common.guards import require_role
from agreements.common.languages import is_country
from agreements.common.roles import Role
from agreements.documents.services import activity_attachment_store
from agreements.models import Activity, ActivityKind, DocumentVersion, Stakeholder, StakeholderType

from .selectors import visible_activities

SIMILAR_NAME_SCORE = 85  # rapidfuzz token-set ratio from which two stakeholder names count as the same one

ACTIVITY_FIELDS = ("kind", "title", "starts_on", "ends_on", "place", "country_code", "participants",
                   "participants_on_territory", "follow_up_projects", "funding_applications", "notes")
ACTIVITY_RELATIONS = ("counterparts", "dgs", "plan_actions", "agreements", "stakeholders")


def _plain_name(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).replace("-", " ").split())


def similar_stakeholders(*, name: str, exclude_pk=None) -> list[Stakeholder]:
    """Stakeholders whose name is close to `name` ("Universita di Bologna" finds "Università di Bologna")."""
    from rapidfuzz import fuzz

    wanted = _plain_name(name)
    found = []
    for stakeholder in Stakeholder.objects.exclude(pk=exclude_pk).only("pk", "name").order_by("name"):
        if fuzz.token_set_ratio(wanted, _plain_name(stakeholder.name)) >= SIMILAR_NAME_SCORE:
            found.append(stakeholder)
    return found


class DuplicateStakeholderError(ValidationFailed):
    def __init__(self, message, similar):
        super().__init__(message)
        self.similar = similar


@transaction.atomic
def stakeholder_create(*, actor, name: str, type: str, internal: bool = False, first_involved_on=None,
                       notes: str = "", allow_similar: bool = False) -> Stakeholder:
    """Register a stakeholder. An equal name is refused; a similar one too unless the drafter confirms that it is
    a different organisation."""
    require_role(actor, Role.DRAFTER)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Indicare la denominazione dello stakeholder."))
    if type not in StakeholderType.values:
        raise ValidationFailed(_("Tipologia di stakeholder sconosciuta."))
    if Stakeholder.objects.filter(name__iexact=name).exists():
        raise DuplicateStakeholderError(_("Lo stakeholder «%(name)s» esiste già.") % {"name": name}, [])
    similar = similar_stakeholders(name=name)
    if similar and not allow_similar:
        raise DuplicateStakeholderError(
            _("Esiste già uno stakeholder con un nome simile: %(names)s. Sceglierlo dall'elenco oppure confermare "
              "che è un soggetto diverso.") % {"names": ", ".join(s.name for s in similar)}, similar)
    stakeholder = Stakeholder.objects.create(name=name, type=type, internal=bool(internal),
                                             first_involved_on=first_involved_on, notes=notes or "",
                                             created_by=actor)
    audit_record(actor=actor, action="stakeholder_create",
                 detail={"stakeholder": stakeholder.name, "type": type, "internal": bool(internal),
                         "first_involved_on": first_involved_on})
    return stakeholder


def _check_activity(values: dict) -> None:
    if values.get("kind") not in ActivityKind.values:
        raise ValidationFailed(_("Tipologia di attività sconosciuta."))
    if not (values.get("title") or "").strip():
        raise ValidationFailed(_("Indicare il titolo dell'attività."))
    if values.get("starts_on") is None:
        raise ValidationFailed(_("Indicare la data dell'attività."))
    if values.get("ends_on") and values["ends_on"] < values["starts_on"]:
        raise ValidationFailed(_("La data di fine precede la data di inizio."))
    code = (values.get("country_code") or "").upper()
    if code and not is_country(code):
        raise ValidationFailed(_("Paese sconosciuto: %(code)s") % {"code": code})
    for name in ("participants", "participants_on_territory"):
        value = values.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ValidationFailed(_("Il numero di partecipanti deve essere un intero non negativo."))
    if (values.get("participants_on_territory") or 0) > (values.get("participants") or 0) and \
            values.get("participants") is not None:
        raise ValidationFailed(_("I partecipanti sul territorio non possono superare i partecipanti."))


def _involve_stakeholders(activity: Activity) -> list[str]:
    """A stakeholder's first involvement is the earliest activity it took part in (or the date entered, if
    earlier). Returns the names whose date changed."""
    changed = []
    for stakeholder in activity.stakeholders.select_for_update():
        if stakeholder.first_involved_on is None or stakeholder.first_involved_on > activity.starts_on:
            stakeholder.first_involved_on = activity.starts_on
            stakeholder.save(update_fields=["first_involved_on"])
            changed.append(stakeholder.name)
    return changed


def _plain(value):
    return value.isoformat() if isinstance(value, datetime.date) else value


def _relations_detail(activity: Activity) -> dict:
    return {
        "counterparts": sorted(c.name for c in activity.counterparts.all()),
        "dgs": sorted(s.code for s in activity.dgs.all()),
        "plan_actions": sorted(f"{a.plan.code}/{a.number}" for a in activity.plan_actions.select_related("plan")),
        "agreements": sorted(a.reference for a in activity.agreements.all()),
        "stakeholders": sorted(s.name for s in activity.stakeholders.all()),
    }


@transaction.atomic
def activity_create(*, actor, kind: str, title: str, starts_on, ends_on=None, place: str = "",
                    country_code: str = "", participants=None, participants_on_territory=None,
                    follow_up_projects: str = "", funding_applications: str = "", notes: str = "",
                    counterparts=(), dgs=(), plan_actions=(), agreements=(), stakeholders=()) -> Activity:
    """Record an activity of the office once, with what it involved."""
    require_role(actor, Role.DRAFTER)
    values = {"kind": kind, "title": (title or "").strip(), "starts_on": starts_on, "ends_on": ends_on,
              "place": place or "", "country_code": (country_code or "").upper(), "participants": participants,
              "participants_on_territory": participants_on_territory, "follow_up_projects": follow_up_projects or "",
              "funding_applications": funding_applications or "", "notes": notes or ""}
    _check_activity(values)
    activity = Activity.objects.create(created_by=actor, **values)
    for name, items in (("counterparts", counterparts), ("dgs", dgs), ("plan_actions", plan_actions),
                        ("agreements", agreements), ("stakeholders", stakeholders)):
        getattr(activity, name).set(items)
    first_involved = _involve_stakeholders(activity)
    audit_record(actor=actor, action="activity_create",
                 detail={"activity": activity.pk, "title": activity.title, "kind": kind,
                         "starts_on": starts_on, **_relations_detail(activity),
                         "first_involvement_set": first_involved})
    # The search indexes the record in the worker once this commits (the beat's refresh catches a lost message).
    enqueue_after_commit(SEARCH_INDEX_ACTIVITY, activity.pk)
    return activity


@transaction.atomic
def activity_update(*, actor, activity: Activity, **values) -> Activity:
    """Change an activity; the audit event holds each changed field with its old and new value."""
    require_role(actor, Role.DRAFTER)
    unknown = set(values) - set(ACTIVITY_FIELDS) - set(ACTIVITY_RELATIONS)
    if unknown:
        raise ValidationFailed(_("Campi non modificabili: %(names)s") % {"names": ", ".join(sorted(unknown))})
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    relations = {name: values.pop(name) for name in ACTIVITY_RELATIONS if name in values}
    if "country_code" in values:
        values["country_code"] = (values["country_code"] or "").upper()
    merged = {name: values.get(name, getattr(activity, name)) for name in ACTIVITY_FIELDS}
    _check_activity(merged)
    before_relations = _relations_detail(activity)
    changes = {}
    for name in ACTIVITY_FIELDS:
        if name in values and getattr(activity, name) != values[name]:
            changes[name] = [_plain(getattr(activity, name)), _plain(values[name])]
            setattr(activity, name, values[name])
    if changes:
        activity.save()
    for name, items in relations.items():
        getattr(activity, name).set(items)
    after_relations = _relations_detail(activity)
    changes.update({name: [before_relations[name], after_relations[name]] for name in after_relations
                    if before_relations[name] != after_relations[name]})
    first_involved = _involve_stakeholders(activity)
    if changes:
        audit_record(actor=actor, action="activity_update", changes=changes,
                     detail={"activity": activity.pk, "title": activity.title,
                             "first_involvement_set": first_involved})
        enqueue_after_commit(SEARCH_INDEX_ACTIVITY, activity.pk)
    return activity


@transaction.atomic
def activity_attachment_upload(*, actor, activity: Activity, doc_type: str, upload) -> DocumentVersion:
    """Attach a file (agenda, minutes, note) to an activity the drafter may see: a new document version with the
    preflight and hashing of agreement uploads, one audit event; a refused file writes nothing."""
    require_role(actor, Role.DRAFTER)
    activity = visible_activities(actor).select_for_update().filter(pk=activity.pk).first()
    if activity is None:
        raise ValidationFailed(_("Attività non trovata."))
    return activity_attachment_store(activity=activity, doc_type=doc_type, upload=upload, actor=actor)
