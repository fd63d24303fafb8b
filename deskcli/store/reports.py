"""The SQL of the reports (deskcli.reports.queries turns these rows into report tables).

Every query reads one period [since, until) of stored timestamps (RFC 3339 UTC text, so
text order is time order) and is written so that a 30-day window of a desk with 1,000,000
tickets stays fast: periods of events are read through the `events(kind, at)` index,
periods of tickets through `tickets(created_at)` / `tickets(type_id, created_at)`, and
open tickets through the status and due-time indexes. Tickets are never scanned whole.

A `Scope` narrows a report: ticket types (ids) and a department. A ticket belongs to the
department of its owner, or of its assignee while nobody has accepted it.

Times come back as Unix seconds (`strftime('%s', ...)`), so durations are subtractions.
"""

from dataclasses import dataclass, field

from deskcli.store import Store

OPEN_SQL = "('awaiting_approval', 'new', 'assigned', 'in_progress', 'waiting')"
# events that end a ticket's open life, and the one that starts it again
FINISH_KINDS = ("resolved", "closed", "rejected", "merged")
REOPEN_KINDS = ("reopened",)
# events after which a ticket waits for someone to accept it (the "offer")
OFFER_KINDS = ("opened", "assigned", "reassigned", "queued", "declined", "approved",
               "reopened", "departed")


def _rows(db: Store, sql: str, params=()) -> list[tuple]:
    """Plain tuples (a report reads tens of thousands of rows; sqlite3.Row costs more)."""
    if db.dialect == "postgres":  # its connection has no sqlite3 cursor to set up
        return [tuple(row) for row in db.conn.execute(sql, params).fetchall()]
    cursor = db.conn.cursor()
    cursor.row_factory = None
    return cursor.execute(sql, params).fetchall()


def _iter(db: Store, sql: str, params=()):
    """Plain tuples, one at a time: long periods stay flat in memory."""
    if db.dialect == "postgres":
        return (tuple(row) for row in db.conn.execute(sql, params))
    cursor = db.conn.cursor()
    cursor.row_factory = None
    return cursor.execute(sql, params)


def _indexed_by(db: Store, index: str) -> str:
    """SQLite's index hint; PostgreSQL has none (its planner keeps statistics)."""
    return f" INDEXED BY {index}" if db.dialect == "sqlite" else ""


def _marks(values) -> str:
    return ",".join("?" * len(values))


def _epoch(column: str) -> str:
    return f"CAST(strftime('%s', {column}) AS INTEGER)"


@dataclass
class Scope:
    """What a report covers: ticket type ids (empty: all) and a department id."""

    type_ids: list[int] = field(default_factory=list)
    dept_id: int | None = None

    def where(self, alias: str = "t") -> tuple[str, list]:
        """SQL conditions on a tickets alias (starting with ' AND', or empty)."""
        sql, params = "", []
        if self.type_ids:
            sql += f" AND {alias}.type_id IN ({_marks(self.type_ids)})"
            params += self.type_ids
        if self.dept_id is not None:
            sql += (f" AND coalesce({alias}.owner_id, {alias}.assignee_id) IN "
                    "(SELECT id FROM users WHERE dept_id = ?)")
            params.append(self.dept_id)
        return sql, params


# --- the desk's vocabulary ------------------------------------------------------------------

def people(db: Store) -> dict[int, tuple]:
    """id -> (login, name, dept key, kind) of every user and access client."""
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in db.all(
        "SELECT u.id, u.login, u.name, d.key, u.kind FROM users u "
        "LEFT JOIN departments d ON d.id = u.dept_id")}


def type_names(db: Store) -> dict[int, tuple[str, str]]:
    """type id -> (key, name)."""
    return {r[0]: (r[1], r[2]) for r in db.all("SELECT id, key, name FROM ticket_types")}


def dept_id(db: Store, key: str) -> int | None:
    return db.scalar("SELECT id FROM departments WHERE key = ?", (key,))


def desk_title(db: Store) -> str | None:
    return db.scalar("SELECT value FROM settings WHERE key = 'desk.name'")


