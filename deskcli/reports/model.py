"""The shape of a report and the arithmetic shared by every report (see deskcli.reports.queries).

A report is a `Report`: a period, the desks it covers, and sections (the main one first),
each a list of rows (dicts with snake_case keys) with typed columns, totals and an
optional chart. The same object is rendered to every format (deskcli.reports.output), so
the numbers agree everywhere. Over several desks (the group view) each row carries a
`desk` column and the totals pool every desk: medians and percentiles are computed from
all the underlying durations, never averaged from per-desk figures.

Definitions (also in each command's --help):
  * a ticket's department is its owner's, or its assignee's while nobody has accepted it;
  * counts of accepted/resolved/closed/reopened are of tickets (a ticket resolved twice in
    the period counts once); closed includes rejected and merged tickets;
  * durations are working seconds when the desk has business hours (the `business-hours`
    setting and holidays), else wall-clock seconds; time waiting on the customer is left
    out of resolve times;
  * medians and percentiles interpolate linearly between the closest ranks (the method of
    Excel's PERCENTILE.INC and numpy's default).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from deskcli import clock
from deskcli.errors import Invalid, NotFound
from deskcli.policy import require
from deskcli.store import reports as rs

STATUSES = ("awaiting_approval", "new", "assigned", "in_progress", "waiting", "resolved",
            "closed")
MEASURES = ("accepted", "resolved", "closed", "reopened")
DEFAULT_DAYS = 30


# --- the shape of a report ------------------------------------------------------------------

@dataclass
class Column:
    key: str
    kind: str = "int"  # text, int, share, duration, score, change, pct, stamp
    title: str | None = None  # header for people (default: the key in capitals)
    free: bool = False  # free text (a name, a title): cut first when a table is too wide

    @property
    def header(self) -> str:
        return self.title or self.key.upper().replace("_", " ")

    @property
    def numeric(self) -> bool:
        return self.kind not in ("text", "stamp")


@dataclass
class Section:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict]
    totals: dict | None = None
    chart: dict | None = None
    note: str | None = None

    def to_dict(self) -> dict:
        return {"key": self.key, "title": self.title, "note": self.note,
                "columns": [{"key": c.key, "kind": c.kind, "header": c.header,
                             "free": c.free}
                            for c in self.columns],
                "rows": self.rows, "totals": self.totals, "chart": self.chart}


@dataclass
class Report:
    name: str
    title: str
    desks: list[dict]
    since: str
    until: str
    timezone: str
    filters: dict
    sections: list[Section] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    generated_at: str = field(default_factory=lambda: clock.stamp())
    locale: str = "en"  # of the words for people (deskcli.reports.locale); not in JSON

    @property
    def main(self) -> Section:
        return self.sections[0]

    def section(self, key: str) -> Section:
        for section in self.sections:
            if section.key == key:
                return section
        raise Invalid(f"the {self.name} report has no section {key!r}",
                      f"sections: {', '.join(s.key for s in self.sections)}")

    def to_dict(self) -> dict:
        """The JSON contract: the period, the desks, the main rows and totals, every other
        section's rows under its key, and notes."""
        data = {"report": self.name, "title": self.title, "desks": self.desks,
                "since": self.since, "until": self.until, "timezone": self.timezone,
                "generated_at": self.generated_at, "filters": self.filters,
                "rows": self.main.rows, "totals": self.main.totals}
        for section in self.sections[1:]:
            data[section.key] = section.rows
            if section.totals is not None:
                data[f"{section.key}_totals"] = section.totals
        data["notes"] = self.notes
        return data


