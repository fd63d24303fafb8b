"""Reports (SPEC §8): summary, SLA, agents, fields and trend, over one desk or several.

Each report function takes the open desks (`open_desks`), a `Period` and `Filters`, reads
each desk in one read transaction, and returns a `Report` (see deskcli.reports.model for
the shape and the definitions every report shares). Nothing here prints or formats.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from deskcli.reports.model import (
    STATUSES,
    Column,
    Filters,
    Period,
    Report,
    Section,
    Source,
    bar_chart,
    between,
    check_filters,
    close_desks,
    new_report,
    open_desks,
    percentile,
    period,
    scope,
    seconds,
    share,
    sum_rows,
    with_desk,
    working_time,
)
from deskcli.reports.trends import fields, trend, trend_period
from deskcli.store import reports as rs

__all__ = ["Filters", "Period", "Report", "Source", "agents", "close_desks", "fields",
           "open_desks", "period", "sla", "summary", "trend", "trend_period"]

COUNTS = ["opened", "accepted", "resolved", "closed", "reopened", "backlog", "overdue"]


# --- summary --------------------------------------------------------------------------------

def summary(sources: list[Source], p: Period, filters: Filters) -> Report:
    """Opened, accepted, resolved, closed, reopened in the period and the backlog (with
    how much of it is overdue) at its end, by type; tickets opened by status now."""
    check_filters(sources, filters)
    report = new_report("summary", "Summary", sources, p, filters)
    multi = len(sources) > 1
    rows, desk_rows = [], []
    statuses = dict.fromkeys(STATUSES, 0)
    for src in sources:
        sc = scope(src, filters, report.notes)
        if sc is None:
            continue
        per: dict[int, dict] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
        with src.db.read():
            names = rs.type_names(src.db)
            for type_id, status, n in rs.opened_by_status(src.db, p.since_s, p.until_s, sc):
                per[type_id]["opened"] += n
                statuses[status] = statuses.get(status, 0) + n
            for type_id, measure, n in rs.event_counts(src.db, p.since_s, p.until_s, sc):
                per[type_id][measure] += n
            for type_id, n, overdue in rs.backlog(src.db, p.until_s, sc):
                per[type_id]["backlog"] += n
                per[type_id]["overdue"] += overdue or 0
            for type_id in sc.type_ids:  # a named type is shown even when all zero
                per.setdefault(type_id, dict.fromkeys(COUNTS, 0))
        mine = sorted(({**({"desk": src.label} if multi else {}), "type": names[t][0], **c}
                       for t, c in per.items()), key=lambda r: r["type"])
        rows += mine
        desk_rows.append(sum_rows(mine, COUNTS, {"desk": src.label}))
    columns = with_desk([Column("type", "text")] + [Column(k) for k in COUNTS], multi)
    label = {"desk": "TOTAL", "type": None} if multi else {"type": "TOTAL"}
    labels = [f"{r['desk']} / {r['type']}" if multi else r["type"] for r in rows]
    report.sections.append(Section(
        "rows", "By type", columns, rows, sum_rows(rows, COUNTS, label),
        chart=bar_chart(labels, {"Opened": [r["opened"] for r in rows],
                                 "Resolved": [r["resolved"] for r in rows],
                                 "Backlog": [r["backlog"] for r in rows]}),
        note="Counts are tickets: opened, accepted, resolved, closed (incl. rejected and "
             "merged) and reopened in the period; backlog and overdue at its end."))
    opened = sum(statuses.values())
    report.sections.append(Section(
        "by_status", "Tickets opened in the period, by status now",
        [Column("status", "text"), Column("count"), Column("share", "share")],
        [{"status": s, "count": n, "share": share(n, opened)} for s, n in statuses.items()
         if n],
        {"status": "TOTAL", "count": opened, "share": share(opened, opened)}))
    if multi:
        report.sections.append(Section("by_desk", "By desk", [Column("desk", "text")] +
                                       [Column(k) for k in COUNTS], desk_rows,
                                       sum_rows(desk_rows, COUNTS, {"desk": "TOTAL"})))
    return report


# --- SLA ------------------------------------------------------------------------------------

class SlaGroup:
    """Acceptance and resolution figures of one group of tickets."""

    def __init__(self):
        self.accept = [0, 0]  # tickets counted against an accept SLA, of which met
        self.resolve = [0, 0]
        self.accept_times: list[int] = []
        self.resolve_times: list[int] = []

    def row(self) -> dict:
        return {
            "accepted": len(self.accept_times), "accept_sla": self.accept[0],
            "accept_met": self.accept[1], "accept_share": share(self.accept[1], self.accept[0]),
            "accept_median": seconds(percentile(self.accept_times, 0.5)),
            "accept_p90": seconds(percentile(self.accept_times, 0.9)),
            "resolved": len(self.resolve_times), "resolve_sla": self.resolve[0],
            "resolve_met": self.resolve[1],
            "resolve_share": share(self.resolve[1], self.resolve[0]),
            "resolve_median": seconds(percentile(self.resolve_times, 0.5)),
            "resolve_p90": seconds(percentile(self.resolve_times, 0.9))}


SLA_COLUMNS = [Column("accepted"), Column("accept_sla"), Column("accept_met"),
               Column("accept_share", "share"), Column("accept_median", "duration"),
               Column("accept_p90", "duration"), Column("resolved"), Column("resolve_sla"),
               Column("resolve_met"), Column("resolve_share", "share"),
               Column("resolve_median", "duration"), Column("resolve_p90", "duration")]


def sla(sources: list[Source], p: Period, filters: Filters, worst: int = 10) -> Report:
    """Share of tickets accepted and resolved within their SLA, by type and department;
    median and 90th percentile times; the worst breaches."""
    check_filters(sources, filters)
    report = new_report("sla", "SLA compliance", sources, p, filters)
    multi = len(sources) > 1
    cells: dict[tuple, SlaGroup] = defaultdict(SlaGroup)  # (desk, type, dept) -> figures
    breaches = []
    until = int(p.until.timestamp())
    for src in sources:
        sc = scope(src, filters, report.notes)
        if sc is None:
            continue
        fn = working_time(src.desk, p)
        with src.db.read():
            names = rs.type_names(src.db)
            depts = {k: v[2] for k, v in rs.people(src.db).items()}
            _sla_rows(src, fn, names, depts, cells, breaches, until,
                      rs.sla_accept(src.db, p.since_s, p.until_s, sc),
                      rs.sla_resolve(src.db, p.since_s, p.until_s, sc))
    by_type, by_dept, by_desk = (_merge(cells, key) for key in (
        lambda c: (c[0], c[1]), lambda c: (c[0], c[2]), lambda c: c[0]))
    total = _merge(cells, lambda c: None).get(None, SlaGroup())
    first = with_desk([Column("type", "text")], multi)
    type_rows = [{**({"desk": k[0]} if multi else {}), "type": k[1], **g.row()}
                 for k, g in sorted(by_type.items())]
    totals = {**({"desk": "TOTAL", "type": None} if multi else {"type": "TOTAL"}), **total.row()}
    labels = [f"{r['desk']} / {r['type']}" if multi else r["type"] for r in type_rows]
    report.sections.append(Section(
        "rows", "By type", first + SLA_COLUMNS, type_rows, totals,
        chart=bar_chart(labels, {"Accepted within SLA": [r["accept_share"] for r in type_rows],
                                 "Resolved within SLA": [r["resolve_share"]
                                                         for r in type_rows]}, unit="share"),
        note="accept_sla/resolve_sla: tickets accepted/resolved in the period with an SLA, "
             "plus those still open whose due time passed in it (breached); times run from "
             "opening (or approval); resolve times leave out time waiting on the customer."))
    dept_rows = [{**({"desk": k[0]} if multi else {}), "dept": k[1], **g.row()}
                 for k, g in sorted(by_dept.items(), key=lambda kv: (kv[0][0], kv[0][1] or "~"))]
    report.sections.append(Section(
        "by_dept", "By department (the owner's, or the assignee's)",
        with_desk([Column("dept", "text")], multi) + SLA_COLUMNS, dept_rows,
        {**({"desk": "TOTAL", "dept": None} if multi else {"dept": "TOTAL"}), **total.row()}))
    report.sections.append(_breaches(breaches, worst, multi))
    if multi:
        rows = [{"desk": d, **g.row()} for d, g in by_desk.items()]
        report.sections.append(Section("by_desk", "By desk", [Column("desk", "text")] +
                                       SLA_COLUMNS, rows, {"desk": "TOTAL", **total.row()}))
    return report


def _sla_rows(src, fn, names, depts, cells, breaches, until, accept, resolve) -> None:
    """Add one desk's acceptance and resolution rows to the (desk, type, dept) cells."""
    for ticket, type_id, person, start, accepted, due in accept:
        g = cells[(src.label, names[type_id][0], depts.get(person))]
        if accepted is not None:
            g.accept_times.append(between(fn, start, accepted))
        if due is not None:
            g.accept[0] += 1
            if accepted is not None and accepted <= due:
                g.accept[1] += 1
            else:
                late = between(fn, due, accepted if accepted is not None else until)
                breaches.append((late, src, ticket, names[type_id][0], "accept", due))
    for ticket, type_id, person, start, resolved, due, paused in resolve:
        g = cells[(src.label, names[type_id][0], depts.get(person))]
        if resolved is not None:
            g.resolve_times.append(max(between(fn, start, resolved) - (paused or 0), 0))
        if due is not None:
            g.resolve[0] += 1
            if resolved is not None and resolved <= due:
                g.resolve[1] += 1
            else:
                late = between(fn, due, resolved if resolved is not None else until)
                breaches.append((late, src, ticket, names[type_id][0], "resolve", due))


