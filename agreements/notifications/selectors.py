"""Reads of a person's notifications: the list and the unread count in the header (one query each)."""

from agreements.models import Notification, Profile

LIST_LIMIT = 200


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications_for(user, limit: int = LIST_LIMIT) -> list[Notification]:
    return list(Notification.objects.filter(user=user).select_related("agreement").order_by("-created_at", "-id")
                [:limit])


def preferences_of(user) -> dict:
    profile = Profile.objects.filter(user=user).first()
    return {"language": profile.language if profile else "it",
            "daily_digest": profile.daily_digest if profile else False}