# --- summary --------------------------------------------------------------------------------

def opened_by_status(db: Store, since: str, until: str, scope: Scope) -> list[tuple]:
    """(type_id, current status, count) of the tickets opened in the period."""
    where, params = scope.where("t")
    return _rows(db, "SELECT t.type_id, t.status, count(*) FROM tickets t "
                 f"WHERE t.created_at >= ? AND t.created_at < ?{where} "
                 "GROUP BY t.type_id, t.status", [since, until, *params])


def event_counts(db: Store, since: str, until: str, scope: Scope) -> list[tuple]:
    """(type_id, measure, tickets) for the measures accepted, resolved, closed (closed,
    rejected or merged) and reopened: how many distinct tickets had that event."""
    kinds = ("accepted", "resolved", *FINISH_KINDS[1:], *REOPEN_KINDS)
    where, params = scope.where("t")
    return _rows(db,
                 "SELECT t.type_id, CASE WHEN e.kind IN ('rejected', 'merged') THEN 'closed' "
                 "ELSE e.kind END AS measure, count(DISTINCT e.ticket_id) "
                 "FROM events e JOIN tickets t ON t.id = e.ticket_id "
                 f"WHERE e.kind IN ({_marks(kinds)}) AND e.at >= ? AND e.at < ?{where} "
                 "GROUP BY t.type_id, measure", [*kinds, since, until, *params])


def _overdue_at(alias: str = "t") -> str:
    """1 when the ticket was past its due time at the moment bound to :u (the rule of
    `ticket list --overdue`: not yet accepted and past the accept due time, or in progress
    and past the resolve due time; waiting on the customer is never overdue)."""
    t = alias
    return (f"CASE WHEN {t}.status IN ('new', 'assigned') OR {t}.accepted_at IS NULL "
            f"OR {t}.accepted_at >= :u "
            f"THEN CASE WHEN {t}.accept_due_at < :u THEN 1 ELSE 0 END "
            f"ELSE CASE WHEN {t}.status <> 'waiting' AND {t}.resolve_due_at < :u THEN 1 "
            f"ELSE 0 END END")  # (a comparison is a boolean on PostgreSQL, not 0/1)


def backlog(db: Store, until: str, scope: Scope) -> list[tuple]:
    """(type_id, open tickets, overdue) at the moment `until`.

    A ticket was open at `until` if it was opened before it and its last finishing
    (resolved, closed, rejected, merged) or reopening event before `until` was not a
    finishing one. Tickets with no such event since `until` are open exactly when their
    status is open now, which the status index answers; only tickets finished or reopened
    since `until` need their history read."""
    kinds = (*FINISH_KINDS, *REOPEN_KINDS)
    where, params = scope.where("t")
    named = {f"k{i}": k for i, k in enumerate(kinds)}
    kind_list = ",".join(f":k{i}" for i in range(len(kinds)))
    named_scope = {f"s{i}": p for i, p in enumerate(params)}
    for i in range(len(params)):
        where = where.replace("?", f":s{i}", 1)
    later = f"SELECT ticket_id FROM events WHERE kind IN ({kind_list}) AND at >= :u"
    last_kind = (f"(SELECT e2.kind FROM events e2 WHERE e2.ticket_id = t.id AND e2.kind IN "
                 f"({kind_list}) AND e2.at < :u ORDER BY e2.at DESC, e2.id DESC LIMIT 1)")
    sql = (
        f"SELECT type_id, count(*), sum(overdue) FROM ("
        f"  SELECT t.type_id, {_overdue_at()} AS overdue FROM tickets t"
        f"  WHERE t.status IN {OPEN_SQL} AND t.created_at < :u{where}"
        f"    AND t.id NOT IN ({later})"
        f"  UNION ALL"
        f"  SELECT t.type_id, {_overdue_at()} FROM tickets t"
        f"  WHERE t.id IN ({later}) AND t.created_at < :u{where}"
        f"    AND coalesce({last_kind}, 'reopened') = 'reopened'"
        f") backlog GROUP BY type_id")
    return _rows(db, sql, {"u": until, **named, **named_scope})


