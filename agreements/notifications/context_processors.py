"""The unread count in the header, counted once and only on pages that show it (templates call the callable)."""

import functools

from .selectors import unread_count


def notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": functools.cache(lambda: unread_count(user))}
