"""The reminder scan on PostgreSQL: what is reminded, to whom, once, whatever the number of scans."""

import datetime
import io
import json
import threading
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements.common.errors import PermissionDeniedError
from agreements.models import (
    AuditEvent,
    Heartbeat,
    Opinion,
    OutboxMessage,
    Reminder,
    ReminderKind,
    ReminderPolicy,
    RenewalClause,
    Status,
)
from agreements.records import services
from agreements.reminders import services as reminders
from tests.support.factories import AgreementFactory, InForceAgreementFactory

D = datetime.date
ROME = zoneinfo.ZoneInfo("Europe/Rome")
EXPIRY = ReminderKind.EXPIRY


def days(start: datetime.date, end: datetime.date):
    day = start
    while day <= end:
        yield day
        day += datetime.timedelta(days=1)


def expected_expiry_dates(end: datetime.date, thresholds=(180, 90, 60, 30, 7, 0), repeat=7):
    """The expiry reminder days of an agreement, computed the plain way: day by day."""
    expected = []
    ts = sorted(thresholds, reverse=True)
    for i, t in enumerate(ts):
        first = end - datetime.timedelta(days=t)
        stop = end - datetime.timedelta(days=ts[i + 1]) if i + 1 < len(ts) else end + datetime.timedelta(days=1)
        day = first
        while day < stop and day <= end:
            expected.append((t, day))
            day += datetime.timedelta(days=repeat)
    return expected


@pytest.fixture
def in_force(drafter, director):
    return InForceAgreementFactory(drafted_by=drafter, director=director, end_date=D(2025, 4, 27))


# --- Expiry ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_expiry_reminders_each_threshold_and_weekly_repeat_exactly_once(in_force, drafter, director):
    # given an agreement in force ending on 27/04/2025 and the default policy (180, 90, 60, 30, 7, 0; weekly)
    # when the scan runs twice every day from October 2024 to the day after the end
    for day in days(D(2024, 10, 1), D(2025, 4, 28)):
        reminders.scan_due(today=day)
        reminders.scan_due(today=day)
    # then each threshold and each weekly repeat gave exactly one reminder, on its day
    rows = list(Reminder.objects.filter(agreement=in_force, kind=EXPIRY).order_by("due_date")
                .values_list("threshold", "due_date"))
    assert rows == expected_expiry_dates(in_force.end_date)
    assert len(rows) == 29
    assert rows[0] == (180, D(2024, 10, 29)) and rows[-1] == (0, D(2025, 4, 27))
    # and each reminder mailed the drafter and the director once each
    for reminder in Reminder.objects.filter(agreement=in_force):
        assert sorted(m.to[0] for m in reminder.messages.all()) == [director.email, drafter.email]
    assert OutboxMessage.objects.count() == 2 * 29
    assert OutboxMessage.objects.values("message_id").distinct().count() == 2 * 29
    # and each creation is in the audit trail, by the system
    events = AuditEvent.objects.filter(agreement=in_force, action="reminder_create")
    assert events.count() == 29 and set(events.values_list("actor_name", flat=True)) == {"sistema"}


@pytest.mark.django_db
def test_weekly_repetition_stops_when_a_renewal_starts(in_force, drafter):
    for day in days(D(2024, 10, 29), D(2024, 11, 12)):
        reminders.scan_due(today=day)
    assert Reminder.objects.filter(agreement=in_force).count() == 3  # 29/10, 5/11, 12/11
    # when the drafter starts the renewal
    renewal = services.renewal_create(agreement=in_force, actor=drafter)
    for day in days(D(2024, 11, 13), D(2025, 4, 28)):
        reminders.scan_due(today=day)
    # then the old agreement gets no further reminder
    assert Reminder.objects.filter(agreement=in_force).count() == 3
    assert not Reminder.objects.filter(agreement=renewal).exists()


