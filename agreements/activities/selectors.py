"""Reads of the activity register and the stakeholder registry, within the same visibility rule as agreements:
the Gabinetto roles see every activity; a DG referent sees the activities that involve their DG; anyone else
none. What a user may not see is a 404."""

import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import ExtractYear
from django.http import Http404

from agreements.common.access import visible_agreements
from agreements.common.labels import choice_label
from agreements.common.roles import sees_everything, user_dg_id
from agreements.documents.signatures import describe
from agreements.models import (
    Action,
    Activity,
    ActivityKind,
    Agreement,
    DocumentVersion,
    Stakeholder,
    StakeholderType,
    Status,
)

# The register's filters (query string -> lookup); the monitoring page links to the register through them.
FILTERS = ("tipo", "tipo_controparte", "anno", "dal", "al", "paese", "azione", "piano", "dg", "stakeholder",
           "accordo", "controparte", "q")


def visible_activities(user) -> QuerySet[Activity]:
    qs = Activity.objects.all()
    if user is None or not user.is_authenticated:
        return qs.none()
    if sees_everything(user):
        return qs
    dg_id = user_dg_id(user)
    if dg_id is None:
        return qs.none()
    return qs.filter(pk__in=Activity.dgs.through.objects.filter(sector_id=dg_id).values("activity_id"))


def visible_stakeholders(user) -> QuerySet[Stakeholder]:
    """All stakeholders for the Gabinetto roles; for a DG referent, those of the activities they may see."""
    qs = Stakeholder.objects.all()
    if user is None or not user.is_authenticated:
        return qs.none()
    if sees_everything(user):
        return qs
    return qs.filter(pk__in=Activity.stakeholders.through.objects.filter(
        activity__in=visible_activities(user)).values("stakeholder_id"))


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _date(value):
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def filter_activities(qs: QuerySet[Activity], params) -> QuerySet[Activity]:
    """Apply the register's filters from a query dict; unknown or malformed values are ignored."""
    get = params.get
    if get("tipo"):
        qs = qs.filter(kind=get("tipo"))
    if _int(get("anno")):
        qs = qs.filter(starts_on__year=_int(get("anno")))
    if _date(get("dal")):
        qs = qs.filter(starts_on__gte=_date(get("dal")))
    if _date(get("al")):
        qs = qs.filter(starts_on__lte=_date(get("al")))
    if get("paese"):
        qs = qs.filter(country_code=get("paese").upper()[:2])
    for param, through, column in (("azione", Activity.plan_actions.through, "action_id"),
                                   ("dg", Activity.dgs.through, "sector_id"),
                                   ("stakeholder", Activity.stakeholders.through, "stakeholder_id"),
                                   ("accordo", Activity.agreements.through, "agreement_id"),
                                   ("controparte", Activity.counterparts.through, "counterpart_id")):
        if _int(get(param)):
            qs = qs.filter(pk__in=through.objects.filter(**{column: _int(get(param))}).values("activity_id"))
    if get("piano"):
        qs = qs.filter(pk__in=Activity.plan_actions.through.objects.filter(
            action__plan__code=get("piano")).values("activity_id"))
    if get("tipo_controparte"):
        qs = qs.filter(pk__in=Activity.counterparts.through.objects.filter(
            counterpart__type=get("tipo_controparte")).values("activity_id"))
    if get("q"):
        qs = qs.filter(Q(title__icontains=get("q")) | Q(place__icontains=get("q")) | Q(notes__icontains=get("q")))
    return qs


def activity_rows(qs: QuerySet[Activity]) -> QuerySet[Activity]:
    """What a list of activities shows, in a fixed number of queries."""
    return qs.prefetch_related(
        "counterparts", "dgs", "stakeholders",
        Prefetch("plan_actions", queryset=Action.objects.select_related("plan").order_by("plan__start_year",
                                                                                          "number")),
        Prefetch("agreements", queryset=Agreement.objects.only("pk", "reference", "title", "status")),
    ).order_by("-starts_on", "-pk")


def activity_for(user, pk) -> Activity:
    try:
        return activity_rows(visible_activities(user)).get(pk=pk)
    except (Activity.DoesNotExist, ValueError, TypeError):
        raise Http404("Attività non trovata") from None


