"""The signed-in user of a request, read in one query with what every page asks of them: their roles (the
navigation, the pages' guards) and their unread notifications (the header). Django reads the user of a session
through the backend that logged them in (`get_user`), so the local accounts' backend and the directory's
(agreements.accounts.directory) both read them here. Nothing is kept between requests: each request reads again."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import F

from agreements.common.roles import remember_roles
from agreements.notifications.selectors import UNREAD_WITH_USER, unread_count_expression


def signed_in_user(user_id):
    """The user with their roles and unread count (one row per group: a left join), or None."""
    rows = list(
        get_user_model()._default_manager.filter(pk=user_id).select_related("profile")
        .annotate(group_name=F("groups__name"), **{UNREAD_WITH_USER: unread_count_expression()})
    )
    if not rows:
        return None
    user = rows[0]
    remember_roles(user, [row.group_name for row in rows if row.group_name is not None])
    del user.group_name
    return user


class AccountBackend(ModelBackend):
    """Django's ModelBackend (local accounts: the embedded demo users and the administrators), reading the user of
    a session with signed_in_user."""

    def get_user(self, user_id):
        user = signed_in_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
