"""The groups of states the rooms reason about, written once."""

from agreements.models import Status
from agreements.models.agreement import OPEN_STATUSES

# An agreement in one of these states is finished with: it can no longer be withdrawn or archived.
FINAL_STATUSES = (Status.WITHDRAWN, Status.ARCHIVED, Status.REJECTED, Status.RENEWED)
# Stopped before it took effect: a renewal in one of these states does not count as started.
STOPPED_STATUSES = (Status.REJECTED, Status.WITHDRAWN, Status.ARCHIVED)
# Took effect and then ended.
ENDED_STATUSES = (Status.RENEWED, Status.EXPIRED, Status.TERMINATED)
# Past signature: the agreement has an end date that expiry reminders watch.
EXPIRY_STATUSES = (Status.PUBLICATION, Status.IN_FORCE, Status.EXPIRED)

__all__ = ["ENDED_STATUSES", "EXPIRY_STATUSES", "FINAL_STATUSES", "OPEN_STATUSES", "STOPPED_STATUSES"]