def attachments_of(activity: Activity) -> list[DocumentVersion]:
    """The activity's attachments by type and newest first, each with `signature_lines` for a signed file (the
    caller has found the activity through activity_for, so within what the user may see)."""
    versions = list(DocumentVersion.objects.filter(activity=activity).select_related("author")
                    .order_by("doc_type", "-number"))
    for version in versions:
        version.signature_lines = describe(version.signature)
    return versions


def attachment_for(user, activity_pk, pk) -> DocumentVersion:
    """One attachment of an activity the user may see; 404 otherwise (the activity's visibility decides)."""
    try:
        return DocumentVersion.objects.get(pk=pk, activity__in=visible_activities(user).filter(pk=activity_pk))
    except (DocumentVersion.DoesNotExist, ValueError, TypeError):
        raise Http404("Allegato non trovato") from None


def activities_of_agreement(user, agreement) -> list[Activity]:
    """The activities serving an agreement that `user` may see (the agreement page's list)."""
    return list(activity_rows(visible_activities(user).filter(
        pk__in=Activity.agreements.through.objects.filter(agreement_id=agreement.pk).values("activity_id"))))


def stakeholder_rows(user, params=None) -> QuerySet[Stakeholder]:
    """The registry as the user may see it, each stakeholder with the number of visible activities. Filters:
    anno (year of first involvement), tipo, interno (1/0)."""
    visible = visible_activities(user)
    qs = visible_stakeholders(user)
    get = (params or {}).get
    if _int(get("anno")):
        qs = qs.filter(first_involved_on__year=_int(get("anno")))
    if get("tipo"):
        qs = qs.filter(type=get("tipo"))
    if get("interno") in ("0", "1"):
        qs = qs.filter(internal=get("interno") == "1")
    return qs.annotate(
        activity_count=Count("activities", filter=Q(activities__in=visible), distinct=True)
    ).order_by("name")


# --- territory page -----------------------------------------------------------------------------------------

TERRITORY_AGREEMENTS = 50  # agreements listed on a territory page; the register lists them all


