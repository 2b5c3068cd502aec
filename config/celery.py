"""The Celery app. Tasks live in worker/tasks.py under the names of agreements.common.enqueue; the beat schedule
is defined here, in code."""

import os
import warnings

from celery import Celery
from celery.schedules import crontab
from celery.signals import beat_init

from agreements.common import enqueue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("intese")
app.config_from_object("django.conf:settings", namespace="CELERY")


def _configure_broker(conf):
    # Here, not at the top: the Celery app module is imported before Django's settings are configured.
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        # Celery's warning about a worker running as root is for shared servers; the embedded mode runs on one's
        # own machine (often a container, as root), where it would only be noise in every start's log.
        warnings.filterwarnings("ignore", message="You're running the worker with superuser privileges")
        folder = settings.CELERY_BROKER_DIR
        for sub in ("in", "processed", "control", "staging"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        # kombu's filesystem transport with atomic writes (config/filebroker.py)
        conf.broker_transport = "config.filebroker:Transport"
        conf.broker_transport_options = {
            "data_folder_in": str(folder / "in"),
            "data_folder_out": str(folder / "in"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "staging_folder": str(folder / "staging"),
            "store_processed": False,
        }
        # No remote control on a folder broker: its broadcast (pidbox) exchange and reply queues are files that
        # every process rewrites, the writers that killed the worker. The embedded worker also runs without
        # gossip, mingle and heartbeats (agreements/management/commands/run_embedded.py), which ride on it.
        conf.worker_enable_remote_control = False
    else:
        conf.broker_transport_options = {
            # A task that is not acknowledged within an hour is handed to another worker. Our tasks are short
            # and idempotent, so redelivery is harmless; no task relies on a long ETA.
            "visibility_timeout": 3600,
            # A half-open broker connection must not hang a web request: give up on a socket after 3 seconds.
            "socket_timeout": 3,
            "socket_connect_timeout": 3,
        }


app.conf.update(
    # Acknowledge after the task ran, so a worker killed mid-task leaves the message for another worker;
    # safe because every task is idempotent (the outbox row, not the message, says what was sent).
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    # Publishing must fail fast when the broker is down: the outbox row is the truth, beat re-sends later.
    broker_connection_timeout=3,
    broker_connection_retry_on_startup=True,
    task_publish_retry=False,
    timezone="Europe/Rome",
    enable_utc=True,
    beat_schedule={
        "scan-reminders-hourly": {"task": enqueue.SCAN_REMINDERS, "schedule": crontab(minute=5)},
        "relay-outbox": {"task": enqueue.RELAY_OUTBOX, "schedule": 60.0},
        "fire-workflow-timers": {"task": enqueue.FIRE_WORKFLOW_TIMERS, "schedule": 300.0},
        # The day's digest of information messages: the first run of the day sends it, the others find nothing.
        "send-digests": {"task": enqueue.SEND_DIGESTS, "schedule": crontab(minute=20, hour="7-23")},
        # The search index catches up with the agreements written since its last run (agreements/search).
        "search-refresh": {"task": enqueue.SEARCH_REFRESH, "schedule": 60.0},
    },
)
app.autodiscover_tasks(["worker"])


@app.on_after_configure.connect
def _setup(sender, **kwargs):
    _configure_broker(sender.conf)


@beat_init.connect
def _beat_started(sender=None, **kwargs):
    """Beat has started: note it (the health page then shows the jobs that never ran as due, not stopped), and run
    the reminder scan now rather than at the next minute 5 of the hour, so a fresh install is complete at once."""
    from agreements.health.services import beat_started_record

    beat_started_record()
    enqueue.send_now(enqueue.SCAN_REMINDERS)
