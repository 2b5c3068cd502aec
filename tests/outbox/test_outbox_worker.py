"""Delivery through a real Celery worker process on Redis, with the faults the product must survive: the worker
killed with SIGKILL mid-relay, the broker stopped or half-open. The SMTP server is aiosmtpd on localhost and
counts what it received by Message-ID. The outage tests stop only a redis-server they started themselves."""

import datetime
import os
import time

import pytest
from django.db import transaction

from agreements.common import dates
from agreements.models import Heartbeat, OutboxMessage, Reminder, Status
from agreements.outbox import services as outbox
from agreements.procedure import services as procedure
from agreements.procedure.services import Decision
from agreements.records import services
from agreements.reminders import services as reminders
from tests.support import mail as reminder_support
from tests.support.factories import AgreementFactory, InForceAgreementFactory
from tests.support.mail import CeleryWorker, HalfOpenBroker, RedisServer, purge_broker, send_task, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
State = OutboxMessage.State


@pytest.fixture
def broker_url():
    url = os.environ["CELERY_BROKER_URL"]
    purge_broker(url)
    return url


@pytest.fixture
def fresh_kicks():
    """Each test starts with the publisher's "broker down" pause cleared."""
    outbox._kick.update(last=0.0, broker_down_until=0.0)
    yield
    outbox._kick.update(last=0.0, broker_down_until=0.0)


@pytest.fixture
def worker_factory(smtp_server):
    started = []

    def start(broker_url, concurrency=2, name="w"):
        worker = CeleryWorker(broker_url=broker_url, smtp_port=smtp_server.port, concurrency=concurrency, name=name)
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()


def due_today(n, drafter, director=None):
    """n agreements whose 30-day expiry reminder is due today (Europe/Rome)."""
    end = dates.today() + datetime.timedelta(days=30)
    return [InForceAgreementFactory(drafted_by=drafter, director=director, end_date=end) for _ in range(n)]


def all_sent():
    return not OutboxMessage.objects.exclude(state=State.SENT).exists()


def test_beat_task_names_are_registered_tasks():
    from config.celery import app

    app.loader.import_default_modules()
    assert {entry["task"] for entry in app.conf.beat_schedule.values()} == {
        "intese.scan_reminders", "intese.relay_outbox", "intese.fire_workflow_timers", "intese.send_digests",
        "intese.search_refresh"}
    assert all(entry["task"] in app.tasks for entry in app.conf.beat_schedule.values())


def test_worker_scans_and_delivers_each_reminder_once(broker_url, fresh_kicks, worker_factory, smtp_server,
                                                       drafter, director):
    # given 10 agreements due for a reminder today and a worker on Redis
    due_today(10, drafter, director)
    worker_factory(broker_url)
    # when the beat's scan task runs twice
    send_task("intese.scan_reminders", broker_url)
    send_task("intese.scan_reminders", broker_url)
    # then 10 reminders, 20 e-mails, each received once (the scan asks for a relay after its commit)
    wait_for(lambda: len(smtp_server.messages) >= 20 and all_sent(), 60, what="20 e-mails delivered")
    time.sleep(1)
    assert Reminder.objects.count() == 10
    ids = smtp_server.handler.message_ids()
    assert len(ids) == 20 and set(ids.values()) == {1}
    assert ids.keys() == set(OutboxMessage.objects.values_list("message_id", flat=True))
    assert Heartbeat.objects.filter(name="scan_reminders").exists()
    wait_for(lambda: Heartbeat.objects.filter(name="relay_outbox").exists(), 10, what="relay heartbeat")


def test_worker_fires_workflow_timers_and_records_it(broker_url, worker_factory):
    # given an agreement in force whose end date passed yesterday (an express renewal clause: it must expire)
    ended = InForceAgreementFactory(end_date=dates.today() - datetime.timedelta(days=1))
    worker_factory(broker_url, concurrency=1)
    # when the worker runs the timers task
    send_task("intese.fire_workflow_timers", broker_url)
    beat = wait_for(lambda: Heartbeat.objects.filter(name="fire_workflow_timers").first(), 30, what="timers heartbeat")
    # then the transition happened in the worker, once, and the heartbeat counts it
    ended.refresh_from_db()
    assert ended.status == Status.EXPIRED
    assert beat.detail["fired"] >= 1
    assert ended.audit_events.filter(action="agreement_expire").count() == 1


def test_worker_killed_mid_relay_every_message_delivered_and_none_lost(broker_url, fresh_kicks, worker_factory,
                                                                       smtp_server, drafter):
    # given 200 reminders (one e-mail each) and an SMTP server that takes a moment per recipient
    due_today(200, drafter)
    reminders.scan_due(today=dates.today())
    rows = set(OutboxMessage.objects.values_list("message_id", flat=True))
    assert len(rows) == 200
    smtp_server.handler.rcpt_delay = 0.03
    # when a worker is relaying (two pool processes) ...
    first = worker_factory(broker_url, name="first")
    send_task("intese.relay_outbox", broker_url)
    send_task("intese.relay_outbox", broker_url)
    wait_for(lambda: len(smtp_server.messages) >= 60, 60, what="60 e-mails before the kill")
    # ... and is killed with SIGKILL in the middle
    first.kill()
    received_at_kill = len(smtp_server.messages)
    in_flight = set(OutboxMessage.objects.filter(state=State.SENDING).values_list("message_id", flat=True))
    assert received_at_kill < 200 and len(in_flight) <= 2
    # then a new worker, driven by the beat's relay every few seconds, delivers the rest
    smtp_server.handler.rcpt_delay = 0
    worker_factory(broker_url, name="second")
    deadline = time.monotonic() + 90
    while not all_sent() and time.monotonic() < deadline:
        send_task("intese.relay_outbox", broker_url)
        time.sleep(3)
    assert all_sent(), OutboxMessage.objects.exclude(state=State.SENT).values("state", "last_error")[:5]
    # every message arrived; a copy can only be one that was in flight at the kill, with the same Message-ID
    ids = smtp_server.handler.message_ids()
    assert set(ids) == rows
    duplicated = {mid for mid, n in ids.items() if n > 1}
    assert duplicated <= in_flight and all(ids[mid] == 2 for mid in duplicated)
    print(f"received at kill: {received_at_kill}; in flight: {len(in_flight)}; duplicated: {len(duplicated)}")


