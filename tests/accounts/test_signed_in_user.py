"""The user of a request is read in one query with their roles, their DG and their unread notifications
(agreements.accounts.backends), and read again at every request: nothing carries over from one to the next."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.accounts.backends import signed_in_user
from agreements.common.roles import Role, user_dg_id, user_roles
from agreements.models import Notification, NotificationKind
from agreements.notifications.selectors import unread_count
from agreements.notifications.services import notifications_mark_all_read

pytestmark = pytest.mark.django_db
REGISTER = reverse("agreements:register")
CREATE = reverse("agreements:create")


def notify(user, n):
    return Notification.objects.create(user=user, kind=NotificationKind.PHASE, key=f"k-{user.pk}-{n}",
                                       subject=f"Avviso {n}", body="Testo")


def _get(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return response, [q["sql"] for q in ctx.captured_queries]


def test_one_query_reads_the_user_with_roles_and_unread_count_and_the_next_request_reads_them_again(
        client, drafter):
    # given a drafter with one unread notification, logged in
    notify(drafter, 1)
    client.force_login(drafter)
    # when they open the register
    response, sql = _get(client, REGISTER)
    # then the user, their roles and their unread count came in one query, and the page shows both
    page = response.content.decode()
    assert f'href="{CREATE}"' in page and "1 non letta" in page
    assert len([q for q in sql if '"auth_group"' in q or '"agreements_notification"' in q]) == 1
    assert len([q for q in sql if 'FROM "auth_user"' in q]) == 1
    # when, between two requests, they become a director and receive a second notification
    drafter.groups.set([Group.objects.get(name=Role.DIRECTOR)])
    notify(drafter, 2)
    page = client.get(REGISTER).content.decode()
    # then the next page already follows the new role and the new count
    assert f'href="{CREATE}"' not in page and "2 non lette" in page
    assert client.get(CREATE).status_code == 403


def test_a_user_deactivated_between_requests_is_signed_out(client, drafter):
    client.force_login(drafter)
    assert client.get(REGISTER).status_code == 200
    drafter.is_active = False
    drafter.save(update_fields=["is_active"])
    response = client.get(REGISTER)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_roles_dg_and_count_read_with_the_user_answer_without_a_query_until_notifications_are_read(
        referent_agri, dg_agri, admin_user, nogroup_user):
    notify(referent_agri, 1)
    user = signed_in_user(referent_agri.pk)
    with CaptureQueriesContext(connection) as ctx:
        assert user_roles(user) == {Role.DG_REFERENT}
        assert user_dg_id(user) == dg_agri.pk
        assert unread_count(user) == 1
    assert ctx.captured_queries == []
    # reading them in the same request: the count read with the user no longer holds, it is counted again
    notifications_mark_all_read(user=user)
    assert unread_count(user) == 0
    # a user with no group and no profile: no role, no DG, still without a query
    bare = signed_in_user(nogroup_user.pk)
    with CaptureQueriesContext(connection) as ctx:
        assert user_roles(bare) == frozenset() and user_dg_id(bare) is None and unread_count(bare) == 0
    assert ctx.captured_queries == []
    assert not hasattr(bare, "group_name")
    assert signed_in_user(10**9) is None
