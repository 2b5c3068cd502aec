#!/usr/bin/env python
"""10,000 due e-mails delivered to a local SMTP server by a Celery worker with 2 processes, against a bare smtplib
loop over one connection.

Product: 10,000 queued outbox rows (reminder e-mails with text and HTML parts), a real `celery worker -c 2` on a
private redis-server, two relay tasks published as the beat does; timed from the publish until every row is
marked sent (each row claimed with SELECT ... FOR UPDATE SKIP LOCKED, sent with its Message-ID, marked).
Baseline, in the same run against the same server: the same 10,000 messages, already serialised, sent with
smtplib.sendmail in a loop over one connection. The SMTP server (aiosmtpd's Sink) runs in its own process.
ratio = baseline time / product time (higher is better).

Standalone: `python benchmarks/bench_relay.py` (BENCH_DATABASE_URL, default .../intese_bench_relay, is dropped and
recreated). `--messages 2000` for a quick run.
"""

import argparse
import datetime
import json
import os
import shutil
import smtplib
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/intese_bench_relay")
from benchdb import bench_database  # noqa: E402

MESSAGES = 10_000
# The issue asks for at least half the bare loop's throughput. Measured on the 2-core reference machine (shared by
# PostgreSQL, Redis, the SMTP server and both worker processes): 0.49 quiet (624 vs 1,276 e-mails/s), 0.35 while
# other test runs shared it: at or just below the goal; see the README.
GOAL = 0.5


def start_smtp_sink(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            smtplib.SMTP("127.0.0.1", port, timeout=1).quit()
            return process
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the SMTP server did not start")


def queue_messages(n: int) -> list:
    """n outbox rows like the scan writes them; returns them (for the baseline's bytes)."""
    from django.utils import timezone

    from agreements.models import OutboxMessage
    from agreements.reminders.services import REASON, DueReminder, _bulk_insert, render_email

    reminder = DueReminder(agreement_id=0, reference="INT-2022-003", title="Intesa con la Nouvelle-Aquitaine",
                           counterpart="Nouvelle-Aquitaine", kind="expiry", threshold=90,
                           due_date=datetime.date(2025, 1, 1), deadline=datetime.date(2025, 4, 1),
                           extra={"repeat": 7})
    subject, text, html = render_email(reminder)
    reason = "Ricevi questo messaggio come dirigente responsabile dell'accordo."
    now = timezone.now()
    rows = [
        OutboxMessage(message_id=f"<bench-{i}@intese.regione>", to=[f"utente{i % 50}@example.org"],
                      subject=subject, body_text=text.replace(REASON, reason), body_html=html.replace(REASON, reason),
                      next_attempt_at=now)
        for i in range(n)
    ]
    _bulk_insert(OutboxMessage, rows)
    return rows


def baseline_seconds(rows, port: int) -> float:
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives

    payloads = []
    for row in rows:
        email = EmailMultiAlternatives(row.subject, row.body_text, settings.DEFAULT_FROM_EMAIL, row.to,
                                       headers={"Message-ID": row.message_id})
        email.attach_alternative(row.body_html, "text/html")
        payloads.append((row.to, email.message().as_bytes(linesep="\r\n")))
    start = time.perf_counter()
    smtp = smtplib.SMTP("127.0.0.1", port, timeout=10)
    for to, payload in payloads:
        smtp.sendmail(settings.DEFAULT_FROM_EMAIL, to, payload)
    smtp.quit()
    return time.perf_counter() - start


def product_seconds(n: int, port: int) -> float:
    from agreements.models import OutboxMessage
    from tests.support.mail import CeleryWorker, RedisServer, send_task

    redis = RedisServer().start()
    worker = CeleryWorker(broker_url=redis.url, smtp_port=port, concurrency=2, name="bench")
    try:
        worker.start()
        start = time.perf_counter()
        for _ in range(2):
            send_task("intese.relay_outbox", redis.url)
        deadline = time.monotonic() + 1800
        while OutboxMessage.objects.filter(state=OutboxMessage.State.SENT).count() < n:
            if time.monotonic() > deadline or worker.process.poll() is not None:
                raise SystemExit(f"relay did not finish:\n{worker.output()[-3000:]}")
            time.sleep(0.1)
        return time.perf_counter() - start
    finally:
        worker.stop()
        redis.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=MESSAGES)
    n = parser.parse_args(argv).messages
    if not shutil.which("redis-server"):
        raise SystemExit("redis-server is not installed")
    with bench_database():
        from agreements.models import OutboxMessage
        from tests.support.mail import free_port

        port = free_port()
        smtp = start_smtp_sink(port)
        try:
            rows = queue_messages(n)
            baseline = baseline_seconds(rows, port)
            product = product_seconds(n, port)
            failed = OutboxMessage.objects.exclude(state=OutboxMessage.State.SENT).count()
        finally:
            smtp.terminate()
            smtp.wait(10)
    ratio = round(baseline / product, 3)
    print(json.dumps({
        "name": f"outbox relay, {n} e-mails, 2 worker processes",
        "ratio": ratio,
        "goal": GOAL,
        "detail": {"messages": n, "not_sent": failed, "product_s": round(product, 2), "baseline_s": round(baseline, 2),
                   "product_per_s": round(n / product), "baseline_per_s": round(n / baseline)},
    }), flush=True)
    return 0 if ratio >= GOAL and failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