# --- SLA ------------------------------------------------------------------------------------

_PERSON = "coalesce(t.owner_id, t.assignee_id)"


def _start(db: Store) -> str:
    """When a ticket's SLA clocks started: its approval, if it needed one, else its
    opening. Most desks approve nothing, and then the per-ticket lookup is skipped."""
    if db.scalar("SELECT 1 FROM events WHERE kind = 'approved' LIMIT 1") is None:
        return "t.created_at"
    return ("coalesce((SELECT min(a.at) FROM events a WHERE a.ticket_id = t.id "
            "AND a.kind = 'approved'), t.created_at)")


def sla_accept(db: Store, since: str, until: str, scope: Scope):
    """Tickets whose acceptance counts in the period: accepted in it, or still waiting to
    be accepted and past the accept due time that fell in it. Yields (id, type_id, person,
    start, accepted, accept_due), times as Unix seconds (accepted None: not yet)."""
    where, params = scope.where("t")
    columns = (f"t.id, t.type_id, {_PERSON}, {_epoch(_start(db))}, "
               f"{_epoch('t.accepted_at')}, {_epoch('t.accept_due_at')}")
    yield from _iter(db,
        f"SELECT {columns} FROM tickets t WHERE t.id IN (SELECT ticket_id FROM events "
        "WHERE kind = 'accepted' AND at >= ? AND at < ?) "
        f"AND t.accepted_at >= ? AND t.accepted_at < ?{where}",
        [since, until, since, until, *params])
    # without statistics SQLite would pick the status index and read every open ticket
    for row in _iter(db,
            f"SELECT {columns} FROM tickets t{_indexed_by(db, 'tickets_accept_due')} "
            "WHERE t.status IN ('new', 'assigned') AND t.accept_due_at IS NOT NULL "
            f"AND t.accept_due_at >= ? AND t.accept_due_at < ?{where}",
            [since, until, *params]):
        yield (*row[:4], None, row[5])


def sla_resolve(db: Store, since: str, until: str, scope: Scope):
    """Tickets whose resolution counts in the period: resolved in it, or open and past the
    resolve due time that fell in it (waiting on the customer pauses the clock, so a
    waiting ticket counts only if it was already late when it started waiting). Yields
    (id, type_id, person, start, resolved, resolve_due, paused seconds), times as Unix
    seconds."""
    where, params = scope.where("t")
    columns = (f"t.id, t.type_id, {_PERSON}, {_epoch(_start(db))}, "
               f"{_epoch('t.resolved_at')}, {_epoch('t.resolve_due_at')}, t.paused_seconds")
    yield from _iter(db,
        f"SELECT {columns} FROM tickets t WHERE t.id IN (SELECT ticket_id FROM events "
        "WHERE kind = 'resolved' AND at >= ? AND at < ?) "
        f"AND t.resolved_at >= ? AND t.resolved_at < ?{where}",
        [since, until, since, until, *params])
    # the OPEN_SQL term lets the planner use the partial index of open tickets
    for row in _iter(db,
            f"SELECT {columns} FROM tickets t WHERE t.status IN {OPEN_SQL} "
            "AND t.status IN ('new', 'assigned', 'in_progress', 'waiting') "
            "AND t.resolve_due_at >= ? AND t.resolve_due_at < ? "
            f"AND (t.status <> 'waiting' OR t.waiting_since > t.resolve_due_at){where}",
            [since, until, *params]):
        yield (*row[:4], None, *row[5:])


def ticket_briefs(db: Store, ids: list[int]) -> dict[int, dict]:
    """id -> title, status, owner/assignee login of a few tickets (for the worst lists)."""
    if not ids:
        return {}
    return {r[0]: {"title": r[1], "status": r[2], "person": r[3]} for r in db.all(
        "SELECT t.id, t.title, t.status, u.login FROM tickets t LEFT JOIN users u "
        f"ON u.id = coalesce(t.owner_id, t.assignee_id) WHERE t.id IN ({_marks(ids)})", ids)}