@pytest.mark.django_db
def test_weekly_repetition_stops_when_not_renewing_is_decided(in_force, director):
    reminders.scan_due(today=D(2024, 10, 29))
    with time_machine.travel(datetime.datetime(2024, 11, 1, 10, 0), tick=False):
        services.renewal_decline(agreement=in_force, actor=director, reason="Obiettivi raggiunti")
    for day in days(D(2024, 10, 30), D(2025, 4, 28)):
        reminders.scan_due(today=day)
    assert Reminder.objects.filter(agreement=in_force).count() == 1


@pytest.mark.django_db
def test_a_withdrawn_renewal_lets_the_reminders_go_on(in_force, drafter, director):
    renewal = services.renewal_create(agreement=in_force, actor=drafter)
    reminders.scan_due(today=D(2024, 10, 29))
    assert not Reminder.objects.filter(agreement=in_force).exists()
    services.agreement_close(agreement=renewal, actor=director, closure="withdraw", reason="Controparte assente")
    reminders.scan_due(today=D(2024, 11, 5))
    assert list(Reminder.objects.filter(agreement=in_force).values_list("due_date", flat=True)) == [D(2024, 11, 5)]


@pytest.mark.django_db
def test_agreements_not_in_force_or_without_end_date_get_no_expiry_reminder(drafter):
    AgreementFactory(drafted_by=drafter, status=Status.NEGOTIATION, end_date=D(2025, 4, 27))
    InForceAgreementFactory(drafted_by=drafter, end_date=None)
    InForceAgreementFactory(drafted_by=drafter, status=Status.WITHDRAWN)
    assert reminders.scan_due(today=D(2024, 10, 29)) == {"reminders": 0, "messages": 0}


@pytest.mark.django_db
def test_thresholds_come_from_the_policy(in_force, admin_user):
    reminders.reminder_policy_update(actor=admin_user, expiry_thresholds=[45, 10], expiry_repeat_days=0)
    for day in days(D(2024, 10, 1), D(2025, 4, 28)):
        reminders.scan_due(today=day)
    assert list(Reminder.objects.order_by("due_date").values_list("threshold", "due_date")) == [
        (45, D(2025, 3, 13)), (10, D(2025, 4, 17))]
    assert AuditEvent.objects.filter(action="reminder_policy_update", actor=admin_user).count() == 1


@pytest.mark.django_db
def test_only_an_administrator_changes_the_policy(drafter):
    with pytest.raises(PermissionDeniedError):
        reminders.reminder_policy_update(actor=drafter, expiry_thresholds=[1])
    assert not ReminderPolicy.objects.filter(expiry_thresholds=[1]).exists()


# --- The other deadlines --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_tacit_renewal_notice_deadline_has_its_own_reminders(drafter, director):
    # given a tacit renewal clause with 90 days' notice: the last day to give notice is 27/01/2025
    agreement = InForceAgreementFactory(drafted_by=drafter, director=director, end_date=D(2025, 4, 27),
                                        renewal_clause=RenewalClause.TACIT, renewal_notice_days=90)
    for day in days(D(2024, 10, 1), D(2025, 4, 28)):
        reminders.scan_due(today=day)
    notice = list(Reminder.objects.filter(agreement=agreement, kind=ReminderKind.NON_RENEWAL_NOTICE)
                  .order_by("due_date").values_list("threshold", "due_date", "deadline"))
    assert notice == [(60, D(2024, 11, 28), D(2025, 1, 27)), (30, D(2024, 12, 28), D(2025, 1, 27)),
                      (7, D(2025, 1, 20), D(2025, 1, 27)), (0, D(2025, 1, 27), D(2025, 1, 27))]
    message = OutboxMessage.objects.filter(reminder__kind=ReminderKind.NON_RENEWAL_NOTICE, to=[drafter.email]).first()
    assert "disdetta" in message.subject and "27/01/2025" in message.subject


