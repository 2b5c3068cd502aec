"""Visible state: the health command and page (a stopped beat is noticed), the reminders on the agreement page,
the thresholds in the admin, and the heartbeats the tasks write."""

import datetime
import io
import json

import pytest
import time_machine
from django.core.management import call_command
from django.template.loader import render_to_string
from django.utils import timezone

from agreements.health import services as health
from agreements.models import AuditEvent, Heartbeat, ReminderPolicy
from agreements.reminders import selectors as reminder_selectors
from agreements.reminders import services as reminders
from tests.support.factories import InForceAgreementFactory

D = datetime.date


def run_health(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("health", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_health_is_stale_until_every_job_ran_recently():
    # nothing ever ran: stale, non-zero exit
    code, out, err = run_health()
    assert code == 1 and "FERMO" in out and "fermo" in err
    # all three ran just now: ok
    for name in health.HEARTBEATS:
        health.heartbeat_record(name)
    code, out, _ = run_health("--format", "json")
    report = json.loads(out)
    assert code == 0 and report["ok"] is True
    assert {j["name"] for j in report["jobs"]} == {"scan_reminders", "relay_outbox", "fire_workflow_timers"}
    # three hours later the hourly scan is overdue (the relay and timers too)
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=3)):
        code, out, _ = run_health("--format", "json")
    stale = {j["name"] for j in json.loads(out)["jobs"] if j["stale"]}
    assert code == 1 and "scan_reminders" in stale


@pytest.mark.django_db
def test_tasks_write_their_heartbeat_on_success(in_force_with_people):
    from worker.tasks import fire_workflow_timers, relay_outbox, scan_reminders

    with time_machine.travel(datetime.datetime(2025, 1, 27, 8, 5, tzinfo=datetime.UTC), tick=False):
        assert scan_reminders() == {"reminders": 1, "messages": 2}
        relay_outbox()
        fire_workflow_timers()
    beats = {h.name: h for h in Heartbeat.objects.all()}
    assert set(beats) == set(health.HEARTBEATS)
    assert beats["scan_reminders"].detail == {"reminders": 1, "messages": 2}
    assert beats["relay_outbox"].detail["sent"] == 2
    assert "fired" in beats["fire_workflow_timers"].detail


@pytest.mark.django_db
def test_a_failing_task_writes_no_heartbeat(monkeypatch):
    from worker import tasks

    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(reminders, "scan_due", broken)  # the service the task calls fails
    with pytest.raises(RuntimeError):
        tasks.scan_reminders()
    assert not Heartbeat.objects.filter(name="scan_reminders").exists()


@pytest.mark.django_db
def test_health_page_for_administrators(client, admin_user, drafter):
    client.force_login(drafter)
    assert client.get("/promemoria/salute/").status_code == 403
    client.force_login(admin_user)
    response = client.get("/promemoria/salute/")
    assert response.status_code == 503 and "non gira da troppo tempo" in response.content.decode()
    for name in health.HEARTBEATS:
        health.heartbeat_record(name)
    response = client.get("/promemoria/salute/")
    assert response.status_code == 200 and "Tutti i processi periodici sono in funzione." in response.content.decode()


@pytest.fixture
def in_force_with_people(drafter, director):
    return InForceAgreementFactory(drafted_by=drafter, director=director, end_date=D(2025, 4, 27))


@pytest.mark.django_db
def test_agreement_partial_lists_sent_and_scheduled_reminders(in_force_with_people):
    agreement = in_force_with_people
    reminders.scan_due(today=D(2025, 1, 27))
    with time_machine.travel(datetime.datetime(2025, 1, 28, 9, 0), tick=False):
        context = {"agreement": agreement, "reminders": reminder_selectors.agreement_reminders(agreement)}
        html = render_to_string("reminders/_agreement_reminders.html", context)
    assert "Promemoria inviati" in html and "27/01/2025" in html
    assert "redattore@example.org" in html and "In coda" in html
    # scheduled: the 60, 30, 7 and 0-day thresholds still to come
    assert "Promemoria programmati" in html
    for day in ("26/02/2025", "28/03/2025", "20/04/2025", "27/04/2025"):
        assert day in html