# --- agents ---------------------------------------------------------------------------------

def accepts(db: Store, since: str, until: str, scope: Scope) :
    """(actor, ticket, accepted, offered) for each acceptance in the period; `offered` is
    when the ticket last became theirs to take (assigned, queued, reopened ...)."""
    where, params = scope.where("t")
    # `+o.kind`: read the ticket's few events from the (ticket_id, ...) index rather than
    # seeking once per kind (SQLite's hint; PostgreSQL has no unary + on text)
    kind = "+o.kind" if db.dialect == "sqlite" else "o.kind"
    offer = (f"(SELECT max(o.at) FROM events o WHERE o.ticket_id = e.ticket_id AND o.id < e.id "
             f"AND {kind} IN ({_marks(OFFER_KINDS)}))")
    return _iter(db,
        f"SELECT e.actor_id, e.ticket_id, {_epoch('e.at')}, {_epoch(offer)} "
        "FROM events e JOIN tickets t ON t.id = e.ticket_id "
        f"WHERE e.kind = 'accepted' AND e.at >= ? AND e.at < ?{where}",
        [*OFFER_KINDS, since, until, *params])


def resolves(db: Store, since: str, until: str, scope: Scope) :
    """(actor, ticket, resolved, accepted, paused seconds) for each resolution in the
    period (accepted: the ticket's current acceptance, None if after the resolution)."""
    where, params = scope.where("t")
    return _iter(db,
        f"SELECT e.actor_id, e.ticket_id, {_epoch('e.at')}, "
        f"CASE WHEN t.accepted_at <= e.at THEN {_epoch('t.accepted_at')} END, "
        "t.paused_seconds FROM events e JOIN tickets t ON t.id = e.ticket_id "
        f"WHERE e.kind = 'resolved' AND e.at >= ? AND e.at < ?{where}",
        [since, until, *params])


def agent_counts(db: Store, since: str, until: str, scope: Scope,
                 dept: int | None = None) -> list[tuple]:
    """(measure, actor, distinct tickets) for accepted and resolved in the period, and
    (measure, None, distinct tickets) over everyone (of the department `dept`): counted in
    SQLite, from the (kind, at, ticket_id, actor_id) index alone."""
    where, params = scope.where("t")
    join = " JOIN tickets t ON t.id = e.ticket_id" if where else ""
    if dept is not None:
        where += " AND e.actor_id IN (SELECT id FROM users WHERE dept_id = ?)"
        params = [*params, dept]
    base = (f"FROM events e{join} WHERE e.kind IN ('accepted', 'resolved') AND e.at >= ? "
            f"AND e.at < ?{where}")
    return _rows(db,
        f"SELECT e.kind, e.actor_id, count(DISTINCT e.ticket_id) {base} "
        f"GROUP BY e.kind, e.actor_id UNION ALL "
        f"SELECT e.kind, NULL, count(DISTINCT e.ticket_id) {base} GROUP BY e.kind",
        [since, until, *params, since, until, *params])


def reopens(db: Store, since: str, until: str, scope: Scope) -> list[tuple]:
    """(person who resolved it last before, ticket) for each reopening in the period."""
    where, params = scope.where("t")
    resolver = ("(SELECT r.actor_id FROM events r WHERE r.ticket_id = e.ticket_id "
                "AND r.kind = 'resolved' AND r.id < e.id ORDER BY r.id DESC LIMIT 1)")
    return _rows(db,
        f"SELECT {resolver}, e.ticket_id FROM events e JOIN tickets t ON t.id = e.ticket_id "
        f"WHERE e.kind = 'reopened' AND e.at >= ? AND e.at < ?{where}",
        [since, until, *params])


PERSON_KINDS = ("transferred", "nudged", "escalated")