def _merge(cells: dict[tuple, SlaGroup], key) -> dict:
    """Pool the (desk, type, dept) cells into groups by key(cell)."""
    groups: dict = defaultdict(SlaGroup)
    for cell, figures in cells.items():
        g = groups[key(cell)]
        for mine, theirs in ((g.accept, figures.accept), (g.resolve, figures.resolve)):
            mine[0] += theirs[0]
            mine[1] += theirs[1]
        g.accept_times += figures.accept_times
        g.resolve_times += figures.resolve_times
    return groups


def _breaches(breaches: list, worst: int, multi: bool) -> Section:
    from deskcli import clock

    breaches.sort(key=lambda b: (-b[0], b[1].label, b[2]))
    chosen = breaches[:worst]
    briefs: dict = {}
    for src in {id(b[1]): b[1] for b in chosen}.values():
        briefs[src.label] = rs.ticket_briefs(src.db, [b[2] for b in chosen if b[1] is src])
    rows = []
    for late, src, ticket, type_key, which, due in chosen:
        brief = briefs[src.label].get(ticket, {})
        rows.append({**({"desk": src.label} if multi else {}), "ticket": ticket,
                     "type": type_key, "sla": which, "person": brief.get("person"),
                     "due_at": clock.stamp(datetime.fromtimestamp(due, UTC)),
                     "late_by": late, "status": brief.get("status"),
                     "title": brief.get("title")})
    columns = with_desk([Column("ticket"), Column("type", "text"), Column("sla", "text"),
                         Column("person", "text"), Column("due_at", "stamp"),
                         Column("late_by", "duration"), Column("status", "text"),
                         Column("title", "text", free=True)], multi)
    return Section("breaches", f"Worst breaches (top {worst})", columns, rows,
                   note=f"{len(breaches)} breaches in the period; late_by is counted to the "
                        "acceptance or resolution, or to the end of the period if still open.")