# --- numbers --------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float | None:
    """The q-th quantile (0..1) by linear interpolation between closest ranks; None for
    no values. percentile(v, 0.5) is the median."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def seconds(value: float | None) -> int | None:
    return None if value is None else int(round(value))


def share(part: int, whole: int) -> float | None:
    return None if not whole else round(part / whole, 4)


def human(value, kind: str) -> str:
    """A value as people read it (tables, Markdown, HTML); '-' when there is none."""
    if value is None:
        return "-"
    if kind == "share":
        return f"{value * 100:.1f}%"
    if kind == "pct":
        return f"{value * 100:+.1f}%" if abs(value) < 0.1 else f"{value * 100:+.0f}%"
    if kind == "duration":
        return duration(value)
    if kind == "score":
        return f"{value:.2f}"
    if kind == "change":
        return f"{value:+d}" if value else "0"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


DURATION_FORMS = {"en": ("{}s", "{}m", "{}h {:02d}m", "{}d {}h"),
                  "zh": ("{}秒", "{}分钟", "{}小时{:02d}分", "{}天{}小时")}


def duration(total: float, locale: str = "en") -> str:
    """Seconds as '45s', '12m', '3h 05m', '2d 4h' (rounded to the unit shown); in Chinese
    '45秒', '12分钟', '3小时05分', '2天4小时'."""
    secs, mins, hours_minutes, days_hours = DURATION_FORMS.get(locale, DURATION_FORMS["en"])
    total = int(round(total))
    sign = "-" if total < 0 else ""
    total = abs(total)
    if total < 60:
        return sign + secs.format(total)
    minutes = (total + 30) // 60
    if minutes < 60:
        return sign + mins.format(minutes)
    if minutes < 24 * 60:
        return sign + hours_minutes.format(minutes // 60, minutes % 60)
    hours = (total + 1800) // 3600
    return sign + days_hours.format(hours // 24, hours % 24)


# --- desks and periods ----------------------------------------------------------------------

@dataclass
class Source:
    """One desk in a report: its label (the desk column) and the open Desk."""

    label: str
    path: str
    desk: object

    @property
    def db(self):
        return self.desk.store


def open_desks(specs: list[tuple[str, object]], login: str, login_source: str) -> list[Source]:
    """Open each desk read-only (after bringing its schema up to date) as `login`, who must
    be allowed to run reports on every one of them."""
    from deskcli.desk import Desk
    from deskcli.store import Store

    sources = []
    try:
        for label, path in specs:
            store = Store.open(path)
            sources.append(Source(label, str(path), Desk(store, login, login_source)))
            rs.read_only(store)
            actor = sources[-1].desk.actor
            require(actor, "report.view", f"run reports on the desk {label}")
    except BaseException:
        close_desks(sources)
        raise
    return sources


def close_desks(sources: list[Source]) -> None:
    for source in sources:
        source.desk.close()


@dataclass
class Period:
    since: datetime
    until: datetime
    padded: bool = False  # until is now + 1 s, so that this very second counts

    @property
    def since_s(self) -> str:
        return clock.stamp(self.since)

    @property
    def until_s(self) -> str:
        return clock.stamp(self.until)

    def previous(self) -> Period:
        """The period of the same length just before (the padding second left out)."""
        length = self.until - self.since - timedelta(seconds=1 if self.padded else 0)
        try:
            return Period(self.since - length, self.since)
        except OverflowError:  # a period that starts near the year 1: the one before is cut
            return Period(datetime.min.replace(tzinfo=self.since.tzinfo), self.since)


def period(desk, since: str | None, until: str | None, days: int = DEFAULT_DAYS) -> Period:
    """The report's period [since, until): human dates in the desk's time zone; until
    defaults to now (a date means the end of that day), since to `days` before now."""
    # without --until the period includes this very second (a ticket opened just now)
    end = clock.parse_when(until, desk.tz, end_of_day=True) if until else \
        clock.now() + timedelta(seconds=1)
    try:
        start = clock.parse_when(since, desk.tz) if since else \
            end - timedelta(days=days, seconds=0 if until else 1)
    except OverflowError:
        raise Invalid(f"--until {until} leaves no room for {days} days before it",
                      "give a later --until, or a --since") from None
    if start >= end:
        raise Invalid(f"the period is empty: --since {clock.stamp(start)} is not before "
                      f"--until {clock.stamp(end)}", "give an earlier --since or later --until")
    return Period(start, end, padded=not until)


@dataclass
class Filters:
    types: list[str] = field(default_factory=list)
    dept: str | None = None

    def to_dict(self) -> dict:
        return {"type": self.types or None, "dept": self.dept}


def scope(source: Source, filters: Filters, notes: list[str],
          ticket_dept: bool = True) -> rs.Scope | None:
    """The store Scope of the filters on one desk; None (with a note) when the desk has
    none of the named types or not the department, so it contributes nothing."""
    db = source.db
    result = rs.Scope()
    if filters.types:
        known = {key: type_id for type_id, (key, _name) in rs.type_names(db).items()}
        missing = [t for t in filters.types if t not in known]
        result.type_ids = [known[t] for t in filters.types if t in known]
        if missing:
            notes.append(f"{source.label}: no ticket type {', '.join(missing)}")
        if not result.type_ids:
            return None
    if filters.dept:
        dept_id = rs.dept_id(db, filters.dept)
        if dept_id is None:
            notes.append(f"{source.label}: no department {filters.dept}")
            return None
        if ticket_dept:
            result.dept_id = dept_id
    return result


def check_filters(sources: list[Source], filters: Filters) -> None:
    """A type or department that no desk knows is a typo: say so (exit 3)."""
    for key in filters.types:
        if not any(key in {k for k, _ in rs.type_names(s.db).values()} for s in sources):
            raise NotFound(f"no ticket type {key!r}", "see `deskcli type list`")
    if filters.dept and not any(rs.dept_id(s.db, filters.dept) for s in sources):
        raise NotFound(f"no department {filters.dept!r}", "see `deskcli dept list`")


def working_time(desk, p: Period | None = None):
    """How long between two Unix times counts for SLA durations on this desk: working
    seconds when the desk has business hours (deskcli.reminders.sla's calendar: hours and
    holidays in the desk's zone), else None, meaning wall-clock seconds."""
    from deskcli.reminders import sla

    calendar = sla.calendar_for(desk)
    if calendar is None:
        return None
    if p is None:
        return lambda start, end: calendar.working_seconds(
            datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC))
    return WorkingClock(calendar, p).between


