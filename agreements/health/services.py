"""The heartbeats of the periodic jobs: each records its last successful run (technical state, not audited)."""

import datetime

from django.utils import timezone

from agreements.models import Heartbeat

HEARTBEATS = {
    "scan_reminders": datetime.timedelta(hours=2),  # hourly scan: stale after two missed runs
    "relay_outbox": datetime.timedelta(minutes=10),  # every minute
    "fire_workflow_timers": datetime.timedelta(minutes=30),  # every five minutes
}


def heartbeat_record(name: str, **detail) -> None:
    """A periodic job finished successfully (technical state, not audited: it changes nothing of an agreement)."""
    Heartbeat.objects.update_or_create(name=name, defaults={"last_success_at": timezone.now(), "detail": detail})
