"""The e-mail outbox: a message is a row written in the caller's transaction; the relay sends it.

States: queued -> sending -> sent; a temporary SMTP failure (4xx, connection refused, timeout) -> retrying with
exponential backoff; a permanent one (5xx) or too many attempts -> failed, an incident an administrator sees on
the outbox page and may retry.

Delivery is at least once, never lost. The relay claims due rows in batches (OUTBOX_RELAY_BATCH_SIZE; on
PostgreSQL with session advisory locks, so concurrent relays take different rows and a killed worker's claims end
with its database session) and sends a batch over one SMTP session. Each row is still taken on its own before it
is sent: committed as `sending` with a lease by a guarded UPDATE (the one thing that makes a row sent once,
whatever the locks), then marked sent in the statement that takes the next one. Not the whole batch as `sending`:
the outbox page shows what is really on the wire, and after a crash the rows not yet tried are taken at once
instead of after a lease. A worker killed while sending leaves its one row `sending`; when the lease runs out
another relay takes it again and resends it with the same Message-ID, so the rare duplicate (killed after the
server accepted the message and before the row was marked) is recognisable as the same message. A message the
server refuses is marked on its own (retrying or failed) and the session goes on with the next one; a broken
session is opened again for the next message.

After a commit that queued messages, `relay_soon` asks a worker to relay now. The broker may be down: the row
is the truth and the beat's relay every minute sends it anyway, so publishing fails fast and quietly and is not
tried again for a while; a web request never waits on a dead broker.
"""

import contextlib
import datetime
import functools
import logging
import smtplib
import socket
import time
from collections import Counter

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address
from django.db import connections, router, transaction
from django.db.models import Case, F, TextField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.common.audit import audit_record
from agreements.common.enqueue import RELAY_OUTBOX, send_now
from agreements.common.errors import InvalidStateError, PermissionDeniedError
from agreements.common.roles import Role, has_role
from agreements.health.services import heartbeat_record
from agreements.models import OutboxMessage

logger = logging.getLogger(__name__)
State = OutboxMessage.State

MAX_ATTEMPTS = 8
BACKOFF_BASE = datetime.timedelta(minutes=1)  # 1, 2, 4, ... minutes between attempts
BACKOFF_MAX = datetime.timedelta(hours=6)
KICK_INTERVAL = 1.0  # seconds: at most one "relay now" per process per second
BROKER_DOWN_PAUSE = 60.0  # seconds without trying the broker after it failed once


def message_id_for(key: str) -> str:
    """A stable Message-ID per outbox row, so a resend after a crash is recognisable."""
    return f"<{key}@intese.regione>"


def outbox_message(*, key: str, to: list[str], subject: str, text: str, html: str = "", agreement=None,
                   reminder=None) -> OutboxMessage:
    """The row that queues one message under `key`, not yet written (outbox_enqueue, outbox_enqueue_many)."""
    return OutboxMessage(message_id=message_id_for(key), to=list(to), subject=subject[:300], body_text=text,
                         body_html=html, agreement=agreement, reminder=reminder, next_attempt_at=timezone.now())


def outbox_enqueue(*, key: str, to: list[str], subject: str, text: str, html: str = "", agreement=None,
                   reminder=None) -> OutboxMessage:
    """Queue one message, once per key: a second call with the same key returns the existing row."""
    row = outbox_message(key=key, to=to, subject=subject, text=text, html=html, agreement=agreement,
                         reminder=reminder)
    fields = ("to", "subject", "body_text", "body_html", "agreement", "reminder", "next_attempt_at")
    message, created = OutboxMessage.objects.get_or_create(
        message_id=row.message_id, defaults={name: getattr(row, name) for name in fields})
    if created:
        relay_soon()
    return message


def outbox_enqueue_many(messages: list[OutboxMessage]) -> list[OutboxMessage]:
    """outbox_enqueue for several rows (made by outbox_message) in one statement, once per Message-ID: a message
    whose Message-ID is already queued keeps its row as it is (the conflict updates nothing but the key to itself,
    so that the row's id comes back). The relay is asked to run after the commit."""
    rows = OutboxMessage.objects.bulk_create(messages, update_conflicts=True, unique_fields=["message_id"],
                                             update_fields=["message_id"])
    relay_soon()
    return rows


# --- Asking a worker to relay now ----------------------------------------------------------------------------

_kick = {"last": 0.0, "broker_down_until": 0.0}


def relay_soon() -> None:
    """After the current transaction commits, ask a worker to relay (never inside an open transaction)."""
    transaction.on_commit(_publish_relay)