# --- agents ---------------------------------------------------------------------------------

AGENT_COUNTS = ["accepted", "resolved", "reopened", "transferred", "nudged", "escalated"]


class AgentGroup:
    """One person's figures (or a desk's, or everyone's)."""

    def __init__(self):
        self.counts = dict.fromkeys(AGENT_COUNTS, 0)
        self.rated = self.score = 0
        self.accept_times: list[int] = []
        self.resolve_times: list[int] = []

    def add(self, other: AgentGroup, counts: bool = True) -> None:
        if counts:
            for k, n in other.counts.items():
                self.counts[k] += n
        self.rated += other.rated
        self.score += other.score
        self.accept_times += other.accept_times
        self.resolve_times += other.resolve_times

    def row(self) -> dict:
        return {**self.counts,
                "accept_median": seconds(percentile(self.accept_times, 0.5)),
                "resolve_median": seconds(percentile(self.resolve_times, 0.5)),
                "rated": self.rated,
                "satisfaction": round(self.score / self.rated, 2) if self.rated else None}


def agents(sources: list[Source], p: Period, filters: Filters) -> Report:
    """Per person: tickets accepted, resolved, reopened (of theirs), transfers away,
    nudges received, escalations about them, median times to accept and resolve, average
    satisfaction."""
    check_filters(sources, filters)
    report = new_report("agents", "Agent performance", sources, p, filters)
    multi = len(sources) > 1
    rows, total, desk_rows = [], AgentGroup(), []
    for src in sources:
        sc = scope(src, filters, report.notes, ticket_dept=False)
        if sc is None:
            continue
        people, per, desk_total = _agent_figures(src, p, sc, filters.dept)
        mine = [{**({"desk": src.label} if multi else {}), "agent": people[person][0],
                 "name": people[person][1], "dept": people[person][2], **group.row()}
                for person, group in per.items()]
        mine.sort(key=lambda r: (-r["resolved"], -r["accepted"], r["agent"]))
        rows += mine
        desk_rows.append({"desk": src.label, **desk_total.row()})
        total.add(desk_total)
    keys = [*AGENT_COUNTS, "accept_median", "resolve_median", "rated", "satisfaction"]
    kinds = {"accept_median": "duration", "resolve_median": "duration", "satisfaction": "score"}
    columns = with_desk([Column("agent", "text"), Column("name", "text", free=True),
                         Column("dept", "text")] +
                        [Column(k, kinds.get(k, "int")) for k in keys], multi)
    label = {"desk": "TOTAL", "agent": None} if multi else {"agent": "TOTAL"}
    labels = [f"{r['desk']} / {r['agent']}" if multi else r["agent"] for r in rows]
    report.sections.append(Section(
        "rows", "By person", columns, rows, {**label, "name": None, "dept": None, **total.row()},
        chart=bar_chart(labels, {"Accepted": [r["accepted"] for r in rows],
                                 "Resolved": [r["resolved"] for r in rows]}),
        note="accept_median: from when the ticket was offered to them (assigned, queued, "
             "reopened) to their acceptance; resolve_median: from acceptance to their "
             "resolution, without time waiting on the customer; reopened: tickets they "
             "resolved that were reopened in the period; nudged: nudges they received; "
             "escalated: escalations to their manager about them; satisfaction: average "
             "rating (1-5) of their tickets."))
    if multi:
        report.sections.append(Section(
            "by_desk", "By desk", [Column("desk", "text")] +
            [Column(k, kinds.get(k, "int")) for k in keys], desk_rows,
            {"desk": "TOTAL", **total.row()}))
    return report


