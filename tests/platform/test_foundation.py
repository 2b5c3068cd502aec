import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.utils import DatabaseError

from agreements.common.audit import audit_record
from agreements.common.roles import Role
from agreements.models import AuditEvent


def test_runs_on_postgresql():
    assert connection.vendor == "postgresql"


@pytest.mark.django_db
def test_role_groups_exist_with_inbox_permission():
    names = set(Group.objects.values_list("name", flat=True))
    assert set(Role.ALL) <= names
    drafter = Group.objects.get(name=Role.DRAFTER)
    assert drafter.permissions.filter(codename="view_agreementprocess").exists()


@pytest.mark.django_db(transaction=True)
def test_audit_trail_refuses_update_and_delete_at_database_level(drafter):
    event = audit_record(actor=drafter, action="test")
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test"
