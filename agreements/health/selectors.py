"""What the health page and `manage.py health` report: the periodic jobs, the outbox incidents, and the open
tasks nobody can act on (each makes the report unhealthy)."""

import datetime

from django.db.models import Count
from django.utils import timezone

from agreements.common import tasks
from agreements.models import Heartbeat, OutboxMessage

from .services import HEARTBEATS


def health_report(now: datetime.datetime | None = None) -> dict:
    """Last successful run of each periodic job, whether it is stale, and the outbox incidents."""
    now = now or timezone.now()
    beats = {h.name: h for h in Heartbeat.objects.filter(name__in=HEARTBEATS)}
    jobs = []
    for name, max_age in HEARTBEATS.items():
        beat = beats.get(name)
        jobs.append({
            "name": name,
            "last_success_at": beat.last_success_at if beat else None,
            "detail": beat.detail if beat else {},
            "max_age": max_age,
            "stale": beat is None or now - beat.last_success_at > max_age,
        })
    counts = dict(
        OutboxMessage.objects.exclude(state=OutboxMessage.State.SENT).values_list("state").annotate(n=Count("id"))
    )
    orphans = tasks.directory().unreachable()
    return {"jobs": jobs, "ok": not any(j["stale"] for j in jobs) and not orphans, "outbox": counts,
            "unreachable_tasks": orphans}
