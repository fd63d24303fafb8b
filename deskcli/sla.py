"""SLA arithmetic: when is something due, given a start and a duration.

Without a business calendar, durations are wall-clock time. A calendar (business hours
and holidays, see the reminders feature) can be passed to count working time only.
"""

from datetime import datetime, timedelta


def due(start: datetime, seconds: int | None, calendar=None) -> datetime | None:
    """The moment `seconds` of (working) time after `start`; None when there is no SLA."""
    if seconds is None:
        return None
    if calendar is None:
        return start + timedelta(seconds=seconds)
    return calendar.add(start, seconds)