@pytest.mark.django_db
def test_consultation_deadline_reminds_the_referents_of_silent_dgs_only(
        drafter, director, dg_agri, dg_crli, referent_agri, referent_crli):
    # given a consultation due on 20/03/2025: DG AGRI still silent, DG CRLI already answered
    agreement = AgreementFactory(drafted_by=drafter, director=director, status=Status.CONSULTATION,
                                 consultation_round=1, dgs=[dg_agri, dg_crli])
    Opinion.objects.create(agreement=agreement, dg=dg_agri, round=1, due_date=D(2025, 3, 20))
    Opinion.objects.create(agreement=agreement, dg=dg_crli, round=1, due_date=D(2025, 3, 20), kind="favourable")
    # when the scan runs every day (default: 3 days before)
    for day in days(D(2025, 3, 1), D(2025, 3, 25)):
        reminders.scan_due(today=day)
    # then one reminder on 17/03, to DG AGRI's referent only, saying why
    reminder = Reminder.objects.get(agreement=agreement)
    assert (reminder.kind, reminder.due_date, reminder.deadline) == (
        ReminderKind.CONSULTATION_DEADLINE, D(2025, 3, 17), D(2025, 3, 20))
    message = reminder.messages.get()
    assert message.to == [referent_agri.email]
    assert "referente della DG AGRI" in message.body_text
    assert "silenzio-assenso" in message.body_text


@pytest.mark.django_db
def test_end_of_the_30_day_wait_reminds_the_drafter(drafter, director):
    agreement = AgreementFactory(drafted_by=drafter, director=director, status=Status.OBSERVATIONS,
                                 notice_government_date=D(2025, 2, 3))
    for day in days(D(2025, 2, 1), D(2025, 3, 15)):
        reminders.scan_due(today=day)
    reminder = Reminder.objects.get(agreement=agreement)
    assert (reminder.kind, reminder.due_date, reminder.deadline) == (
        ReminderKind.OBSERVATIONS_END, D(2025, 3, 2), D(2025, 3, 5))
    assert [m.to for m in reminder.messages.all()] == [[drafter.email]]
    assert "03/02/2025" in reminder.messages.get().body_text


@pytest.mark.django_db
def test_ratification_pending_after_the_configured_days(drafter, director):
    agreement = AgreementFactory(drafted_by=drafter, director=director, status=Status.RATIFICATION,
                                 signed_on=D(2025, 1, 10))
    for day in days(D(2025, 1, 10), D(2025, 4, 30)):
        reminders.scan_due(today=day)
    reminder = Reminder.objects.get(agreement=agreement)
    assert (reminder.kind, reminder.threshold, reminder.due_date) == (
        ReminderKind.RATIFICATION_PENDING, 60, D(2025, 3, 11))
    assert sorted(m.to[0] for m in reminder.messages.all()) == [director.email, drafter.email]


@pytest.mark.django_db
def test_idle_task_reminds_the_holder_then_the_director(drafter, director, dg_agri):
    from tests.support.factories import CounterpartFactory
    from tests.support.lifecycle import through_start
    from workflows.services import proposal_start

    # given a proposal opened on 3/2/2025: the negotiation task sits in the drafter's inbox
    with time_machine.travel(datetime.datetime(2025, 2, 3, 9, 0), tick=False):
        agreement = proposal_start(actor=drafter, title="Intesa con l'Assia", kind="intesa",
                                   counterpart=CounterpartFactory(name="Assia"), director=director)
        through_start(agreement, director)  # the informativa to the Assembly is out on the same day
    # when nobody touches it and the scan runs every day
    for day in days(D(2025, 2, 3), D(2025, 3, 10)):
        reminders.scan_due(today=day)
    # then after 10 days the holder is reminded, after 20 the director
    rows = list(Reminder.objects.filter(agreement=agreement, kind=ReminderKind.IDLE_TASK).order_by("due_date"))
    assert [(r.threshold, r.due_date) for r in rows] == [(10, D(2025, 2, 13)), (20, D(2025, 2, 23))]
    assert [m.to for m in rows[0].messages.all()] == [[drafter.email]]
    assert [m.to for m in rows[1].messages.all()] == [[director.email]]
    assert "Negoziazione testo" in rows[0].messages.get().body_text


