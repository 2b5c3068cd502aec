"""The legal deadline of a task, where the procedure sets one (no flow import: the assignment hook uses it)."""

import datetime

from agreements.common import dates
from agreements.models import Agreement


def task_due_date(task, agreement: Agreement, opinions=()) -> datetime.date | None:
    """The legal deadline of a task, where the procedure sets one: a DG's opinion, the end of the 30-day wait."""
    node_name = getattr(task.flow_task, "name", "")
    if node_name == "consult_dg":
        dg_id = (task.data or {}).get("dg")
        due = [
            o.due_date for o in opinions
            if o.agreement_id == agreement.pk and o.dg_id == dg_id and o.round == agreement.consultation_round
        ]
        return due[0] if due else None
    if node_name == "record_observations" and agreement.notice_government_date and not agreement.needs_full_powers:
        return dates.observations_last_day(dates.observations_from(agreement))
    return None
