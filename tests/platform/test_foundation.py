import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.utils import DatabaseError

from agreements.common.audit import audit_record
from agreements.common.roles import Role
from agreements.models import AuditEvent

ROOT = Path(__file__).resolve().parents[2]


def test_test_settings_refuse_anything_but_postgresql():
    # given a DATABASE_URL that points at SQLite
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env["DATABASE_URL"] = "sqlite:///tmp/intese-not-postgres.sqlite3"
    # when the test settings are loaded
    result = subprocess.run([sys.executable, "-c", "import config.settings.test"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    # then they refuse, saying why: the suite never falls back to SQLite
    assert result.returncode != 0
    assert "Tests run on PostgreSQL only" in result.stderr


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
