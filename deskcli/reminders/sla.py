"""SLA arithmetic: when is something due, and how much working time lies between two
moments. Pure.

Without business hours, SLA clocks run round the clock. With the desk setting
`business-hours` (e.g. "Mon-Fri 09:00-18:00" or "Mon-Fri 09:00-12:00,13:00-18:00; Sat
09:00-12:00"), holidays and make-up working days (`deskcli holiday add [--workday]`,
`deskcli holiday import --cn YEAR`), they count working time only, in the desk's time zone.
"""

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from deskcli.errors import Invalid

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS_HINT = ("write days and hours like 'Mon-Fri 09:00-18:00', "
              "'Mon-Fri 09:00-12:00,13:00-18:00; Sat 09:00-12:00'")
_SPAN = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")
MAX_DAYS = 3 * 366  # how far to look for working time before giving up


def parse_hours(text: str) -> dict[int, list[tuple[time, time]]]:
    """'Mon-Fri 09:00-18:00; Sat 09:00-12:00' -> {weekday: [(start, end), ...]}."""
    week: dict[int, list[tuple[time, time]]] = {}
    for part in (p.strip() for p in text.split(";") if p.strip()):
        days_text, _, spans_text = part.partition(" ")
        days = _days(days_text)
        spans = []
        for span in (s.strip() for s in spans_text.split(",") if s.strip()):
            match = _SPAN.fullmatch(span)
            if not match:
                raise Invalid(f"bad business hours {span!r}", HOURS_HINT)
            h1, m1, h2, m2 = map(int, match.groups())
            if not (0 <= h1 <= 23 and 0 <= h2 <= 24 and m1 < 60 and m2 < 60):
                raise Invalid(f"bad time in business hours {span!r}", HOURS_HINT)
            start = time(h1, m1)
            end = time(23, 59, 59) if h2 == 24 else time(h2, m2)
            if end <= start:
                raise Invalid(f"business hours {span!r} end before they start", HOURS_HINT)
            spans.append((start, end))
        if not spans:
            raise Invalid(f"business hours {part!r} name no hours", HOURS_HINT)
        for day in days:
            week.setdefault(day, []).extend(spans)
    for spans in week.values():
        spans.sort()
    if not week:
        raise Invalid("business hours are empty", HOURS_HINT)
    return week


def _days(text: str) -> list[int]:
    result = []
    for item in text.lower().split(","):
        first, _, last = item.partition("-")
        try:
            a = DAYS.index(first[:3])
            b = DAYS.index(last[:3]) if last else a
        except ValueError:
            raise Invalid(f"bad days {text!r} in business hours", HOURS_HINT) from None
        result += [d % 7 for d in range(a, (b if b >= a else b + 7) + 1)]
    return result


class Calendar:
    """Working time in a time zone: weekly hours minus holidays, plus make-up working
    days (调休), which keep the hours of the first working day of the week (Monday's
    in "Mon-Fri 09:00-18:00") whatever their weekday."""

    def __init__(self, hours: dict[int, list[tuple[time, time]]], holidays: set[date],
                 tz: tzinfo, workdays: set[date] | frozenset = frozenset()):
        self.hours = hours
        self.holidays = holidays
        self.workdays = workdays
        self.workday_hours = next((hours[d] for d in range(7) if hours.get(d)), [])
        self.tz = tz

    def hours_of(self, day: date) -> list[tuple[time, time]]:
        """The working hours of a day: none on a holiday, the make-up hours on a make-up
        working day, else its weekday's."""
        if day in self.workdays:
            return self.workday_hours
        if day in self.holidays:
            return []
        return self.hours.get(day.weekday(), [])

    def _spans(self, day: date):
        return [(datetime.combine(day, a, self.tz), datetime.combine(day, b, self.tz))
                for a, b in self.hours_of(day)]

    def add(self, start: datetime, seconds: int) -> datetime:
        """The moment `seconds` of working time after `start`."""
        left = timedelta(seconds=seconds)
        local = start.astimezone(self.tz)
        day = local.date()
        for _ in range(MAX_DAYS):
            for begin, end in self._spans(day):
                begin = max(begin, local)
                if begin >= end:
                    continue
                if end - begin >= left:
                    return (begin + left).astimezone(UTC)
                left -= end - begin
            day += timedelta(days=1)
        return start + timedelta(seconds=seconds)  # no working time at all: wall clock

    def working_seconds(self, start: datetime, end: datetime) -> int:
        """Working time between two moments."""
        if end <= start:
            return 0
        total = timedelta()
        a, b = start.astimezone(self.tz), end.astimezone(self.tz)
        day = a.date()
        while day <= b.date():
            for begin, finish in self._spans(day):
                lo, hi = max(begin, a), min(finish, b)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return int(total.total_seconds())


def due(start: datetime, seconds: int | None, calendar: Calendar | None = None):
    """The moment `seconds` of (working) time after `start`; None when there is no SLA."""
    if seconds is None:
        return None
    if calendar is None:
        return start + timedelta(seconds=seconds)
    return calendar.add(start, seconds)


def elapsed(start: datetime, end: datetime, calendar: Calendar | None = None) -> int:
    """Seconds of (working) time between two moments."""
    if calendar is None:
        return max(int((end - start).total_seconds()), 0)
    return calendar.working_seconds(start, end)


def calendar_for(desk) -> Calendar | None:
    """The desk's calendar, or None when it has no business hours (cached on the desk)."""
    cached = getattr(desk, "_calendar", False)
    if cached is not False:
        return cached
    hours = desk.setting("business-hours")
    calendar = None
    if hours:
        from deskcli.store import calendar as cstore

        holidays = {date.fromisoformat(d) for d in cstore.holiday_days(desk.store)}
        workdays = {date.fromisoformat(d) for d in cstore.holiday_days(desk.store, True)}
        calendar = Calendar(parse_hours(hours), holidays, desk.tz, workdays)
    desk._calendar = calendar
    return calendar
