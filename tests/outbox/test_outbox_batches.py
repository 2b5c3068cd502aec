"""The relay's batches against a real SMTP server (aiosmtpd on localhost): many messages over one SMTP session, a
message refused inside a batch retried alone, a broken session reopened, and rows claimed by a relay whose database
session ended taken at once."""

import datetime

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from agreements.models import OutboxMessage
from agreements.outbox import services as outbox

State = OutboxMessage.State


def queue_many(n, prefix="b"):
    return [outbox.outbox_enqueue(key=f"{prefix}{i}", to=[f"utente{i}@example.org"], subject=f"Avviso {i}",
                                  text="Testo in chiaro", html="<p>Testo</p>") for i in range(n)]


@pytest.fixture
def t0():
    return timezone.now() + datetime.timedelta(seconds=5)


@pytest.fixture
def batches_of_10(settings):
    settings.OUTBOX_RELAY_BATCH_SIZE = 10
    return 10


def states():
    return dict(OutboxMessage.objects.values_list("message_id", "state"))


def advisory_locks_held() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_three_batches_go_over_one_smtp_session(smtp_settings, smtp_server, batches_of_10, t0,
                                                django_assert_max_num_queries):
    # given 25 queued messages and batches of 10
    messages = queue_many(25)
    # when one relay pass runs: one statement per message, a few per batch
    with django_assert_max_num_queries(25 + 3 * 4 + 4):
        assert outbox.relay_due(now=t0) == {"sent": 25, "more": False}
    # then all 25 arrived, once each, over a single SMTP session
    assert smtp_server.handler.sessions() == 1
    assert smtp_server.handler.message_ids() == {m.message_id: 1 for m in messages}
    assert set(states().values()) == {State.SENT}
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {1}
    # and the relay holds no lock on any row afterwards
    assert advisory_locks_held() == 0


@pytest.mark.django_db
def test_a_limit_inside_a_batch_leaves_the_rest_queued(smtp_settings, smtp_server, batches_of_10, t0):
    queue_many(15)
    assert outbox.relay_due(now=t0, limit=12) == {"sent": 12, "more": True}
    assert sorted(states().values()) == [State.QUEUED] * 3 + [State.SENT] * 12
    assert advisory_locks_held() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("reply", "outcome"), [("451 4.3.0 Try again later", State.RETRYING),
                                                 ("550 5.1.1 Mailbox unavailable", State.FAILED)])
def test_a_message_refused_inside_a_batch_is_retried_alone(smtp_settings, smtp_server, batches_of_10, t0,
                                                           reply, outcome):
    # given 5 messages in one batch, the third refused by the server
    messages = queue_many(5)
    third = messages[2]
    smtp_server.handler.replies = ["250 OK", "250 OK", reply]
    # when the relay runs
    result = outbox.relay_due(now=t0)
    # then the other four are sent once, the third is retrying (or failed) with the server's answer
    assert result == {"sent": 4, outcome: 1, "more": False}
    assert states() == {m.message_id: (outcome if m == third else State.SENT) for m in messages}
    third.refresh_from_db()
    assert third.attempts == 1 and reply[:3] in third.last_error
    assert smtp_server.handler.message_ids() == {m.message_id: 1 for m in messages if m != third}
    # over the same session: a refused message does not break it
    assert smtp_server.handler.data_commands == 5 and smtp_server.handler.sessions() == 1
    # when the relay runs again after the backoff, only the third is tried again, and nothing is sent twice
    outbox.relay_due(now=t0 + outbox.backoff(1))
    expected_tries = 6 if outcome == State.RETRYING else 5
    assert smtp_server.handler.data_commands == expected_tries
    if outcome == State.RETRYING:
        assert set(states().values()) == {State.SENT}
    assert set(smtp_server.handler.message_ids().values()) == {1}


@pytest.mark.django_db
def test_a_closing_session_inside_a_batch_is_reopened_for_the_next_message(smtp_settings, smtp_server,
                                                                           batches_of_10, t0):
    # given 4 messages, the server answering the second one "421 closing channel"
    messages = queue_many(4)
    smtp_server.handler.replies = ["250 OK", "421 4.3.2 Service shutting down"]
    # when the relay runs
    assert outbox.relay_due(now=t0) == {"sent": 3, "retrying": 1, "more": False}
    # then the second waits for its retry, the others arrived once, the last two over a new session
    assert states()[messages[1].message_id] == State.RETRYING
    assert smtp_server.handler.message_ids() == {m.message_id: 1 for m in messages if m != messages[1]}
    assert smtp_server.handler.sessions() == 2


@pytest.mark.django_db(transaction=True)
def test_rows_claimed_by_a_relay_whose_session_ended_are_taken_at_once(smtp_settings, smtp_server,
                                                                       batches_of_10, t0):
    # given 5 queued messages, 3 of them in the batch of another relay (its database session holds their locks)
    messages = queue_many(5)
    held = messages[:3]
    other = psycopg.connect(**_psycopg_params(), autocommit=True)
    try:
        for message in held:
            other.execute("SELECT pg_advisory_lock(%s, mod(%s, 2147483647)::int4)", [outbox._LOCK_SPACE, message.pk])
        # when this relay runs, it sends only the rows nobody holds, and leaves the others queued (not sending)
        assert outbox.relay_due(now=t0) == {"sent": 2, "more": False}
        assert {mid for mid, state in states().items() if state == State.QUEUED} == {m.message_id for m in held}
    finally:
        # when the other relay's process dies, its session and its locks go with it
        other.close()
    # then the next pass sends the held rows at once (no lease to wait for), each message once
    assert outbox.relay_due(now=t0) == {"sent": 3, "more": False}
    assert smtp_server.handler.message_ids() == {m.message_id: 1 for m in messages}


def _psycopg_params() -> dict:
    s = connection.settings_dict
    return {"dbname": s["NAME"], "user": s["USER"] or "postgres", "password": s["PASSWORD"] or None,
            "host": s["HOST"] or "127.0.0.1", "port": s["PORT"] or 5432}