def _publish_relay() -> None:
    now = time.monotonic()
    if now < _kick["broker_down_until"] or now - _kick["last"] < KICK_INTERVAL:
        return
    _kick["last"] = now
    try:
        # No connection retries: a refused connection fails at once, a half-open broker after the socket
        # timeout (3 s), instead of kombu's default retry loop.
        with current_app.connection_for_write(transport_options={"max_retries": 0}) as connection:
            send_now(RELAY_OUTBOX, retry=False, connection=connection)
    except Exception as exc:  # noqa: BLE001 - any broker failure: the beat relays the row later
        _kick["broker_down_until"] = time.monotonic() + BROKER_DOWN_PAUSE
        logger.warning("Broker unavailable, the outbox will be relayed by the periodic task: %s", exc)


# --- The relay -----------------------------------------------------------------------------------------------

def lease() -> datetime.timedelta:
    """How long a row stays claimed by one relay: enough for one SMTP exchange (each step bounded by
    EMAIL_TIMEOUT). After it, the row counts as abandoned by a dead worker and is taken again."""
    return datetime.timedelta(seconds=3 * (getattr(settings, "EMAIL_TIMEOUT", None) or 10) + 5)


def backoff(attempts: int) -> datetime.timedelta:
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def batch_size() -> int:
    return settings.OUTBOX_RELAY_BATCH_SIZE


# A relay looks this many batches deep for rows no other relay holds, so up to this many relays share the queue
# without waiting for each other.
BATCH_WINDOW = 10
# Advisory locks of the relay: the first key says "outbox row", the second is the row's id (folded into an int4).
_LOCK_SPACE = 0x0B0C
_LOCK_BATCH_SQL = """
SELECT id FROM (
    SELECT id FROM {table}
    WHERE state IN ('queued', 'retrying', 'sending') AND next_attempt_at <= %s
    ORDER BY next_attempt_at  -- the partial index outbox_due: no sort
    LIMIT %s
) AS due
WHERE pg_try_advisory_lock(%s, mod(id, 2147483647)::int4)
LIMIT %s
"""
_UNLOCK_SQL = "SELECT pg_advisory_unlock(%s, mod(id, 2147483647)::int4) FROM unnest(%s::bigint[]) AS id"
# Taking one row of the batch: it becomes `sending` with a lease, unless another relay got to it first (sent,
# or `sending` with a lease that has not run out). The previous message of this relay is marked sent in the same
# statement: one round trip per message, with the same guard as _mark (our claim, not taken again since).
_TAKE_SQL = """{mark}UPDATE {table} SET state = 'sending', attempts = attempts + 1, next_attempt_at = %s,
       last_error = CASE WHEN state = 'sending' THEN %s ELSE last_error END
WHERE id = %s AND state IN ('queued', 'retrying', 'sending') AND next_attempt_at <= %s
RETURNING attempts
"""
_MARK_SENT_CTE = """WITH sent AS (
    UPDATE {table} SET state = 'sent', sent_at = %s, last_error = ''
    WHERE id = %s AND state = 'sending' AND attempts = %s
)
"""


def _database():
    db = connections[router.db_for_write(OutboxMessage)]
    return db, db.ops.quote_name(OutboxMessage._meta.db_table)


def _claim_batch(now: datetime.datetime, *, size: int) -> list[OutboxMessage]:
    """Up to `size` due rows for this relay, oldest due first; their rows are not written yet.

    On PostgreSQL each row comes with a session advisory lock (pg_try_advisory_lock), so concurrent relays take
    different rows without waiting for each other; the locks go with the relay's database session, so a killed
    worker holds none. The locks only share out the work: what makes a row sent once is _take's guarded UPDATE,
    which every relay runs before sending. Release the batch with _release_batch."""
    db, table = _database()
    if db.vendor != "postgresql":
        due = (OutboxMessage.objects.filter(state__in=[State.QUEUED, State.RETRYING, State.SENDING],
                                            next_attempt_at__lte=now).order_by("next_attempt_at", "id"))
        return list(due[:size])
    with db.cursor() as cursor:
        cursor.execute(_LOCK_BATCH_SQL.format(table=table), [now, size * BATCH_WINDOW, _LOCK_SPACE, size])
        ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return []
    return list(OutboxMessage.objects.filter(pk__in=ids).order_by("next_attempt_at", "id"))


def _release_batch(batch: list[OutboxMessage]) -> None:
    db, _table = _database()
    if db.vendor == "postgresql" and batch:
        with db.cursor() as cursor:
            cursor.execute(_UNLOCK_SQL, [_LOCK_SPACE, [message.pk for message in batch]])


