"""The outbox relay against a real SMTP server (aiosmtpd on localhost) and the administrators' outbox page."""

import datetime

import pytest
from django.utils import timezone
from django.utils.html import escape

from agreements.common.errors import InvalidStateError, PermissionDeniedError
from agreements.models import AuditEvent, OutboxMessage
from agreements.outbox import services as outbox
from agreements.reminders import services as reminders
from tests.support.factories import InForceAgreementFactory
from tests.support.mail import free_port

State = OutboxMessage.State


def queue(key="k1", to=("dirigente@example.org",), agreement=None):
    return outbox.outbox_enqueue(key=key, to=list(to), subject="Prova: scadenza", text="Testo in chiaro",
                                 html="<p>Testo <b>HTML</b></p>", agreement=agreement)


@pytest.fixture
def t0():
    """A moment just after the messages a test queues."""
    return timezone.now() + datetime.timedelta(seconds=5)


@pytest.mark.django_db
def test_relay_delivers_text_and_html_with_the_rows_message_id(smtp_settings, smtp_server, t0):
    message = queue()
    assert outbox.relay_due(now=t0) == {"sent": 1, "more": False}
    message.refresh_from_db()
    assert message.state == State.SENT and message.attempts == 1 and message.sent_at is not None
    [received] = smtp_server.messages
    assert received["Message-ID"] == message.message_id == "<k1@intese.regione>"
    assert received["To"] == "dirigente@example.org"
    assert received["Subject"] == "Prova: scadenza"
    assert received.get_body(("plain",)).get_content().strip() == "Testo in chiaro"
    assert "<b>HTML</b>" in received.get_body(("html",)).get_content()
    # a second pass sends nothing more
    assert outbox.relay_due(now=t0 + datetime.timedelta(hours=1)) == {"more": False}
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db
def test_temporary_451_is_retried_with_backoff_and_delivered_once(smtp_settings, smtp_server, t0):
    # given an SMTP server that answers 451 once, then 250
    smtp_server.handler.replies = ["451 4.3.0 Try again later"]
    message = queue()
    # when the relay runs
    assert outbox.relay_due(now=t0)["retrying"] == 1
    # then the row waits for its next attempt, with the error
    message.refresh_from_db()
    assert message.state == State.RETRYING and message.attempts == 1
    assert message.next_attempt_at == t0 + outbox.backoff(1) == t0 + datetime.timedelta(minutes=1)
    assert "451" in message.last_error
    assert smtp_server.messages == []
    # and a pass before that time does not try again
    assert outbox.relay_due(now=t0 + datetime.timedelta(seconds=30)) == {"more": False}
    assert smtp_server.handler.data_commands == 1
    # when the time comes, it is delivered, once
    assert outbox.relay_due(now=t0 + datetime.timedelta(minutes=1))["sent"] == 1
    message.refresh_from_db()
    assert message.state == State.SENT and message.attempts == 2 and message.last_error == ""
    assert smtp_server.handler.message_ids() == {message.message_id: 1}


@pytest.mark.django_db
def test_permanent_550_fails_at_once_and_is_not_tried_again(smtp_settings, smtp_server, t0):
    smtp_server.handler.replies = ["550 5.1.1 Mailbox unavailable"]
    message = queue()
    assert outbox.relay_due(now=t0)["failed"] == 1
    message.refresh_from_db()
    assert message.state == State.FAILED and message.attempts == 1 and "550" in message.last_error
    for hours in (1, 24, 24 * 30):
        outbox.relay_due(now=t0 + datetime.timedelta(hours=hours))
    assert smtp_server.handler.data_commands == 1
    assert smtp_server.messages == []


@pytest.mark.django_db
def test_connection_refused_is_temporary(settings, t0):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    message = queue()
    assert outbox.relay_due(now=t0)["retrying"] == 1
    message.refresh_from_db()
    assert message.state == State.RETRYING and "ConnectionRefusedError" in message.last_error


@pytest.mark.django_db
def test_too_many_temporary_failures_end_in_failed(settings, t0):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    message = queue()
    now = t0
    for _ in range(outbox.MAX_ATTEMPTS + 3):
        outbox.relay_due(now=now)
        now += outbox.BACKOFF_MAX
    message.refresh_from_db()
    assert message.state == State.FAILED and message.attempts == outbox.MAX_ATTEMPTS