def person_events(db: Store, since: str, until: str, scope: Scope) -> list[tuple]:
    """(kind, login, count) of the period's events about a person: transfers by who handed
    the ticket away, nudges by who was nudged, escalations by who was escalated about. Read
    from the partial index of these events (automatic nudges can be many)."""
    where, params = scope.where("t")
    join = " JOIN tickets t ON t.id = e.ticket_id" if where else ""
    return _rows(db,
        "SELECT e.kind, CASE e.kind WHEN 'nudged' THEN e.to_value ELSE e.from_value END "
        f"AS who, count(*) FROM events e{join} WHERE e.kind IN {PERSON_KINDS!r} "
        f"AND e.at >= ? AND e.at < ?{where} GROUP BY e.kind, who",
        [since, until, *params])


def satisfaction(db: Store, since: str, until: str, scope: Scope) -> list[tuple]:
    """(owner, ratings, sum of scores) of the ratings given in the period."""
    where, params = scope.where("t")
    # SQLite's CROSS JOIN keeps ratings (by their `at` index) as the outer loop;
    # PostgreSQL takes no ON after a CROSS JOIN, and plans the order itself
    cross = "CROSS JOIN" if db.dialect == "sqlite" else "JOIN"
    return _rows(db, "SELECT t.owner_id, count(*), sum(r.score) FROM ratings r "
                 f"{cross} tickets t ON t.id = r.ticket_id WHERE r.at >= ? AND r.at < ?"
                 f"{where} GROUP BY t.owner_id", [since, until, *params])


# --- fields ---------------------------------------------------------------------------------

def field_counts(db: Store, since: str, until: str, scope: Scope,
                 names: list[str]) -> list[tuple]:
    """(value of each field ..., count) of the tickets opened in the period."""
    where, params = scope.where("t")
    values = ", ".join(f"json_extract(t.fields, ?) AS v{i}" for i in range(len(names)))
    groups = ", ".join(f"v{i}" for i in range(len(names)))
    paths = ['$."' + name.replace('"', '""') + '"' for name in names]
    return _rows(db, f"SELECT {values}, count(*) FROM tickets t WHERE t.created_at >= ? "
                 f"AND t.created_at < ?{where} GROUP BY {groups}",
                 [*paths, since, until, *params])


# --- trend ----------------------------------------------------------------------------------

def trend_counts(db: Store, bounds: list[tuple[int, str, str]], scope: Scope) -> list[tuple]:
    """(bucket, measure, tickets) for buckets given as (index, from, to): tickets opened,
    and distinct tickets accepted, resolved, closed (closed, rejected, merged) and reopened
    in each. The buckets are the outer loop, so each reads one range of an index and the
    counting stays inside SQLite however long the period."""
    if not bounds:
        return []
    where, params = scope.where("t")
    values = ", ".join("(?, ?, ?)" for _ in bounds)
    flat = [v for bound in bounds for v in bound]
    kinds = ("accepted", "resolved", *FINISH_KINDS[1:], *REOPEN_KINDS)
    join = " JOIN tickets t ON t.id = e.ticket_id" if where else ""
    opened = _rows(db,
        f"WITH b(i, lo, hi) AS (VALUES {values}) SELECT b.i, 'opened', count(*) "
        f"FROM b CROSS JOIN tickets t WHERE t.created_at >= b.lo AND t.created_at < b.hi"
        f"{where} GROUP BY b.i", [*flat, *params])
    events = _rows(db,
        f"WITH b(i, lo, hi) AS (VALUES {values}) SELECT b.i, CASE WHEN e.kind IN "
        "('rejected', 'merged') THEN 'closed' ELSE e.kind END AS measure, "
        f"count(DISTINCT e.ticket_id) FROM b CROSS JOIN events e{join} "
        f"WHERE e.kind IN ({_marks(kinds)}) AND e.at >= b.lo AND e.at < b.hi{where} "
        "GROUP BY b.i, measure", [*flat, *kinds, *params])
    return opened + events


def read_only(db: Store) -> None:
    """Refuse every write on this connection (reports only read; a group view opens other
    brands' desks and must not change them)."""
    db.conn.execute("PRAGMA query_only = 1")