def _take(message: OutboxMessage, now: datetime.datetime, *, sent: OutboxMessage | None = None) -> bool:
    """Commit `message` as `sending` with a lease (attempts + 1), if it is still due; False when another relay
    sent it or holds it meanwhile. `sent`, the message this relay delivered just before, is marked sent first.

    One statement, in autocommit. A `sending` row whose lease ran out was left by a relay that died mid-send: it
    is taken again (the server may have accepted it already), with a note in last_error."""
    db, table = _database()
    interrupted = _("Invio interrotto (processo terminato); nuovo invio con lo stesso Message-ID.")
    if db.vendor == "postgresql":
        mark, mark_params = "", []
        if sent is not None:
            mark, mark_params = _MARK_SENT_CTE.format(table=table), [timezone.now(), sent.pk, sent.attempts]
        with db.cursor() as cursor:
            cursor.execute(_TAKE_SQL.format(mark=mark, table=table),
                           [*mark_params, now + lease(), interrupted, message.pk, now])
            row = cursor.fetchone()
        if row is None:
            return False
        attempts = row[0]
    else:
        if sent is not None:
            _mark(sent, state=State.SENT, sent_at=timezone.now(), last_error="")
        taken = OutboxMessage.objects.filter(
            pk=message.pk, state__in=[State.QUEUED, State.RETRYING, State.SENDING], next_attempt_at__lte=now,
        ).update(state=State.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + lease(),
                 last_error=Case(When(state=State.SENDING, then=Value(str(interrupted))), default=F("last_error"),
                                 output_field=TextField()))
        if not taken:
            return False
        attempts = OutboxMessage.objects.values_list("attempts", flat=True).get(pk=message.pk)
    message.state, message.attempts = State.SENDING, attempts
    return True


def _claim(now: datetime.datetime) -> OutboxMessage | None:
    """Take the next due row, committed as `sending` with a lease; None when nothing is due. (One row at a time:
    what an administrator's tools and the tests need; the relay itself takes rows in batches.)"""
    while batch := _claim_batch(now, size=1):
        [message] = batch
        try:
            if _take(message, now):
                return message
        finally:
            _release_batch(batch)
    return None


def classify(exc: BaseException) -> tuple[bool, str]:
    """(permanent, text) for a sending error: 5xx answers are permanent; 4xx, refused connections and
    timeouts are temporary; anything unknown is retried until MAX_ATTEMPTS."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        text = "; ".join(f"{rcpt}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
                         for rcpt, (code, msg) in exc.recipients.items())
        return any(code >= 500 for code in codes), text
    if isinstance(exc, smtplib.SMTPResponseException):
        msg = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return exc.smtp_code >= 500, f"{exc.smtp_code} {msg}"
    if isinstance(exc, ConnectionRefusedError | TimeoutError | socket.timeout | smtplib.SMTPServerDisconnected
                  | ConnectionError | OSError):
        return False, f"{exc.__class__.__name__}: {exc}"
    return False, f"{exc.__class__.__name__}: {exc}"


def session_survives(exc: BaseException) -> bool:
    """Whether the SMTP session is still good after this error: the server refused this one message (sender,
    recipients or content) and smtplib reset the transaction, so the next message goes over the same session.
    Anything else (a broken or timed-out connection, 421 "closing channel", an unknown error) starts the next
    message on a new session."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return True
    if isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
        return exc.smtp_code != 421
    return False


def _as_email(message: OutboxMessage, connection) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject, body=message.body_text, from_email=settings.DEFAULT_FROM_EMAIL, to=message.to,
        headers={"Message-ID": message.message_id}, connection=connection,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    return email


@functools.lru_cache(maxsize=4096)
def _envelope_address(address: str, encoding: str) -> str:
    # Parsing an address is a tenth of the relay's own CPU per message; recipients repeat across a batch.
    return sanitize_address(address, encoding)


def _deliver(email: EmailMultiAlternatives, connection) -> None:
    """Send over the open session: what Django's SMTP backend does for one message (same envelope, same bytes),
    with each address sanitised once per process. Any other backend (files, console, locmem) sends it itself."""
    recipients = email.recipients()
    if not isinstance(connection, SMTPBackend) or connection.connection is None or not recipients:
        email.send()
        return
    encoding = email.encoding or settings.DEFAULT_CHARSET
    connection.connection.sendmail(_envelope_address(email.from_email, encoding),
                                   [_envelope_address(address, encoding) for address in recipients],
                                   email.message().as_bytes(linesep="\r\n"))


def _mark(message: OutboxMessage, **values) -> None:
    """Write the outcome, unless another relay took the row again meanwhile (our lease ran out)."""
    OutboxMessage.objects.filter(pk=message.pk, state=State.SENDING, attempts=message.attempts).update(**values)