# --- Once, whatever happens ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_scans_create_each_reminder_once(drafter, director):
    # given 30 agreements whose 90-day threshold is today
    today = D(2025, 1, 27)
    for _ in range(30):
        InForceAgreementFactory(drafted_by=drafter, director=director, end_date=today + datetime.timedelta(days=90))
    barrier = threading.Barrier(4)
    results, errors = [], []

    def scan():
        try:
            barrier.wait()
            results.append(reminders.scan_due(today=today))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    # when four scans run at the same moment, each in its own transaction
    threads = [threading.Thread(target=scan) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then there are exactly 30 reminders and 60 e-mails, and the scans' counts add up to that
    assert errors == []
    assert Reminder.objects.count() == 30
    assert OutboxMessage.objects.count() == 60
    assert sum(r["reminders"] for r in results) == 30
    assert sum(r["messages"] for r in results) == 60


@pytest.mark.django_db
def test_beat_stopped_for_three_days_catches_up_each_reminder_once(drafter, director, admin_user):
    from worker.tasks import scan_reminders

    reminders.reminder_policy_update(actor=admin_user, expiry_thresholds=[60], expiry_repeat_days=0)
    # given agreements whose reminders fall on each day of a three-day outage and the day after
    start = D(2025, 1, 6)
    due_days = [start + datetime.timedelta(days=n) for n in range(5)]  # 6/1 (before), 7-9/1 (outage), 10/1
    agreements = [InForceAgreementFactory(drafted_by=drafter, director=director,
                                          end_date=day + datetime.timedelta(days=60)) for day in due_days]

    def hourly(day):
        for hour in range(24):
            with time_machine.travel(datetime.datetime(day.year, day.month, day.day, hour, 5, tzinfo=ROME),
                                     tick=False):
                scan_reminders()

    # when the beat runs hourly on 6/1, is down 7/1-9/1, and runs hourly again on 10/1
    hourly(due_days[0])
    assert Reminder.objects.count() == 1
    hourly(due_days[4])
    # then each reminder that fell due meanwhile was created once, on its own due date
    rows = sorted(Reminder.objects.values_list("agreement_id", "due_date"))
    assert rows == sorted((a.pk, day) for a, day in zip(agreements, due_days, strict=True))
    assert OutboxMessage.objects.count() == 10
    assert Heartbeat.objects.get(name="scan_reminders").detail == {"reminders": 0, "messages": 0}


@pytest.mark.django_db
def test_an_outage_longer_than_the_catch_up_window_is_not_replayed(drafter, in_force):
    # the 180-day reminder was due on 29/10/2024; a scan 10 days later (window 7 days) does not send it late,
    # the next weekly repeat comes on its day
    reminders.scan_due(today=D(2024, 11, 8))
    assert list(Reminder.objects.values_list("due_date", flat=True)) == [D(2024, 11, 5)]


@pytest.mark.django_db
@pytest.mark.parametrize("transition", [D(2025, 3, 30), D(2025, 10, 26)], ids=["march", "october"])
def test_daylight_saving_change_neither_skips_nor_doubles(drafter, director, admin_user, transition):
    reminders.reminder_policy_update(actor=admin_user, expiry_thresholds=[30], expiry_repeat_days=0)
    # given reminders due the day before, the day of and the day after the clock change
    due = [transition + datetime.timedelta(days=n) for n in (-1, 0, 1)]
    made = [InForceAgreementFactory(drafted_by=drafter, director=director,
                                    end_date=d + datetime.timedelta(days=30)) for d in due]
    # when the beat runs every hour (UTC hours: 23 or 25 local hours on the day of the change)
    moment = datetime.datetime.combine(due[0] - datetime.timedelta(days=1), datetime.time(20, 5),
                                       tzinfo=datetime.UTC)
    while moment.date() <= due[-1] + datetime.timedelta(days=1):
        with time_machine.travel(moment, tick=False):
            reminders.scan_due(today=reminders.dates.today())
        moment += datetime.timedelta(hours=1)
    # then each is created exactly once, on its own date
    assert sorted(Reminder.objects.values_list("agreement_id", "due_date")) == [
        (a.pk, d) for a, d in zip(made, due, strict=True)]


@pytest.mark.django_db
def test_scan_query_count_does_not_grow_with_the_number_of_agreements(drafter, director, dg_agri, referent_agri):
    policy = ReminderPolicy.current()

    def make(n, end):
        for _ in range(n):
            InForceAgreementFactory(drafted_by=drafter, director=director, end_date=end)
            a = AgreementFactory(drafted_by=drafter, director=director, status=Status.CONSULTATION,
                                 consultation_round=1, dgs=[dg_agri])
            Opinion.objects.create(agreement=a, dg=dg_agri, round=1,
                                   due_date=end - datetime.timedelta(days=180 - policy.consultation_days_before))

    day = D(2025, 1, 10)
    make(10, day + datetime.timedelta(days=180))
    with CaptureQueriesContext(connection) as small:
        assert reminders.scan_due(today=day)["reminders"] == 20
    day2 = day + datetime.timedelta(days=1)
    make(200, day2 + datetime.timedelta(days=180))
    with CaptureQueriesContext(connection) as large:
        assert reminders.scan_due(today=day2)["reminders"] == 400
    assert len(small.captured_queries) == len(large.captured_queries)
    assert len(large.captured_queries) <= 16


# --- The e-mail ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reminder_email_is_italian_with_text_html_link_and_reason(in_force, drafter, director, settings):
    settings.SITE_URL = "https://intese.regione.example.it"
    reminders.scan_due(today=D(2025, 1, 27))
    to_director = OutboxMessage.objects.get(to=[director.email])
    to_drafter = OutboxMessage.objects.get(to=[drafter.email])
    assert to_director.subject == f"{in_force.reference}: l'accordo scade il 27/04/2025 (tra 90 giorni)"
    link = f"https://intese.regione.example.it/accordi/{in_force.reference}/"
    for message in (to_director, to_drafter):
        assert link in message.body_text and f'href="{link}"' in message.body_html
        assert "scade il 27/04/2025" in message.body_text
        assert in_force.counterpart.name in message.body_text
        assert message.body_html.startswith("<!doctype html>")
    assert "come dirigente responsabile" in to_director.body_text
    assert "come redattore" in to_drafter.body_text and "dirigente" not in to_drafter.body_text.split("--")[0][-80:]
    assert to_director.message_id != to_drafter.message_id


@pytest.mark.django_db
def test_users_without_email_or_inactive_get_nothing(in_force, drafter, director):
    director.is_active = False
    director.save()
    reminders.scan_due(today=D(2025, 1, 27))
    assert [m.to for m in OutboxMessage.objects.all()] == [[drafter.email]]


# --- Command line ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reminders_due_lists_without_writing(in_force, drafter, director):
    out = io.StringIO()
    call_command("reminders_due", "--on", "2025-01-27", "--format", "json", stdout=out)
    listed = json.loads(out.getvalue())
    assert listed == [{
        "reference": in_force.reference, "counterpart": in_force.counterpart.name, "kind": "expiry",
        "threshold": 90, "due_date": "2025-01-27", "deadline": "2025-04-27",
        "recipients": [drafter.email, director.email],
    }]
    assert not Reminder.objects.exists() and not OutboxMessage.objects.exists()
    assert not ReminderPolicy.objects.exists() and not AuditEvent.objects.filter(action="reminder_create").exists()
    # and once the scan made it, the listing no longer shows it
    reminders.scan_due(today=D(2025, 1, 27))
    out = io.StringIO()
    call_command("reminders_due", "--on", "2025-01-27", "--format", "json", stdout=out)
    assert json.loads(out.getvalue()) == []


@pytest.mark.django_db
def test_reminders_due_refuses_a_bad_date():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="Data non valida"):
        call_command("reminders_due", "--on", "27/01/2025")


