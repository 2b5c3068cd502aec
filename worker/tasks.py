"""Celery tasks: thin and idempotent, each one service call plus a heartbeat (DESIGN.md section 4).

The beat schedule (config/celery.py) runs them: the scan hourly, the relay every minute, the timers every five
minutes. Running any of them twice, or on two workers at once, has the effect of running it once.
"""

from celery import shared_task

from agreements import dates
from agreements.outbox import relay_due, relay_soon
from agreements.reminders import heartbeat_record, scan_due


@shared_task(acks_late=True)
def scan_reminders():
    result = scan_due(today=dates.today())
    heartbeat_record("scan_reminders", **result)
    return result


@shared_task(acks_late=True)
def relay_outbox():
    result = relay_due()
    heartbeat_record("relay_outbox", **result)
    if result["more"]:
        relay_soon()  # the time budget ran out with rows still due: carry on without waiting for the beat
    return result


@shared_task(acks_late=True)
def fire_workflow_timers():
    from workflows.services import timers_fire_due

    fired = timers_fire_due()
    heartbeat_record("fire_workflow_timers", fired=fired)
    return fired