def _send(message: OutboxMessage, connection, now: datetime.datetime) -> str:
    try:
        connection.open()  # no-op while the session is open: one SMTP session for many messages
        _deliver(_as_email(message, connection), connection)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row
        permanent, text = classify(exc)
        if not session_survives(exc):
            try:
                connection.close()  # the next message opens a new session
            except Exception:  # noqa: BLE001
                pass
        if permanent or message.attempts >= MAX_ATTEMPTS:
            _mark(message, state=State.FAILED, last_error=text[:2000])
            logger.error("Outbox %s failed: %s", message.message_id, text)
            return State.FAILED
        _mark(message, state=State.RETRYING, last_error=text[:2000], next_attempt_at=now + backoff(message.attempts))
        logger.warning("Outbox %s will be retried: %s", message.message_id, text)
        return State.RETRYING
    return State.SENT  # marked by the caller (with the next take)


def relay_due(*, now: datetime.datetime | None = None, limit: int | None = None,
              budget_seconds: float = 50.0) -> dict:
    """Send due outbox rows until none is due, `limit` rows were handled or the time budget is spent.
    `now` fixes the clock (tests); by default the real time is read for each row. Returns counts per outcome
    and "more": True when it stopped with rows still due.

    Rows are claimed in batches (OUTBOX_RELAY_BATCH_SIZE) and sent over one SMTP session, opened again only after
    a failure that broke it. Each row is still taken (`sending`) and marked (`sent`, `retrying`, `failed`) on its
    own, so a worker killed mid-batch leaves at most one row `sending`, and a message refused inside a batch is
    retried alone."""
    clock = (lambda: now) if now is not None else timezone.now
    stats = Counter()
    stop_at = time.monotonic() + budget_seconds
    connection = get_connection(fail_silently=False)
    more = False
    with _relaxed_commits():
        try:
            sent = None  # delivered, to be marked sent with the next take
            while not more:
                room = batch_size() if limit is None else min(batch_size(), limit - sum(stats.values()))
                if room <= 0 or time.monotonic() > stop_at:
                    more = True
                    break
                batch = _claim_batch(clock(), size=room)
                if not batch:
                    break
                try:
                    for message in batch:
                        if (limit is not None and sum(stats.values()) >= limit) or time.monotonic() > stop_at:
                            more = True
                            break
                        taken = _take(message, clock(), sent=sent)
                        sent = None
                        if not taken:
                            continue
                        if message.attempts > MAX_ATTEMPTS:
                            # Taken again after dying mid-send MAX_ATTEMPTS times: a message that kills its relay
                            # is an incident.
                            _mark(message, state=State.FAILED)
                            continue
                        outcome = _send(message, connection, clock())
                        stats[outcome] += 1
                        if outcome == State.SENT:
                            sent = message
                finally:
                    _release_batch(batch)
            if sent is not None:
                _mark(sent, state=State.SENT, sent_at=timezone.now(), last_error="")
        finally:
            try:
                connection.close()
            except Exception:  # noqa: BLE001
                pass
    return {**{str(k): v for k, v in stats.items()}, "more": more}


@contextlib.contextmanager
def _relaxed_commits():
    """On PostgreSQL, the relay's own commits (claim, mark) do not wait for the disk flush. A worker killed at any
    point loses nothing (the server has every commit); only a crash of the database server itself could forget the
    last few marks, and those rows would be sent again after their lease, with the same Message-ID. Waiting for a
    flush twice per message would otherwise bound the relay's throughput by the disk, not by SMTP."""
    db = connections[router.db_for_write(OutboxMessage)]
    relaxed = db.vendor == "postgresql" and not db.in_atomic_block
    if relaxed:
        with db.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        if relaxed:
            with db.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")


# --- Administrator actions -----------------------------------------------------------------------------------

@transaction.atomic
def outbox_retry(*, message: OutboxMessage, actor) -> OutboxMessage:
    """An administrator sends a failed (or waiting) message again now, with the same Message-ID."""
    if not has_role(actor, Role.ADMIN):
        raise PermissionDeniedError(_("Solo un amministratore può ritentare l'invio."))
    message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if message.state not in (State.FAILED, State.RETRYING):
        raise InvalidStateError(_("Il messaggio non è in errore: non c'è nulla da ritentare."))
    previous = {"state": message.state, "attempts": message.attempts, "last_error": message.last_error}
    message.state, message.attempts, message.next_attempt_at = State.QUEUED, 0, timezone.now()
    message.save(update_fields=["state", "attempts", "next_attempt_at"])
    audit_record(actor=actor, agreement=message.agreement, action="outbox_retry",
                 detail={"message_id": message.message_id, "to": ", ".join(message.to), **previous})
    relay_soon()
    return message


def relay_job() -> dict:
    """The periodic relay (worker): relay what is due, record the heartbeat, and carry on at once when the time
    budget ran out with rows still due instead of waiting for the beat."""
    result = relay_due()
    heartbeat_record("relay_outbox", **result)
    if result["more"]:
        relay_soon()
    return result