class WorkingClock:
    """Working seconds between two moments in O(1): cumulative working time per day of
    the desk's calendar, from three years before the period to its end (moments outside
    that fall back to the calendar's own day-by-day count). A report measures tens of
    thousands of intervals; counting each one day by day would take seconds."""

    YEARS_BACK = 3

    def __init__(self, calendar, p: Period):
        self.calendar = calendar
        tz = calendar.tz
        first = (p.since.astimezone(tz) - timedelta(days=366 * self.YEARS_BACK)).date()
        last = p.until.astimezone(tz).date() + timedelta(days=1)
        self.first = first.toordinal()
        self.spans: list[list[tuple[float, float]]] = []
        self.before = [0.0]  # working seconds of the days before each day
        for ordinal in range(self.first, last.toordinal() + 1):
            day = date.fromordinal(ordinal)
            spans = [(datetime.combine(day, a, tz).timestamp(),
                      datetime.combine(day, b, tz).timestamp())
                     for a, b in calendar.hours_of(day)]
            self.spans.append(spans)
            self.before.append(self.before[-1] + sum(b - a for a, b in spans))

    def _upto(self, moment: int) -> float | None:
        index = datetime.fromtimestamp(moment, self.calendar.tz).date().toordinal() - self.first
        if not 0 <= index < len(self.spans):
            return None
        return self.before[index] + sum(min(b, moment) - a for a, b in self.spans[index]
                                        if moment > a)

    def between(self, start: int, end: int) -> int:
        if end <= start:
            return 0
        a, b = self._upto(start), self._upto(end)
        if a is None or b is None:
            return self.calendar.working_seconds(datetime.fromtimestamp(start, UTC),
                                                 datetime.fromtimestamp(end, UTC))
        return int(b - a)


def between(fn, start: int | None, end: int | None) -> int | None:
    if start is None or end is None:
        return None
    return fn(start, end) if fn else end - start


def new_report(name: str, title: str, sources: list[Source], p: Period,
               filters: Filters, extra: dict | None = None) -> Report:
    first = sources[0].desk
    return Report(
        name=name, title=title,
        desks=[{"name": s.label, "path": s.path, "title": rs.desk_title(s.db)}
               for s in sources],
        since=p.since_s, until=p.until_s, timezone=first.setting("timezone") or "UTC",
        filters={**filters.to_dict(), **(extra or {})},
        locale=first.setting("locale") or "en")


def with_desk(columns: list[Column], multi: bool) -> list[Column]:
    return ([Column("desk", "text")] if multi else []) + columns


def sum_rows(rows: list[dict], keys: list[str], label: dict) -> dict:
    return {**label, **{k: sum(r.get(k) or 0 for r in rows) for k in keys}}


def bar_chart(labels: list[str], series: dict[str, list], unit: str = "count",
              limit: int = 20) -> dict | None:
    """A horizontal bar chart of the first `limit` rows (drawn by the HTML template)."""
    if not labels:
        return None
    top = max([v for values in series.values() for v in values[:limit] if v] or [1])
    return {"type": "bars", "unit": unit, "labels": labels[:limit], "max": top,
            "series": [{"name": name, "values": values[:limit]}
                       for name, values in series.items()]}
