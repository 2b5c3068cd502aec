#!/usr/bin/env python
"""The reminder scan over 1,000, 10,000 and 100,000 agreements, against a bare SQL baseline on the same rows.

Product: agreements.reminders.services.scan_due(today) -- the six per-kind queries, the INSERT ... ON CONFLICT of the
reminder rows, the e-mails rendered (text and HTML) and written to the outbox, the audit events -- inside a
transaction rolled back after each run, so every repetition does the same work; and the same scan run again
once the day's reminders exist (what 23 of the 24 hourly scans of a day do). Baseline, measured in the same run
on the same database: one raw SQL SELECT of the expiry reminders due that day (the only kind the data holds),
with the columns an e-mail needs. ratio = baseline time / product time (higher is better).

The number of queries of one scan is printed for each N ("queries"): it does not depend on N.
Standalone: `python benchmarks/bench_scan.py` (BENCH_DATABASE_URL, default .../intese_bench_scan, is dropped and
recreated). `--sizes 1000,10000` runs smaller sizes.
"""

import argparse
import datetime
import json
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/intese_bench_scan")
from benchdb import bench_database, median_seconds  # noqa: E402

TODAY = datetime.date(2026, 3, 2)
SIZES = (1_000, 10_000, 100_000)
REPEAT = 7
# Product and baseline do different amounts of work: the baseline only reads the rows due today; the product
# runs one query per kind over the whole catch-up window, and on the day's first scan also writes the reminders,
# renders and queues two e-mails each and audits them. Measured on the reference machine (2 shared cores):
# first scan 0.037 / 0.025 / 0.015, re-scan 0.048 / 0.051 / 0.047 at 1k / 10k / 100k agreements. The goals sit
# at half of that: they catch a 2x slowdown, and per-agreement queries (ratio ~0.0005 at 100k) by far.
GOALS = {
    "reminder scan (the day's first: creates and queues)": 0.008,
    "reminder scan (hourly re-scan: nothing new)": 0.02,
}

BASELINE_SQL = """
SELECT a.id, a.reference, a.title, c.name, t.t, a.end_date, dr.email, di.email
FROM agreements_agreement a
JOIN agreements_counterpart c ON c.id = a.counterpart_id
LEFT JOIN auth_user dr ON dr.id = a.drafted_by_id
LEFT JOIN auth_user di ON di.id = a.director_id
JOIN (SELECT t, lead(t) OVER (ORDER BY t DESC) AS next_t FROM unnest(%(thresholds)s::int[]) AS t) t
  ON %(today)s >= a.end_date - t.t
 AND %(today)s < a.end_date - COALESCE(t.next_t, -1)
 AND (%(today)s - (a.end_date - t.t)) %% %(repeat)s = 0
WHERE a.status = 'in_force' AND a.end_date BETWEEN %(today)s AND %(today)s + 180
  AND a.no_renewal_decided_on IS NULL
"""


def populate(total: int, start: int):
    """Agreements in force ending uniformly over ten years around TODAY, numbered from `start`."""
    from django.contrib.auth import get_user_model

    from agreements.models import Agreement, Counterpart, Status

    rng = random.Random(start)
    User = get_user_model()
    drafter, _ = User.objects.get_or_create(username="redattore", defaults={"email": "redattore@example.org"})
    director, _ = User.objects.get_or_create(username="dirigente", defaults={"email": "dirigente@example.org"})
    counterpart, _ = Counterpart.objects.get_or_create(name="Nouvelle-Aquitaine",
                                                       defaults={"country": "Francia", "type": "region"})
    batch = []
    for i in range(start, start + total):
        batch.append(Agreement(
            reference=f"BEN-{i:06d}", title=f"Intesa di cooperazione n. {i}", kind="intesa", status=Status.IN_FORCE,
            counterpart=counterpart, drafted_by=drafter, director=director,
            end_date=TODAY + datetime.timedelta(days=rng.randrange(-365, 3285)),
        ))
        if len(batch) == 5000:
            Agreement.objects.bulk_create(batch)
            batch = []
    Agreement.objects.bulk_create(batch)


def product_run(today):
    from django.db import transaction

    from agreements.reminders.services import scan_due

    with transaction.atomic():
        result = scan_due(today=today)
        transaction.set_rollback(True)
    return result


def baseline_run(today, policy):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL, {"thresholds": policy.expiry_thresholds, "today": today,
                                      "repeat": policy.expiry_repeat_days})
        return cursor.fetchall()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default=",".join(str(n) for n in SIZES))
    sizes = [int(n) for n in parser.parse_args(argv).sizes.split(",")]
    code = 0
    with bench_database():
        from django.db import connection, transaction
        from django.test.utils import CaptureQueriesContext

        from agreements.models import ReminderPolicy

        policy = ReminderPolicy.current()
        created = 0
        for n in sizes:
            populate(n - created, created)
            created = n
            # Steady state: the scans of the previous days ran (the catch-up window holds nothing left to do).
            from agreements.reminders.services import scan_due

            for back in range(policy.catch_up_days, 0, -1):
                scan_due(today=TODAY - datetime.timedelta(days=back))
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            due = len(baseline_run(TODAY, policy))
            with CaptureQueriesContext(connection) as queries:
                result = product_run(TODAY)
            assert result["reminders"] == due, (result, due)
            product = median_seconds(lambda: product_run(TODAY), REPEAT)
            baseline = median_seconds(lambda: baseline_run(TODAY, policy), REPEAT)
            # The other 23 hourly scans of the day: the day's reminders exist, nothing is written.
            with transaction.atomic():
                scan_due(today=TODAY)
                with CaptureQueriesContext(connection) as rescan_queries:
                    assert product_run(TODAY) == {"reminders": 0, "messages": 0}
                rescan = median_seconds(lambda: product_run(TODAY), REPEAT)
                transaction.set_rollback(True)
            for name, seconds, query_count in (
                ("reminder scan (the day's first: creates and queues)", product, len(queries.captured_queries)),
                ("reminder scan (hourly re-scan: nothing new)", rescan, len(rescan_queries.captured_queries)),
            ):
                ratio = round(baseline / seconds, 3)
                print(json.dumps({
                    "name": f"{name}, {n} agreements",
                    "ratio": ratio,
                    "goal": GOALS[name],
                    "detail": {"agreements": n, "due_reminders": due, "emails": result["messages"],
                               "queries": query_count, "product_ms": round(seconds * 1000, 2),
                               "baseline_ms": round(baseline * 1000, 2)},
                }), flush=True)
                if ratio < GOALS[name]:
                    code = 1
    return code


if __name__ == "__main__":
    sys.exit(main())
