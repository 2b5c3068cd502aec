"""Work for the worker, enqueued by task name after the transaction commits (never inside it), so the domain
never imports the worker or the Celery app. The names are the ones worker/ registers (`@shared_task(name=...)`).
"""

import logging

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)

RELAY_OUTBOX = "intese.relay_outbox"
CONVERT_TO_PDF = "intese.convert_to_pdf"
SCAN_REMINDERS = "intese.scan_reminders"
FIRE_WORKFLOW_TIMERS = "intese.fire_workflow_timers"
SEND_DIGESTS = "intese.send_digests"
SEARCH_INDEX_DOCUMENT = "intese.search_index_document"
SEARCH_INDEX_ACTIVITY = "intese.search_index_activity"
SEARCH_REFRESH = "intese.search_refresh"


def send_now(name: str, *args, connection=None, **options):
    """Publish task `name` at once (the caller handles broker failures)."""
    return current_app.send_task(name, args=args, connection=connection, **options)


def enqueue_after_commit(name: str, *args) -> None:
    """Publish task `name` with `args` once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: send_now(name, *args))
