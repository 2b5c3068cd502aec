"""Celery tasks: each one call into a service, idempotent, registered under the names that
agreements.common.enqueue and the beat schedule (config/celery.py) use.

The beat runs the scan hourly, the relay every minute, the timers every five minutes, the daily digests
hourly from 7 to 23 (the first run of a day sends them). Running any of them twice,
or on two workers at once, has the effect of running it once.
"""

from celery import shared_task

from agreements.common import enqueue
from agreements.documents.services import pdf_convert_job
from agreements.notifications.services import digests_job
from agreements.outbox.services import relay_job
from agreements.reminders.services import scan_job
from agreements.search.services import search_index_activity, search_index_document, search_refresh_job
from workflows.services import timers_job


@shared_task(name=enqueue.SCAN_REMINDERS, acks_late=True)
def scan_reminders():
    return scan_job()


@shared_task(name=enqueue.RELAY_OUTBOX, acks_late=True)
def relay_outbox():
    return relay_job()


@shared_task(name=enqueue.FIRE_WORKFLOW_TIMERS, acks_late=True)
def fire_workflow_timers():
    return timers_job()


@shared_task(name=enqueue.CONVERT_TO_PDF, acks_late=True)
def convert_to_pdf(version_id: int, user_id: int):
    return pdf_convert_job(version_id=version_id, user_id=user_id)


@shared_task(name=enqueue.SEND_DIGESTS, acks_late=True)
def send_digests():
    return digests_job()


@shared_task(name=enqueue.SEARCH_INDEX_DOCUMENT, acks_late=True)
def search_index_document_task(version_id: int):
    return search_index_document(version_id=version_id)


@shared_task(name=enqueue.SEARCH_INDEX_ACTIVITY, acks_late=True)
def search_index_activity_task(activity_id: int):
    return search_index_activity(activity_id=activity_id)


@shared_task(name=enqueue.SEARCH_REFRESH, acks_late=True)
def search_refresh():
    return search_refresh_job()
