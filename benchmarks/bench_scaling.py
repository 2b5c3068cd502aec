#!/usr/bin/env python
"""Scaling out: 1, 2 and 4 Celery worker processes on the same PostgreSQL and Redis (issue 18, goal 7).

Setup, once: a throwaway database (BENCH_DATABASE_URL, default .../intese_bench_scaling, dropped and recreated) with
100,000 agreements in force ending over ten years around today (what the scan reads; copied in SQL from one made
through the ORM), the reminder policy's catch-up window set to 0 days, the day's reminders created by one scan
(timed: the day's first scan, one task, one transaction), a backlog of 20,000 reminder e-mails queued
in the outbox, an SMTP server (aiosmtpd's Sink, own process) and a private redis-server as the broker.

For each worker count W (1, 2, 4): W separate `celery -A config worker -P prefork -c 1` processes (the product's
worker, as `make run`/the Procfile start it, one pool process each: W workers as on W machines), then
- relay: the 20,000 e-mails re-queued, W relay tasks published as the beat does; timed from the publish until every
  row is marked sent: e-mails per second;
- scan: SCANS hourly scan tasks published at once (each the product's `intese.scan_reminders`, which scans every
  agreement; the day's reminders exist, so each finds nothing new: what 23 of the 24 scans of a day do); timed
  until the workers' logs show every task succeeded: agreements scanned per second (SCANS x agreements / time).
ratio = throughput(W) / throughput(1). The relay task is used as it is on this branch.

This machine has 2 cores, shared by PostgreSQL, Redis, the SMTP server and the workers (and, while this was
written, by other engineers' test runs): beyond 2 busy processes nothing can go faster, so the goals ask for what 2
cores allow (see GOALS) and 4 workers are only required not to be slower than 1 (no lock contention, no duplicate
work). Sizes: `--agreements 10000 --emails 2000 --workers 1,2` for iteration.
"""

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/intese_bench_scaling")
from benchdb import bench_database  # noqa: E402

AGREEMENTS = 100_000
EMAILS = 20_000
WORKERS = (1, 2, 4)
SCANS = 8
# Least acceptable throughput(W) / throughput(1). Two cores: two workers may at best double it; PostgreSQL, Redis
# and the SMTP server take their share of the same cores, so the goals ask for a gain, not for linear scaling.
GOALS = {
    ("relay", 2): 1.2, ("relay", 4): 1.0,
    ("scan", 2): 1.2, ("scan", 4): 1.0,
}
TIMEOUT = 1800


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def requeue_backlog(n: int):
    """Every outbox row queued again, due now, as the scan left them (the relay's claim index sees them all)."""
    from django.utils import timezone

    from agreements.models import OutboxMessage

    OutboxMessage.objects.update(state=OutboxMessage.State.QUEUED, attempts=0, sent_at=None, last_error="",
                                 next_attempt_at=timezone.now())
    return OutboxMessage.objects.count()


def wait_until(condition, workers, what):
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline or any(w.process.poll() is not None for w in workers):
            logs = "\n".join(w.output()[-2000:] for w in workers)
            raise SystemExit(f"{what} did not finish:\n{logs}")
        time.sleep(0.1)


def relay_seconds(workers, total: int, broker: str) -> float:
    from agreements.models import OutboxMessage
    from tests.support.mail import send_task

    requeue_backlog(total)
    start = time.perf_counter()
    for _ in workers:
        send_task("intese.relay_outbox", broker)
    sent = OutboxMessage.objects.filter(state=OutboxMessage.State.SENT)
    wait_until(lambda: sent.count() >= total, workers, "relay")
    return time.perf_counter() - start


def scans_done(workers) -> int:
    return sum(line.count("succeeded") for w in workers for line in w.output().splitlines()
               if "intese.scan_reminders[" in line)


def scan_seconds(workers, scans: int, broker: str) -> float:
    from tests.support.mail import send_task

    before = scans_done(workers)
    start = time.perf_counter()
    for _ in range(scans):
        send_task("intese.scan_reminders", broker)
    wait_until(lambda: scans_done(workers) >= before + scans, workers, "scans")
    return time.perf_counter() - start


