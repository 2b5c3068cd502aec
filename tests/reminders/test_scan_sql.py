"""The scan's due occurrences computed in PostgreSQL: the same reminders as the plain Python rule, existing ones
anti-joined in the database, and a re-scan whose queries do not grow with the register."""

import datetime
import random

import pytest

from agreements.models import AuditEvent, OutboxMessage, Reminder, ReminderKind, ReminderPolicy, RenewalClause
from agreements.reminders import services as reminders
from tests.support.factories import InForceAgreementFactory

D = datetime.date
TODAY = D(2025, 3, 10)


def python_due(agreements, policy, today):
    """The expiry and notice reminders due on `today` by the reference rule (latest_occurrence, in Python), minus
    the reminders that exist: what the scan must find."""
    since = today - datetime.timedelta(days=policy.catch_up_days)
    existing = set(Reminder.objects.values_list("agreement_id", "kind", "threshold", "due_date"))
    due = set()
    for a in agreements:
        if since <= a.end_date <= today + datetime.timedelta(days=max(policy.expiry_thresholds)):
            hit = latest_occurrence(a.end_date, policy.expiry_thresholds, policy.expiry_repeat_days, today, since)
            if hit:
                due.add((a.pk, ReminderKind.EXPIRY, *hit))
        if a.renewal_clause == RenewalClause.TACIT and a.end_date >= since:
            deadline = a.end_date - datetime.timedelta(days=a.renewal_notice_days)
            hit = latest_occurrence(deadline, policy.notice_thresholds, 0, today, since)
            if hit:
                due.add((a.pk, ReminderKind.NON_RENEWAL_NOTICE, *hit))
    return due - existing


def latest_occurrence(deadline, thresholds, repeat, today, since):
    return reminders.latest_occurrence(deadline, thresholds, repeat, today=today, since=since)


def make_register(drafter, director, n, seed=18):
    rng = random.Random(seed)
    made = []
    for _ in range(n):
        tacit = rng.random() < 0.4
        made.append(InForceAgreementFactory(
            drafted_by=drafter, director=director, end_date=TODAY + datetime.timedelta(days=rng.randrange(-12, 260)),
            renewal_clause=RenewalClause.TACIT if tacit else RenewalClause.NONE,
            renewal_notice_days=rng.choice((30, 60, 90, 180)) if tacit else None,
        ))
    return made


def scan_keys(today):
    return {d.key for d in reminders.due_reminders(today=today)
            if d.kind in (ReminderKind.EXPIRY, ReminderKind.NON_RENEWAL_NOTICE)}


@pytest.mark.django_db
@pytest.mark.parametrize("policy_values", [
    {},  # the defaults: 180, 90, 60, 30, 7, 0 weekly; notice 60, 30, 7, 0
    {"expiry_thresholds": [45, 10, 10, 0], "expiry_repeat_days": 0, "notice_thresholds": [20, 3]},
    {"expiry_thresholds": [120, 30], "expiry_repeat_days": 3, "catch_up_days": 10},
])
def test_sql_occurrences_match_the_python_rule_and_skip_existing_reminders(drafter, director, policy_values):
    # given agreements ending over the next eight months, a third with a tacit renewal clause, and a policy
    ReminderPolicy.objects.update_or_create(pk=1, defaults=policy_values)
    policy = ReminderPolicy.current()
    agreements = make_register(drafter, director, 80)
    # when the scan runs on some days and not others (gaps the catch-up window covers)
    checked = 0
    for offset in (0, 1, 2, 5, 6, 13, 14, 30, 31, 61):
        day = TODAY + datetime.timedelta(days=offset)
        expected = python_due(agreements, policy, day)
        # then the reminders it finds are the Python rule's, minus the ones already created
        assert scan_keys(day) == expected
        checked += len(expected)
        reminders.scan_due(today=day)
        # and once created, none of them is due again
        assert scan_keys(day) == set()
    assert checked > 20  # the comparison was not between two empty sets


@pytest.mark.django_db
def test_rescan_queries_are_constant_in_n_and_write_nothing(drafter, director, django_assert_max_num_queries):
    # given a small register scanned today
    make_register(drafter, director, 10, seed=1)
    first = reminders.scan_due(today=TODAY)
    assert first["reminders"] > 0
    counts = []
    for n in (10, 200):
        if n > 10:
            # given a register twenty times larger, scanned today too
            make_register(drafter, director, n - 10, seed=2)
            assert reminders.scan_due(today=TODAY)["reminders"] > first["reminders"]
        rows = (Reminder.objects.count(), OutboxMessage.objects.count(), AuditEvent.objects.count())
        # when the hourly scan runs again the same day
        with django_assert_max_num_queries(8) as queries:
            assert reminders.scan_due(today=TODAY) == {"reminders": 0, "messages": 0}
        counts.append(len(queries.captured_queries))
        # then nothing is written: no reminder, e-mail or audit event
        assert (Reminder.objects.count(), OutboxMessage.objects.count(), AuditEvent.objects.count()) == rows
    # and the number of queries is the same for 10 and 200 agreements
    assert counts[0] == counts[1]
