"""The reports over values and time: `fields` (a type's tickets by custom field, against
the previous period) and `trend` (tickets per day, week or month). See deskcli.reports.queries."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from deskcli.errors import Invalid, NotFound
from deskcli.reports.model import (
    Column,
    Filters,
    Period,
    Report,
    Section,
    Source,
    bar_chart,
    check_filters,
    new_report,
    period,
    scope,
    share,
    sum_rows,
    with_desk,
)
from deskcli.store import reports as rs

# --- fields ---------------------------------------------------------------------------------

def fields(sources: list[Source], p: Period, filters: Filters, by: list[str],
           limit: int = 30) -> Report:
    """Tickets of one type opened in the period, broken down by one or more custom fields,
    with shares and the change against the previous period of the same length."""
    if len(filters.types) != 1:
        raise Invalid("the fields report needs exactly one --type",
                      "e.g. deskcli report fields --type app-crash --by phone_model")
    if not by:
        raise Invalid("name the field(s) to break down by with --by FIELD",
                      f"see them with `deskcli type show {filters.types[0]}`")
    check_filters(sources, filters)
    previous = p.previous()
    report = new_report("fields", f"{filters.types[0]} by {', '.join(by)}", sources, p,
                        filters, {"by": by, "previous_since": previous.since_s})
    multi = len(sources) > 1
    rows, combined = [], defaultdict(lambda: [0, 0])
    for src in sources:
        sc = scope(src, filters, report.notes)
        if sc is None:
            continue
        kinds = _field_kinds(src, filters.types[0], by)
        with src.db.read():
            now = rs.field_counts(src.db, p.since_s, p.until_s, sc, by)
            before = rs.field_counts(src.db, previous.since_s, previous.until_s, sc, by)
        counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        for *values, n in now:
            counts[_values(values, kinds)][0] += n
        for *values, n in before:
            counts[_values(values, kinds)][1] += n
        for values, (n, m) in counts.items():
            combined[values][0] += n
            combined[values][1] += m
        rows += _field_rows(counts, by, limit, {"desk": src.label} if multi else {})
    columns = with_desk([Column(name, "text") for name in by] +
                        [Column("count"), Column("share", "share"), Column("previous"),
                         Column("change", "change"), Column("change_pct", "pct")], multi)
    combined_rows = _field_rows(combined, by, limit, {})
    main = rows if multi else combined_rows
    main_total = _field_total(combined_rows, {"desk": "TOTAL"} if multi else {}, by)
    labels = [" / ".join(str(r[k]) if r[k] is not None else "(empty)"
                         for k in (["desk"] if multi else []) + by) for r in main]
    report.sections.append(Section(
        "rows", f"{filters.types[0]} by {', '.join(by)}", columns, main, main_total,
        chart=bar_chart(labels, {"This period": [r["count"] for r in main],
                                 "Previous period": [r["previous"] for r in main]}),
        note=f"share: of the period's {filters.types[0]} tickets; previous: the same "
             f"length before (from {_local(previous.since, sources)} to "
             f"{_local(previous.until, sources)}); rows beyond --limit are summed as "
             "(other)."))
    if multi:
        report.sections.append(Section(
            "combined", "All desks together", columns[1:], combined_rows,
            _field_total(combined_rows, {}, by)))
    return report


def _local(moment: datetime, sources: list[Source]) -> str:
    from deskcli import clock

    return clock.local_minutes(moment, sources[0].desk.tz)


def _field_kinds(src: Source, type_key: str, by: list[str]) -> list[str]:
    from deskcli.store import types as ts

    ttype = ts.type_by_key(src.db, type_key)
    kinds = []
    for name in by:
        fdef = ttype.field(name)
        if fdef is None:
            known = ", ".join(f.name for f in ttype.fields) or "none"
            raise NotFound(f"ticket type {type_key} has no field {name!r} on {src.label}",
                           f"its fields: {known}")
        kinds.append(fdef.kind)
    return kinds


def _values(values: list, kinds: list[str]) -> tuple:
    return tuple(bool(v) if k == "bool" and v is not None else v
                 for v, k in zip(values, kinds, strict=True))


def _field_rows(counts: dict, by: list[str], limit: int, lead: dict) -> list[dict]:
    total = sum(n for n, _ in counts.values())
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1][0], -kv[1][1],
                                                     [str(v) for v in kv[0]]))
    if limit and len(ordered) > limit:
        rest = ordered[limit - 1:]
        ordered = ordered[:limit - 1] + [(("(other)",) + (None,) * (len(by) - 1),
                                          [sum(c[0] for _, c in rest),
                                           sum(c[1] for _, c in rest)])]
    return [{**lead, **dict(zip(by, values, strict=True)), **_change(n, m, total)}
            for values, (n, m) in ordered]


def _change(n: int, m: int, total: int) -> dict:
    return {"count": n, "share": share(n, total), "previous": m, "change": n - m,
            "change_pct": share(n - m, m)}


def _field_total(rows: list[dict], lead: dict, by: list[str]) -> dict:
    n, m = sum(r["count"] for r in rows), sum(r["previous"] for r in rows)
    return {**lead, **{name: None for name in by}, by[0]: "TOTAL", **_change(n, m, n)}


# --- trend ----------------------------------------------------------------------------------

TREND = ["opened", "accepted", "resolved", "closed", "reopened"]
DEFAULT_BUCKETS = {"day": 30, "week": 13, "month": 12}


def trend_period(desk, since: str | None, until: str | None, by: str) -> Period:
    """The trend's period: --since/--until, or the last 30 days / 13 weeks / 12 months
    (whole days, weeks from Monday, months from the 1st, in the desk's time zone)."""
    p = period(desk, None, until)
    if since:
        return period(desk, since, until)
    tz = desk.tz
    last = (p.until - timedelta(seconds=1)).astimezone(tz)
    start = _floor(last, by)
    for _ in range(DEFAULT_BUCKETS[by] - 1):
        start = _floor(start - timedelta(days=1), by)
    return Period(start.astimezone(UTC), p.until)


def _floor(moment: datetime, by: str) -> datetime:
    day = moment.date()
    if by == "week":
        day -= timedelta(days=day.weekday())
    elif by == "month":
        day = day.replace(day=1)
    return datetime(day.year, day.month, day.day, tzinfo=moment.tzinfo)


def _next(start: datetime, by: str) -> datetime:
    if by == "day":
        day = start.date() + timedelta(days=1)
    elif by == "week":
        day = start.date() + timedelta(days=7)
    else:
        day = (start.date().replace(day=28) + timedelta(days=4)).replace(day=1)
    return datetime(day.year, day.month, day.day, tzinfo=start.tzinfo)


def buckets(p: Period, by: str, tz) -> list[tuple[str, str]]:
    """(label, start as a stored timestamp) of each day/week/month of the period in the
    zone; the first bucket starts at `since` even when that is not at a boundary."""
    from deskcli import clock

    out = []
    start = _floor(p.since.astimezone(tz), by)
    while start < p.until:
        label = start.strftime("%Y-%m" if by == "month" else "%Y-%m-%d")
        out.append((label, clock.stamp(max(start, p.since))))
        start = _next(start, by)
    return out


def trend(sources: list[Source], p: Period, filters: Filters, by: str = "day") -> Report:
    """Opened, accepted, resolved, closed and reopened tickets per day, week or month."""
    if by not in DEFAULT_BUCKETS:
        raise Invalid(f"--by must be day, week or month, not {by!r}")
    check_filters(sources, filters)
    report = new_report("trend", f"Trend by {by}", sources, p, filters, {"by": by})
    multi = len(sources) > 1
    rows = []
    combined: dict[str, dict] = {}
    for src in sources:
        sc = scope(src, filters, report.notes)
        marks = buckets(p, by, src.desk.tz)
        ends = [m[1] for m in marks[1:]] + [p.until_s]
        counts = [dict.fromkeys(TREND, 0) for _ in marks]
        if sc is not None:
            bounds = [(i, m[1], end) for i, (m, end) in enumerate(zip(marks, ends, strict=True))]
            with src.db.read():
                for index, measure, n in rs.trend_counts(src.db, bounds, sc):
                    counts[index][measure] += n
        for (label, _start), c in zip(marks, counts, strict=True):
            rows.append({**({"desk": src.label} if multi else {}), by: label, **c})
            into = combined.setdefault(label, {by: label, **dict.fromkeys(TREND, 0)})
            for k in TREND:
                into[k] += c[k]
    columns = [Column(by, "text")] + [Column(k) for k in TREND]
    combined_rows = [combined[k] for k in sorted(combined)]
    chart = {"type": "lines", "unit": "count", "labels": [r[by] for r in combined_rows],
             "max": max([r[k] for r in combined_rows for k in ("opened", "resolved")] or [1])
             or 1,
             "series": [{"name": k.capitalize(), "values": [r[k] for r in combined_rows]}
                        for k in ("opened", "resolved")]}
    label = {"desk": "TOTAL", by: None} if multi else {by: "TOTAL"}
    report.sections.append(Section(
        "rows", f"By {by}", with_desk(columns, multi), rows, sum_rows(rows, TREND, label),
        chart=None if multi else chart,
        note="Counts are tickets per bucket (a ticket resolved on two days counts on each)."))
    if multi:
        report.sections.append(Section("combined", "All desks together", columns,
                                       combined_rows, sum_rows(combined_rows, TREND,
                                                               {by: "TOTAL"}), chart=chart))
    return report