def _agent_figures(src: Source, p: Period, sc, dept: str | None):
    """(people, {person id: figures}, the desk's figures) of one desk: staff only, of the
    department `dept` when given. Ticket counts are distinct tickets, counted by SQLite."""
    fn = working_time(src.desk, p)
    per: dict[int, AgentGroup] = defaultdict(AgentGroup)
    desk_total = AgentGroup()
    db = src.db
    with db.read():
        people = rs.people(db)
        by_login = {v[0]: k for k, v in people.items()}
        dept_id = rs.dept_id(db, dept) if dept else None
        for measure, actor, n in rs.agent_counts(db, p.since_s, p.until_s, sc, dept_id):
            (per[actor] if actor is not None else desk_total).counts[measure] += n
        for actor, _ticket, at, offered in rs.accepts(db, p.since_s, p.until_s, sc):
            if offered is not None:
                per[actor].accept_times.append(between(fn, offered, at))
        for actor, _ticket, at, accepted, paused in rs.resolves(db, p.since_s, p.until_s, sc):
            if accepted is not None:
                per[actor].resolve_times.append(max(between(fn, accepted, at) - (paused or 0),
                                                    0))
        reopened: dict = defaultdict(set)
        for resolver, ticket in rs.reopens(db, p.since_s, p.until_s, sc):
            reopened[resolver].add(ticket)
        for kind, login, n in rs.person_events(db, p.since_s, p.until_s, sc):
            per[by_login.get(login)].counts[kind] += n
        for owner, n, score in rs.satisfaction(db, p.since_s, p.until_s, sc):
            per[owner].rated += n
            per[owner].score += score
    for resolver, tickets in reopened.items():
        per[resolver].counts["reopened"] += len(tickets)
    kept = {person: group for person, group in per.items()
            if person in people and people[person][3] == "staff"
            and (not dept or people[person][2] == dept)}
    desk_total.counts["reopened"] = len(set().union(
        *(tickets for person, tickets in reopened.items() if person in kept)))
    for group in kept.values():
        for k in ("transferred", "nudged", "escalated"):
            desk_total.counts[k] += group.counts[k]
        desk_total.add(group, counts=False)
    return people, kept, desk_total
