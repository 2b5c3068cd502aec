"""`make run`'s set-up: the plan, demo users and the plan's agreements, idempotent."""

import datetime

import pytest
from django.apps import apps
from django.core.management import call_command

from agreements.common.roles import Role, user_roles
from agreements.models import Agreement, AuditEvent, Counterpart, Status
from tests.support.lifecycle import open_steps

pytestmark = pytest.mark.django_db


def row_counts():
    return {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.app_label in ("agreements", "auth",
                                                                                              "viewflow")}


def test_setup_demo_creates_users_plan_and_agreements_once(tmp_path, settings, capsys):
    settings.VAR_DIR = tmp_path
    call_command("setup_demo")
    out = capsys.readouterr().out
    assert "redattore" in out and (tmp_path / "demo-users.txt").read_text().count("\n") == 7
    from django.contrib.auth import get_user_model

    users = {u.username: u for u in get_user_model().objects.all()}
    assert user_roles(users["referente-agri"]) == {Role.DG_REFERENT}
    assert users["referente-agri"].profile.dg.code == "dg-agri"

    nouvelle = Agreement.objects.get(title="Intesa con la Nouvelle-Aquitaine (rinnovo)")
    assert (nouvelle.reference, nouvelle.entry_into_force, nouvelle.end_date) == (
        "INT-2022-001", datetime.date(2022, 4, 1), datetime.date(2025, 4, 1))
    assert nouvelle.status == Status.EXPIRED  # past its end; its renewal is in the procedure
    renewal = nouvelle.renewals.get()
    assert open_steps(renewal) == ["inform_assembly_start"]  # a new procedure: the Assembly is informed first
    quebec = Agreement.objects.get(title="Intesa con il Québec")
    assert quebec.status == Status.CONSULTATION
    assert open_steps(quebec) == ["consult_dg"]  # DG AGRI answered, DG CRLI has not yet
    assert Agreement.objects.get(title="Intesa con la Pennsylvania").end_date == datetime.date(2027, 6, 1)
    # the proposals and the renewal start from a text: the clause library's draft (the renewed agreement was
    # recorded without its text), so their documents render at once
    assert quebec.articles.count() == 9 and renewal.articles.count() == 9
    assert Counterpart.objects.get(name="Región de Murcia").language == "es"

    before = row_counts()
    events = AuditEvent.objects.count()
    call_command("setup_demo")
    assert "nessuna modifica" in capsys.readouterr().out
    assert row_counts() == before
    assert AuditEvent.objects.count() == events
