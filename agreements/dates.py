"""Legal dates: plain dates in Europe/Rome (DESIGN.md section 4)."""

import datetime

from dateutil.relativedelta import relativedelta
from django.utils import timezone

OBSERVATION_DAYS = 30  # L. 131/2003 art. 6 c. 2


def today() -> datetime.date:
    return timezone.localdate()


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by `months` calendar months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    return day + relativedelta(months=months)


def start_of_day(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day` in Europe/Rome, as an aware datetime (timers fire then)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def observations_last_day(notice_date: datetime.date) -> datetime.date:
    """Last day of the 30-day wait after the notice to the government; signature may follow the day after."""
    return notice_date + datetime.timedelta(days=OBSERVATION_DAYS)
