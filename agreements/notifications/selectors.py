"""Reads of a person's notifications: the list and the unread count in the header (one query each; the count
comes with the signed-in user, agreements.accounts.backends)."""

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from agreements.models import Notification, Profile

LIST_LIMIT = 200
# Where the count read with the user of a request is kept on the user object, for this request only.
UNREAD_WITH_USER = "unread_notifications_with_user"


def unread_count_expression():
    """The unread count of the user of the outer query (OuterRef("pk")), to read it with the user in one query."""
    unread = (Notification.objects.filter(user=OuterRef("pk"), read_at__isnull=True)
              .order_by().values("user").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(unread), 0)


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    read_with_user = getattr(user, UNREAD_WITH_USER, None)
    if read_with_user is not None:
        return read_with_user
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def forget_unread_count(user) -> None:
    """The user read some notifications: the count read with them no longer holds."""
    user.__dict__.pop(UNREAD_WITH_USER, None)


def notifications_for(user, limit: int = LIST_LIMIT) -> list[Notification]:
    return list(Notification.objects.filter(user=user).select_related("agreement").order_by("-created_at", "-id")
                [:limit])


def preferences_of(user) -> dict:
    profile = Profile.objects.filter(user=user).first()
    return {"language": profile.language if profile else "it",
            "daily_digest": profile.daily_digest if profile else False}