@pytest.mark.django_db
def test_backoff_doubles_up_to_a_ceiling():
    assert [outbox.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert outbox.backoff(30) == outbox.BACKOFF_MAX


@pytest.mark.django_db
def test_a_row_abandoned_mid_send_is_resent_with_the_same_message_id(smtp_settings, smtp_server, t0):
    # given a relay that claimed a row, handed it to the SMTP server and died before marking it sent
    message = queue()
    claimed = outbox._claim(t0)
    assert claimed.state == State.SENDING
    from django.core.mail import get_connection

    outbox._as_email(claimed, get_connection()).send()
    # when another relay runs before the lease ends, it leaves the row alone
    assert outbox.relay_due(now=t0 + datetime.timedelta(seconds=1)) == {"more": False}
    # and after the lease, it sends it again with the same Message-ID and marks it sent
    assert outbox.relay_due(now=t0 + outbox.lease() + datetime.timedelta(seconds=1))["sent"] == 1
    message.refresh_from_db()
    assert message.state == State.SENT and message.attempts == 2
    # then the receiver holds two copies that are recognisably the same message
    assert smtp_server.handler.message_ids() == {message.message_id: 2}


@pytest.mark.django_db
def test_enqueue_is_once_per_key():
    first = queue(key="same")
    second = queue(key="same")
    assert first.pk == second.pk and OutboxMessage.objects.count() == 1


# --- Retry by an administrator ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_administrator_retries_a_failed_message_with_audit(smtp_settings, smtp_server, admin_user, t0):
    agreement = InForceAgreementFactory()
    smtp_server.handler.replies = ["550 5.7.1 Rejected"]
    message = queue(agreement=agreement)
    outbox.relay_due(now=t0)
    outbox.outbox_retry(message=message, actor=admin_user)
    message.refresh_from_db()
    assert message.state == State.QUEUED and message.attempts == 0
    event = AuditEvent.objects.get(action="outbox_retry")
    assert event.actor == admin_user and event.agreement_id == agreement.pk
    assert event.detail["message_id"] == message.message_id and "550" in event.detail["last_error"]
    outbox.relay_due()
    message.refresh_from_db()
    assert message.state == State.SENT
    assert smtp_server.handler.message_ids() == {message.message_id: 1}


@pytest.mark.django_db
def test_only_administrators_retry_and_only_failed_messages(drafter, admin_user):
    message = queue()
    with pytest.raises(PermissionDeniedError):
        outbox.outbox_retry(message=message, actor=drafter)
    with pytest.raises(InvalidStateError):
        outbox.outbox_retry(message=message, actor=admin_user)
    assert not AuditEvent.objects.filter(action="outbox_retry").exists()


# --- The outbox page -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_outbox_page_shows_failed_incident_with_error_and_retries_on_post(
        client, smtp_settings, smtp_server, admin_user, t0):
    smtp_server.handler.replies = ["550 5.1.1 Mailbox unavailable"]
    failed = queue(key="failed")
    outbox.relay_due(now=t0)
    sent = queue(key="sent")
    outbox.relay_due(now=t0)
    client.force_login(admin_user)
    # the filter shows the failed one with its error and a retry button, not the sent one
    page = client.get("/promemoria/outbox/?stato=failed")
    assert page.status_code == 200
    html = page.content.decode()
    assert escape(failed.message_id) in html and "550 5.1.1 Mailbox unavailable" in html
    assert escape(sent.message_id) not in html
    assert f'action="/promemoria/outbox/{failed.pk}/ritenta/"' in html and "csrfmiddlewaretoken" in html
    # retrying by POST queues it again
    response = client.post(f"/promemoria/outbox/{failed.pk}/ritenta/", {"next": "/promemoria/outbox/"})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.state == State.QUEUED


@pytest.mark.django_db
def test_outbox_page_and_retry_are_for_administrators_only(client, drafter, t0):
    message = queue()
    message.state = State.FAILED
    message.save()
    client.force_login(drafter)
    assert client.get("/promemoria/outbox/").status_code == 403
    assert client.post(f"/promemoria/outbox/{message.pk}/ritenta/").status_code == 403
    message.refresh_from_db()
    assert message.state == State.FAILED
    client.logout()
    assert client.get("/promemoria/outbox/").status_code == 302  # to the login page


@pytest.mark.django_db
def test_retry_needs_post(client, admin_user):
    message = queue()
    client.force_login(admin_user)
    assert client.get(f"/promemoria/outbox/{message.pk}/ritenta/").status_code == 405


@pytest.mark.django_db
def test_reminder_mail_goes_through_the_relay_in_italian(smtp_settings, smtp_server, drafter, director):
    agreement = InForceAgreementFactory(drafted_by=drafter, director=director, end_date=datetime.date(2025, 4, 27))
    reminders.scan_due(today=datetime.date(2025, 3, 28))
    outbox.relay_due()
    [to_director] = smtp_server.handler.to(director.email)
    assert to_director["Subject"] == f"{agreement.reference}: l'accordo scade il 27/04/2025 (tra 30 giorni)"
    text = to_director.get_body(("plain",)).get_content()
    html = to_director.get_body(("html",)).get_content()
    assert f"/accordi/{agreement.reference}/" in text and f"/accordi/{agreement.reference}/" in html
    assert "Ricevi questo messaggio come dirigente responsabile dell'accordo." in text


@pytest.mark.django_db
def test_a_message_that_killed_its_relay_too_often_becomes_an_incident(smtp_settings, smtp_server, t0):
    # given a row left `sending` by relays that died MAX_ATTEMPTS times, its lease over
    message = queue()
    OutboxMessage.objects.filter(pk=message.pk).update(state=State.SENDING, attempts=outbox.MAX_ATTEMPTS,
                                                       next_attempt_at=t0 - datetime.timedelta(minutes=1))
    # when the relay runs, it is marked failed and not sent again
    outbox.relay_due(now=t0)
    message.refresh_from_db()
    assert message.state == State.FAILED and "interrotto" in message.last_error
    assert smtp_server.handler.data_commands == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_relays_never_send_a_row_twice(smtp_settings, smtp_server, t0):
    import threading

    from django.db import connection

    for i in range(60):
        queue(key=f"c{i}")
    barrier = threading.Barrier(3)

    def relay():
        try:
            barrier.wait()
            outbox.relay_due(now=t0)
        finally:
            connection.close()

    threads = [threading.Thread(target=relay) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert OutboxMessage.objects.filter(state=State.SENT).count() == 60
    assert len(smtp_server.handler.message_ids()) == 60
    assert set(smtp_server.handler.message_ids().values()) == {1}


@pytest.mark.django_db
def test_an_smtp_server_that_never_answers_is_a_temporary_timeout(settings, t0):
    from tests.support.mail import HalfOpenBroker

    silent = HalfOpenBroker()  # accepts TCP, never says a word: no SMTP greeting
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", silent.port, 1
        message = queue()
        assert outbox.relay_due(now=t0)["retrying"] == 1
        message.refresh_from_db()
        assert message.state == State.RETRYING and "timed out" in message.last_error.lower()
    finally:
        silent.close()