def populate_fast(total: int, today):
    """`total` agreements in force: one made through the ORM (bench_scan.populate), copied in SQL with its own
    reference, title and an end date uniformly over ten years around `today` (seconds, not minutes, for 100,000)."""
    import bench_scan
    from django.db import connection

    from agreements.models import Agreement

    bench_scan.TODAY = today
    bench_scan.populate(1, 0)
    template = Agreement.objects.get()
    fields = [f for f in Agreement._meta.concrete_fields if not f.primary_key]
    replaced = {"reference": "'BEN-' || lpad(g::text, 6, '0')", "title": "'Intesa di cooperazione n. ' || g",
                "end_date": "%s::date + (floor(random() * 3650) - 365)::int"}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = ", ".join(replaced.get(f.column, f"a.{connection.ops.quote_name(f.column)}") for f in fields)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.18)")
        cursor.execute(f"INSERT INTO {Agreement._meta.db_table} ({columns}) SELECT {values} "
                       f"FROM {Agreement._meta.db_table} a, generate_series(1, %s) AS g WHERE a.id = %s",
                       [today, total - 1, template.pk])
        cursor.execute("ANALYZE")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agreements", type=int, default=AGREEMENTS)
    parser.add_argument("--emails", type=int, default=EMAILS)
    parser.add_argument("--workers", default=",".join(map(str, WORKERS)))
    parser.add_argument("--scans", type=int, default=SCANS)
    args = parser.parse_args(argv)
    counts = [int(w) for w in args.workers.split(",")]
    if not shutil.which("redis-server"):
        raise SystemExit("redis-server is not installed")
    code = 0
    with bench_database():
        import bench_relay

        from agreements.common import dates
        from agreements.models import OutboxMessage, Reminder, ReminderPolicy
        from agreements.reminders.services import scan_due
        from tests.support.mail import CeleryWorker, RedisServer, free_port

        # The register: agreements ending over ten years around the real today (the worker's scan uses it).
        today = dates.today()
        populate_fast(args.agreements, today)
        # The policy's catch-up window is 0 days, so the setup reaches the steady state with one scan (with the
        # default 7 days, the first scan of an empty reminder table would create a week's reminders at once).
        ReminderPolicy.objects.update_or_create(pk=1, defaults={"catch_up_days": 0})
        start = time.perf_counter()
        first = scan_due(today=today)
        first_scan_s = time.perf_counter() - start
        # The backlog: the first scan's e-mails and as many more as make `--emails`.
        bench_relay.queue_messages(max(0, args.emails - first["messages"]))
        total = OutboxMessage.objects.count()
        setup = {"agreements": args.agreements, "emails": total, "reminders": Reminder.objects.count(),
                 "first_scan_s": round(first_scan_s, 2), "first_scan": first, "loadavg": loadavg()}
        print(json.dumps({"setup": setup}), file=sys.stderr, flush=True)
        port = free_port()
        smtp = bench_relay.start_smtp_sink(port)
        redis = RedisServer().start()
        results = {}
        try:
            for count in counts:
                workers = [CeleryWorker(broker_url=redis.url, smtp_port=port, concurrency=1, name=f"scale{count}-{i}")
                           for i in range(count)]
                try:
                    for worker in workers:
                        worker.start(timeout=180)
                    load_before = loadavg()
                    relay = relay_seconds(workers, total, redis.url)
                    scan = scan_seconds(workers, args.scans, redis.url)
                    assert OutboxMessage.objects.count() == total  # the re-scans created nothing
                    results[count] = {"relay_s": relay, "scan_s": scan, "load_before": load_before,
                                      "load_after": loadavg()}
                    print(json.dumps({"workers": count, **results[count]}), file=sys.stderr, flush=True)
                finally:
                    for worker in workers:
                        worker.stop()
        finally:
            redis.stop()
            smtp.terminate()
            smtp.wait(10)

    base = results[counts[0]]
    for count in counts[1:]:
        r = results[count]
        for what, seconds_key, unit, work in (
            ("relay", "relay_s", "emails_per_s", total),
            ("scan", "scan_s", "agreements_scanned_per_s", args.scans * args.agreements),
        ):
            goal = GOALS.get((what, count), 1.0)
            ratio = round(base[seconds_key] / r[seconds_key], 3)
            print(json.dumps({
                "name": f"scaling: {'outbox relay' if what == 'relay' else 'hourly reminder scans'}, "
                        f"{count} workers against {counts[0]}",
                "ratio": ratio,
                "goal": goal,
                "detail": {
                    "workers": count, "worker": "celery -P prefork -c 1, one process per worker",
                    unit: round(work / r[seconds_key]), f"{unit}_with_{counts[0]}": round(work / base[seconds_key]),
                    "seconds": round(r[seconds_key], 2), f"seconds_with_{counts[0]}": round(base[seconds_key], 2),
                    "emails": total, "agreements": args.agreements,
                    **({"scans": args.scans, "day_first_scan_s": setup["first_scan_s"],
                        "day_first_scan": setup["first_scan"]} if what == "scan" else {}),
                    "loadavg_before": r["load_before"], "loadavg_after": r["load_after"], "cores": os.cpu_count(),
                },
            }), flush=True)
            if ratio < goal:
                code = 1
    return code


if __name__ == "__main__":
    sys.exit(main())
