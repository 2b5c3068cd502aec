"""Who sees which agreement: the one rule every page, export, feed and API call applies. The Gabinetto roles see
every agreement; a DG referent sees their DG's; anyone else none. What a user may not see is a 404."""

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from agreements.models import Agreement

from .roles import sees_everything, user_dg_id


def visible_agreements(user) -> QuerySet[Agreement]:
    """The agreements `user` may see: all for the Gabinetto roles, their DG's for a DG referent, none else."""
    qs = Agreement.objects.all()
    if user is None or not user.is_authenticated:
        return qs.none()
    if sees_everything(user):
        return qs
    dg_id = user_dg_id(user)
    if dg_id is None:
        return qs.none()
    # EXISTS rather than a join and DISTINCT: no duplicate to remove, and sorting, counting and paginating the
    # register stay plain queries on the agreements table.
    return qs.filter(Exists(Agreement.dgs.through.objects.filter(agreement_id=OuterRef("pk"), sector_id=dg_id)))


def agreement_for(user, *, reference: str | None = None, pk: int | None = None) -> Agreement:
    """One agreement the user may see, or 404 (never 403: a referent learns nothing of other DGs' work)."""
    qs = visible_agreements(user).select_related("counterpart", "drafted_by", "director", "renews")
    lookup = {"reference": reference} if reference is not None else {"pk": pk}
    try:
        return qs.get(**lookup)
    except (Agreement.DoesNotExist, ValueError, TypeError):
        raise Http404("Accordo non trovato") from None


def can_see(user, agreement: Agreement) -> bool:
    visible = visible_agreements(user)
    if not visible.query.has_filters() and not visible.query.is_empty():
        return True  # a Gabinetto role sees every agreement: no query to ask
    return visible.filter(pk=agreement.pk).exists()
