"""What the health page and `manage.py health` report: the periodic jobs, the outbox incidents, and the open
tasks nobody can act on (each makes the report unhealthy)."""

import datetime
import math

from django.db.models import Count
from django.utils import timezone

from agreements.common import tasks
from agreements.models import Heartbeat, OutboxMessage

from .services import BEAT_STARTED, FIRST_RUN, FIRST_RUN_GRACE, HEARTBEATS

OK, PENDING, STOPPED = "ok", "pending", "stopped"


def _job(name: str, beat, beat_started, now) -> dict:
    max_age = HEARTBEATS[name]
    job = {"name": name, "last_success_at": beat.last_success_at if beat else None,
           "detail": beat.detail if beat else {}, "max_age": max_age, "first_run_in_minutes": None}
    if beat is not None:
        job["state"] = OK if now - beat.last_success_at <= max_age else STOPPED
    elif beat_started is not None and now <= beat_started + FIRST_RUN[name] + FIRST_RUN_GRACE:
        # never ran, but beat started lately: its first run is still to come (or about to)
        job["state"] = PENDING
        wait = (beat_started + FIRST_RUN[name] - now).total_seconds()
        job["first_run_in_minutes"] = max(0, math.ceil(wait / 60))
    else:
        job["state"] = STOPPED
    job["stale"] = job["state"] == STOPPED
    return job


def health_report(now: datetime.datetime | None = None) -> dict:
    """Each periodic job's last successful run and state: ok, pending (never ran, its first run after beat's start
    is still to come) or stopped; the outbox incidents. Not ok when a job is stopped or an e-mail failed for good."""
    now = now or timezone.now()
    beats = {h.name: h for h in Heartbeat.objects.filter(name__in=[*HEARTBEATS, BEAT_STARTED])}
    beat_started = beats[BEAT_STARTED].last_success_at if BEAT_STARTED in beats else None
    jobs = [_job(name, beats.get(name), beat_started, now) for name in HEARTBEATS]
    counts = dict(
        OutboxMessage.objects.exclude(state=OutboxMessage.State.SENT).values_list("state").annotate(n=Count("id"))
    )
    orphans = tasks.directory().unreachable()
    failed = counts.get(OutboxMessage.State.FAILED, 0)
    jobs_ok = not any(j["stale"] for j in jobs)
    return {"jobs": jobs, "outbox": counts, "failed_emails": failed, "beat_started_at": beat_started,
            "jobs_ok": jobs_ok, "unreachable_tasks": orphans, "ok": jobs_ok and not failed and not orphans}