@pytest.mark.django_db
def test_scan_reminders_command_runs_one_pass_and_records_the_run(in_force):
    out = io.StringIO()
    with time_machine.travel(datetime.datetime(2025, 1, 27, 9, 0), tick=False):
        call_command("scan_reminders", stdout=out)
        call_command("scan_reminders", stdout=io.StringIO())
    assert "Promemoria creati: 1; messaggi in coda: 2." in out.getvalue()
    assert Reminder.objects.count() == 1
    assert Heartbeat.objects.filter(name="scan_reminders").exists()


# --- The seed -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_seed_nouvelle_aquitaine_expiry_reminders_once_to_the_right_people_until_renewal():
    from agreements.models import Agreement
    from workflows.demo import setup_demo
    from workflows.services import renewal_start

    # given the seed loaded in September 2024: the Intesa with Nouvelle-Aquitaine in force until 1/4/2025
    with time_machine.travel(datetime.datetime(2024, 9, 2, 9, 0, tzinfo=ROME), tick=False):
        setup_demo()
    na = Agreement.objects.get(counterpart__name="Nouvelle-Aquitaine", renews__isnull=True)
    assert (na.status, na.end_date) == (Status.IN_FORCE, D(2025, 4, 1))
    # when the scan runs every day, twice, and the drafter starts the renewal on 20/11/2024
    renewal_day = D(2024, 11, 20)
    for day in days(D(2024, 9, 2), D(2025, 4, 2)):
        if day == renewal_day:
            with time_machine.travel(datetime.datetime(2024, 11, 20, 10, 0, tzinfo=ROME), tick=False):
                renewal_start(agreement=na, actor=na.drafted_by)
        reminders.scan_due(today=day)
        reminders.scan_due(today=day)
    # then the 180-day reminder (3/10/2024) and its weekly repeats until the renewal, each exactly once
    rows = list(Reminder.objects.filter(agreement=na).order_by("due_date").values_list("kind", "threshold",
                                                                                         "due_date"))
    expected = [(EXPIRY, t, d) for t, d in expected_expiry_dates(na.end_date) if d < renewal_day]
    assert rows == expected
    assert rows[0] == (EXPIRY, 180, D(2024, 10, 3)) and rows[-1] == (EXPIRY, 180, D(2024, 11, 14))
    # to the drafter and the director of the seed, one e-mail each per reminder
    sent_to = sorted(m.to[0] for m in OutboxMessage.objects.filter(agreement=na))
    assert sent_to == sorted(["redattore@regione.example.it", "dirigente@regione.example.it"] * len(expected))
    assert not OutboxMessage.objects.filter(agreement=na, to__contains=["referente-agri@regione.example.it"]).exists()