def territory(user, *, country_code: str | None = None, counterpart=None) -> dict:
    """Everything the territory page of a country (ISO 3166 code) or of a counterpart shows, within what `user`
    may see, in a fixed number of queries whatever the number of agreements and activities: the agreements with
    their state and expiry, the activities per year and kind, the stakeholders and DGs involved, the spillover,
    and the figures behind the plan's four evaluation criteria."""
    from agreements.models import Sector

    agreements_qs = visible_agreements(user)
    activities_qs = visible_activities(user)
    if counterpart is not None:
        # An IN over the through table rather than a join: no duplicate rows, no scan of the join.
        agreements_qs = agreements_qs.filter(
            Q(counterpart=counterpart)
            | Q(pk__in=Agreement.other_counterparts.through.objects.filter(counterpart=counterpart)
                .values("agreement_id")))
        activities_qs = activities_qs.filter(
            pk__in=Activity.counterparts.through.objects.filter(counterpart=counterpart).values("activity_id"))
        register_filter = {"controparte": counterpart.pk}
    else:
        agreements_qs = agreements_qs.filter(counterpart__country_code=country_code)
        activities_qs = activities_qs.filter(country_code=country_code)
        register_filter = {"paese": country_code}
    agreement_ids = agreements_qs.values("pk")
    activity_ids = activities_qs.values("pk")
    # The first agreements only, with the totals counted in SQL: a country can hold thousands of agreements, and
    # the page links to the register for the rest.
    agreements = list(
        Agreement.objects.filter(pk__in=agreement_ids).select_related("counterpart")
        .only("pk", "reference", "title", "status", "end_date", "entry_into_force", "counterpart__name",
              "counterpart__country")
        .order_by("-entry_into_force", "reference")[:TERRITORY_AGREEMENTS]
    )
    totals = Agreement.objects.filter(pk__in=agreement_ids).aggregate(
        agreements=Count("pk"), in_force=Count("pk", filter=Q(status=Status.IN_FORCE)))
    per_year = list(
        Activity.objects.filter(pk__in=activity_ids).annotate(year=ExtractYear("starts_on"))
        .values("year", "kind").annotate(n=Count("pk")).order_by("year", "kind")
    )
    kinds = dict(ActivityKind.choices)
    years = {}
    for row in per_year:
        years.setdefault(row["year"], []).append({"kind": row["kind"], "label": kinds.get(row["kind"], row["kind"]),
                                                  "n": row["n"]})
    timeline = [{"year": year, "kinds": rows, "total": sum(r["n"] for r in rows)}
                for year, rows in sorted(years.items())]
    stakeholders = list(
        Stakeholder.objects.filter(activities__in=activity_ids)
        .annotate(n=Count("activities", distinct=True)).order_by("-n", "name")
        .only("pk", "name", "type", "internal")
    )
    for stakeholder in stakeholders:  # a country can involve hundreds: each label resolved once, not per row
        stakeholder.type_label = choice_label(StakeholderType, stakeholder.type)
    # Counted per sector on each through table apart, rather than over a join of both (its rows multiply).
    per_dg = {}
    for key, through, column, ids in (("n_agreements", Agreement.dgs.through, "agreement_id", agreement_ids),
                                      ("n_activities", Activity.dgs.through, "activity_id", activity_ids)):
        for row in (through.objects.filter(**{f"{column}__in": ids}).values("sector_id")
                    .annotate(n=Count(column, distinct=True)).order_by()):
            per_dg.setdefault(row["sector_id"], {"n_agreements": 0, "n_activities": 0})[key] = row["n"]
    dgs = list(Sector.objects.filter(pk__in=per_dg).order_by("name"))
    for dg in dgs:
        dg.n_agreements, dg.n_activities = per_dg[dg.pk]["n_agreements"], per_dg[dg.pk]["n_activities"]
    spillover = list(
        Activity.objects.filter(pk__in=activity_ids)
        .exclude(follow_up_projects="", funding_applications="")
        .only("pk", "title", "starts_on", "follow_up_projects", "funding_applications").order_by("starts_on")
    )
    actions = list(
        Action.objects.filter(
            Q(pk__in=Activity.plan_actions.through.objects.filter(activity_id__in=activity_ids).values("action_id"))
            | Q(pk__in=Agreement.plan_actions.through.objects.filter(agreement_id__in=agreement_ids)
                .values("action_id")))
        .select_related("plan").order_by("plan__start_year", "number")
    )
    total_activities = sum(row["total"] for row in timeline)
    return {
        "agreements": agreements,
        "agreements_total": totals["agreements"],
        "agreements_more": max(0, totals["agreements"] - len(agreements)),
        "timeline": timeline,
        "stakeholders": stakeholders,
        "dgs": dgs,
        "spillover": spillover,
        "register_filter": register_filter,
        "criteria": {
            "continuity": {"years": [row["year"] for row in timeline], "activities": total_activities,
                           "agreements": totals["agreements"], "in_force": totals["in_force"]},
            "coverage": {"actions": actions, "dgs": len(dgs)},
            "participation": {"stakeholders": len(stakeholders),
                              "internal": sum(1 for s in stakeholders if s.internal),
                              "external": sum(1 for s in stakeholders if not s.internal)},
            "spillover": {"activities": len(spillover),
                          "projects": sum(1 for a in spillover if a.follow_up_projects),
                          "funding": sum(1 for a in spillover if a.funding_applications)},
        },
    }


def territory_index(user) -> list[dict]:
    """The countries with visible activities or agreements, with their counts (two aggregate queries)."""
    counts = {}
    for row in visible_activities(user).exclude(country_code="").values("country_code").annotate(n=Count("pk")):
        counts.setdefault(row["country_code"], {"activities": 0, "agreements": 0})["activities"] = row["n"]
    for row in (Agreement.objects.filter(pk__in=visible_agreements(user).values("pk"))
                .exclude(counterpart__country_code="").values("counterpart__country_code").annotate(n=Count("pk"))):
        counts.setdefault(row["counterpart__country_code"], {"activities": 0, "agreements": 0})["agreements"] = \
            row["n"]
    from agreements.common.languages import country_name

    return sorted(({"code": code, "name": country_name(code), **n} for code, n in counts.items()),
                  key=lambda r: r["name"])