def test_redis_stopped_saves_and_approvals_work_and_the_mail_follows(fresh_kicks, worker_factory, smtp_server,
                                                                     monkeypatch, drafter, director, client,
                                                                     admin_user):
    # given our own redis-server as the broker of the web side and of a worker
    redis = RedisServer().start()
    servers = [redis]
    try:
        monkeypatch.setenv("CELERY_BROKER_WRITE_URL", redis.url)
        worker_factory(redis.url, concurrency=1)
        editable = AgreementFactory(drafted_by=drafter, director=director, status=Status.NEGOTIATION)
        to_approve = [AgreementFactory(drafted_by=drafter, director=director, status=Status.APPROVAL)
                      for _ in range(20)]
        due_today(20, drafter, director)
        # when Redis stops
        redis.stop()
        timings = []

        def timed(call):
            started = time.monotonic()
            result = call()
            timings.append(time.monotonic() - started)
            return result

        # then 200 of 200 saves succeed, each quickly
        version = editable.version
        for i in range(200):
            saved = timed(lambda i=i, v=version: services.agreement_update(
                agreement=editable, actor=drafter, expected_version=v, title=f"Intesa rivista {i}"))
            version = saved.version
        # and approvals succeed
        for agreement in to_approve:
            timed(lambda a=agreement: procedure.agreement_decide(agreement=a, actor=director,
                                                                decision=Decision.APPROVE))
        # and writes that queue e-mail succeed too: the e-mail waits in the outbox
        timed(lambda: reminders.scan_due(today=dates.today()))
        for i in range(10):
            with transaction.atomic():
                timed(lambda i=i: outbox.outbox_enqueue(key=f"outage-{i}", to=[director.email],
                                                        subject=f"Avviso {i}", text="Testo"))
        assert max(timings) < 5, max(timings)
        assert len(timings) == 231
        editable.refresh_from_db()
        assert editable.title == "Intesa rivista 199"
        assert all(a.status == Status.GIUNTA for a in type(editable).objects.filter(pk__in=[x.pk for x in to_approve]))
        # 20 reminders + 10 notices + one phase-change e-mail to the drafter per approval
        assert OutboxMessage.objects.filter(state=State.QUEUED).count() == 70
        assert smtp_server.messages == []

        # a half-open broker (accepts, never answers) does not hold a web request for more than 5 seconds
        hanging = HalfOpenBroker()
        try:
            monkeypatch.setenv("CELERY_BROKER_WRITE_URL", hanging.url)
            outbox._kick.update(last=0.0, broker_down_until=0.0)
            failed = OutboxMessage.objects.first()
            failed.state = State.FAILED
            failed.save()
            client.force_login(admin_user)
            started = time.monotonic()
            response = client.post(f"/promemoria/outbox/{failed.pk}/ritenta/")
            elapsed = time.monotonic() - started
            assert response.status_code == 302 and elapsed < 5, elapsed
            failed.refresh_from_db()
            assert failed.state == State.QUEUED
        finally:
            hanging.close()

        # when Redis is back, the beat's relay sends everything that waited
        monkeypatch.setenv("CELERY_BROKER_WRITE_URL", redis.url)
        servers.append(RedisServer(port=redis.port).start())
        back_deadline = time.monotonic() + 90
        while not all_sent() and time.monotonic() < back_deadline:
            try:
                send_task("intese.relay_outbox", redis.url)
            except Exception:  # noqa: BLE001 - the worker may still be reconnecting
                pass
            time.sleep(3)
        assert all_sent()
        ids = smtp_server.handler.message_ids()
        assert len(ids) == 70 and set(ids.values()) == {1}
    finally:
        for server in servers:
            server.stop()


def test_web_side_never_waits_on_an_unreachable_broker(fresh_kicks, monkeypatch, director):
    monkeypatch.setenv("CELERY_BROKER_WRITE_URL", f"redis://127.0.0.1:{reminder_support.free_port()}/0")
    started = time.monotonic()
    for i in range(50):
        with transaction.atomic():
            outbox.outbox_enqueue(key=f"refused-{i}", to=[director.email], subject="Avviso", text="Testo")
    assert time.monotonic() - started < 5
    assert OutboxMessage.objects.filter(state=State.QUEUED).count() == 50
    # the rows wait for the beat's relay; the publisher pauses instead of trying the broker 50 times
    assert outbox._kick["broker_down_until"] > time.monotonic()