def test_upcoming_reminders_of_a_consultation_are_the_same_from_the_opinions_in_hand_without_a_query(
        drafter, director, dg_agri, dg_crli):
    # given a second consultation round: DG AGRI pending until 20/03, DG CRLI pending until 27/03, an older round
    from agreements.reminders.selectors import upcoming_for

    agreement = AgreementFactory(drafted_by=drafter, director=director, status=Status.CONSULTATION,
                                 consultation_round=2, dgs=[dg_agri, dg_crli])
    Opinion.objects.create(agreement=agreement, dg=dg_agri, round=2, due_date=D(2025, 3, 20))
    Opinion.objects.create(agreement=agreement, dg=dg_crli, round=2, due_date=D(2025, 3, 27))
    Opinion.objects.create(agreement=agreement, dg=dg_crli, round=1, due_date=D(2025, 2, 10))
    Opinion.objects.create(agreement=agreement, dg=dg_agri, round=1, due_date=D(2025, 2, 12), kind="favourable")
    read = upcoming_for(agreement, today=D(2025, 3, 1))
    # when the caller passes the opinions it has (the agreement page), with the policy already read
    opinions = list(agreement.opinions.all())
    policy = reminders.policy_for_reading()
    with CaptureQueriesContext(connection) as ctx:
        in_hand = upcoming_for(agreement, today=D(2025, 3, 1), opinions=opinions, policy=policy)
    # then the same reminders, of the current round's pending opinions only, and no query
    assert in_hand == read
    assert [(r["kind"], r["due_date"]) for r in read] == [
        (ReminderKind.CONSULTATION_DEADLINE, D(2025, 3, 17)), (ReminderKind.CONSULTATION_DEADLINE, D(2025, 3, 24))]
    assert ctx.captured_queries == []