@pytest.mark.django_db
def test_agreement_page_includes_the_reminders(client, in_force_with_people, drafter):
    reminders.scan_due(today=D(2025, 1, 27))
    client.force_login(drafter)
    response = client.get(f"/accordi/{in_force_with_people.reference}/")
    assert response.status_code == 200
    assert "Promemoria inviati" in response.content.decode()


@pytest.mark.django_db
def test_administrator_edits_thresholds_in_the_admin_with_audit(client, admin_user):
    admin_user.is_staff = True
    admin_user.save()
    client.force_login(admin_user)
    ReminderPolicy.current()
    data = {"expiry_thresholds": "[120, 30, 0]", "expiry_repeat_days": 14, "notice_thresholds": "[30, 0]",
            "consultation_days_before": 2, "observations_days_before": 3, "ratification_pending_days": 60,
            "idle_task_days": 10, "catch_up_days": 7}
    response = client.post("/admin/agreements/reminderpolicy/1/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = ReminderPolicy.objects.get(pk=1)
    assert policy.expiry_thresholds == [120, 30, 0] and policy.expiry_repeat_days == 14
    event = AuditEvent.objects.get(action="reminder_policy_update")
    assert event.actor == admin_user and event.changes["expiry_repeat_days"] == [7, 14]
    # a bad list is refused and nothing changes
    response = client.post("/admin/agreements/reminderpolicy/1/change/", {**data, "expiry_thresholds": "[-5]"})
    assert response.status_code == 200 and "tra 0 e 3650" in response.content.decode()
    assert ReminderPolicy.objects.get(pk=1).expiry_thresholds == [120, 30, 0]


@pytest.mark.django_db
def test_a_fresh_install_is_pending_not_stopped_after_beat_starts(client, admin_user):
    start = timezone.now()
    health.beat_started_record()
    # the scan is sent as beat starts; the relay's first run is a minute later, the timers' five minutes later
    with time_machine.travel(start + datetime.timedelta(seconds=20)):
        code, out, _ = run_health("--format", "json")
        report = json.loads(out)
        client.force_login(admin_user)
        page = client.get("/promemoria/salute/")
    jobs = {j["name"]: j for j in report["jobs"]}
    assert code == 0 and {j["state"] for j in jobs.values()} == {"pending"}
    assert jobs["fire_workflow_timers"]["first_run_in_minutes"] == 5
    assert jobs["relay_outbox"]["first_run_in_minutes"] == 1
    assert page.status_code == 200 and "prima esecuzione tra 5 minuti" in page.content.decode()
    assert "non ancora eseguito" in page.content.decode() and "fermo" not in page.content.decode()
    # the scan ran; ten minutes later the timers still never ran: that one is stopped, not pending
    health.heartbeat_record("scan_reminders")
    health.heartbeat_record("relay_outbox")
    with time_machine.travel(start + datetime.timedelta(minutes=11)):
        code, out, err = run_health("--format", "json")
    jobs = {j["name"]: j["state"] for j in json.loads(out)["jobs"]}
    assert code == 1 and jobs == {"scan_reminders": "ok", "relay_outbox": "stopped", "fire_workflow_timers": "stopped"}
    assert "fermo" in err


@pytest.mark.django_db
def test_health_fails_on_an_email_that_could_not_be_delivered(in_force_with_people, client, admin_user):
    from agreements.models import OutboxMessage

    for name in health.HEARTBEATS:
        health.heartbeat_record(name)
    reminders.scan_due(today=D(2025, 1, 27))
    assert run_health()[0] == 0
    client.force_login(admin_user)
    page = client.get("/promemoria/salute/")
    assert page.status_code == 200 and 'id="failed-emails"' not in page.content.decode()
    OutboxMessage.objects.filter(pk=OutboxMessage.objects.first().pk).update(state=OutboxMessage.State.FAILED)
    code, out, err = run_health("--format", "json")
    assert code == 1 and json.loads(out)["failed_emails"] == 1 and "non recapitate: 1" in err
    # the page says it too, with the reason, and answers 503 to a monitoring probe
    page = client.get("/promemoria/salute/")
    assert page.status_code == 503
    assert "Un&#x27;e-mail non è stata recapitata" in page.content.decode() or (
        "Un'e-mail non è stata recapitata" in page.content.decode())
