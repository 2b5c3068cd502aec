"""Legal dates: plain dates in Europe/Rome (README, "Reminders, e-mail and calendar")."""

import datetime

from dateutil.relativedelta import relativedelta
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import InvalidDataError

OBSERVATION_DAYS = 30  # L. 131/2003 art. 6 c. 2


def today() -> datetime.date:
    return timezone.localdate()


def end_date(start: datetime.date, months: int, *, field: str = "duration_months") -> datetime.date:
    """`start` plus `months` (entry into force + duration): past the calendar's last year it is refused as an
    error on `field`, never a crash."""
    try:
        return start + relativedelta(months=months)
    except (OverflowError, ValueError):
        raise InvalidDataError.for_field(
            field, _("La scadenza (%(start)s più %(months)s mesi) supera l'ultimo anno del calendario.")
            % {"start": start.isoformat(), "months": months}) from None


def start_of_day(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day` in Europe/Rome, as an aware datetime (timers fire then)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def observations_last_day(notice_date: datetime.date) -> datetime.date:
    """Last day of the 30-day wait after the notice to the government; signature may follow the day after."""
    return notice_date + datetime.timedelta(days=OBSERVATION_DAYS)


def observations_start(sent_on: datetime.date | None, *received_on: datetime.date | None) -> datetime.date | None:
    """The day the 30 days count from: the later receipt (PEC) when both are recorded; else the sending date, or
    the later recorded receipt if it is later (an assumption the pages state)."""
    if sent_on is None:
        return None
    return max([sent_on, *[day for day in received_on if day]])


def observations_from(agreement) -> datetime.date | None:
    """The day an agreement's 30 days count from: the later receipt, else (an assumption) the sending date."""
    return agreement.observations_from or agreement.notice_government_date


def observations_from_is_assumed(agreement) -> bool:
    """True when a receipt is missing, so the wait counts from the sending date (the pages say so)."""
    return bool(agreement.notice_government_date) and not (
        agreement.notice_dar_received_on and agreement.notice_maeci_received_on)
