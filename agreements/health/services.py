"""The heartbeats of the periodic jobs: each records its last successful run (technical state, not audited)."""

import datetime

from django.utils import timezone

from agreements.models import Heartbeat

HEARTBEATS = {
    "scan_reminders": datetime.timedelta(hours=2),  # hourly scan: stale after two missed runs
    "relay_outbox": datetime.timedelta(minutes=10),  # every minute
    "fire_workflow_timers": datetime.timedelta(minutes=30),  # every five minutes
}
# When each job first runs after beat starts (config/celery.py): the scan is sent as beat starts, the relay
# runs after a minute, the timers after five.
FIRST_RUN = {
    "scan_reminders": datetime.timedelta(minutes=0),
    "relay_outbox": datetime.timedelta(minutes=1),
    "fire_workflow_timers": datetime.timedelta(minutes=5),
}
# How late a first run may be (a busy worker, a slow start) before the job counts as stopped.
FIRST_RUN_GRACE = datetime.timedelta(minutes=5)
BEAT_STARTED = "beat_started"  # a heartbeat row of its own: when beat last started


def heartbeat_record(name: str, **detail) -> None:
    """A periodic job finished successfully (technical state, not audited: it changes nothing of an agreement)."""
    Heartbeat.objects.update_or_create(name=name, defaults={"last_success_at": timezone.now(), "detail": detail})


def beat_started_record() -> None:
    """Beat has just started: jobs that never ran are due from now on, not stopped (technical state)."""
    heartbeat_record(BEAT_STARTED)
