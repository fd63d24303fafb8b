"""Tickets, their CC lists, checklists, events and full-text index."""

import json

from deskcli.models import Ticket
from deskcli.plain import Record, new
from deskcli.store import OPEN_SQL, Store, fulltext

# The names of a ticket's type, customer and people come from scalar subqueries, not
# joins: PostgreSQL then plans the statement in 0.3 ms instead of 3 (1.6 instead of 6 in
# a new server process), as it no longer searches the orders of an eight-table join;
# SQLite runs both in the same time.
TICKET_SELECT = """
SELECT t.id, (SELECT key FROM ticket_types WHERE id = t.type_id) AS type, t.title, t.body,
       t.status, t.priority, (SELECT key FROM customers WHERE id = t.customer_id) AS customer,
       (SELECT login FROM users WHERE id = t.assignee_id) AS assignee,
       (SELECT login FROM users WHERE id = t.owner_id) AS owner,
       (SELECT login FROM users WHERE id = t.handler_id) AS handler,
       (SELECT login FROM users WHERE id = t.opened_by_id) AS opened_by,
       t.source, t.external_id, t.fields, t.created_at, t.updated_at, t.accept_due_at,
       t.resolve_due_at, t.accepted_at, t.resolved_at, t.closed_at, t.resolution,
       t.merged_into, t.nudges, (SELECT login FROM users WHERE id = t.approver_id) AS approver
FROM tickets t
"""

TICKET_COLUMNS = ("id", "type_id", "title", "body", "status", "priority", "customer_id",
                  "assignee_id", "owner_id", "handler_id", "opened_by_id", "approver_id", "source",
                  "external_id", "fields", "created_at", "updated_at", "accept_due_at",
                  "resolve_due_at")
_INSERT_TICKET = (f"INSERT INTO tickets ({', '.join(TICKET_COLUMNS)}) "
                  f"VALUES ({', '.join('?' * len(TICKET_COLUMNS))})")
_INSERT_EVENT = ("INSERT INTO events (ticket_id, at, actor_id, kind, from_value, to_value, "
                 "message, visibility, data) VALUES (?,?,?,?,?,?,?,?,?)")
PRIORITY_RANK = "CASE t.priority WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 " \
                "WHEN 'normal' THEN 1 ELSE 0 END"


# --- writing ------------------------------------------------------------------------------

def next_id(db: Store) -> int:
    """The next ticket id; call inside the write transaction (the lock makes it safe)."""
    return (db.scalar("SELECT max(id) FROM tickets") or 0) + 1


def insert_tickets(db: Store, rows: list[tuple]) -> None:
    """Insert ticket rows: tuples in TICKET_COLUMNS order, ids assigned by the caller."""
    db.many(_INSERT_TICKET, rows)


def insert_events(db: Store, rows: list[tuple]) -> None:
    """Events as (ticket_id, at, actor_id, kind, from, to, message, visibility, data)."""
    db.many(_INSERT_EVENT, rows)


def append_events(db: Store, rows: list[tuple]) -> list[int]:
    """Insert events and return their ids in order (for notices that refer to them). On
    PostgreSQL several go in one statement (one round trip): the row trigger numbers them
    largest + 1 in the order of the rows, under the desk's write lock, so their ids in
    ascending order are the rows' ids."""
    if db.dialect != "postgres" or len(rows) < 2:
        return [db.run(_INSERT_EVENT, row).lastrowid for row in rows]
    head, one = _INSERT_EVENT.split(" VALUES ")
    params = [value for row in rows for value in row]
    return sorted(r[0] for r in db.all(
        f"{head} VALUES {', '.join([one] * len(rows))} RETURNING id", params))


def insert_cc(db: Store, rows: list[tuple]) -> None:
    """CC entries as (ticket_id, dept_id, user_id); duplicates are ignored."""
    db.many("INSERT OR IGNORE INTO ticket_cc (ticket_id, dept_id, user_id) VALUES (?,?,?)", rows)


def insert_steps(db: Store, rows: list[tuple]) -> None:
    """Checklist steps as (ticket_id, position, text)."""
    db.many("INSERT INTO ticket_steps (ticket_id, position, text) VALUES (?,?,?)", rows)


def index_text(db: Store, rows: list[tuple]) -> None:
    """Full-text rows as (ticket_id, title_tokens, body_tokens)."""
    db.many("INSERT INTO ticket_fts (rowid, title, body) VALUES (?,?,?)", rows)


def text_pages(db: Store, size: int = 5000):
    """(id, title, body) of every ticket, in pages by id (for re-indexing a large desk)."""
    after = 0
    while True:
        page = db.all("SELECT id, title, body FROM tickets WHERE id > ? ORDER BY id LIMIT ?",
                      (after, size))
        if not page:
            return
        yield page
        after = page[-1][0]


def clear_text_index(db: Store) -> None:
    """Empty ticket_fts before every ticket is indexed again: dropped and created again
    from its own SQL (deleting a million rows one by one from an FTS5 table would take
    minutes)."""
    if db.dialect == "postgres":  # no FTS5 table to drop
        from deskcli.store.pg import search

        return search.delete_all(db, "ticket_fts")
    sql = db.scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'ticket_fts'")
    db.run("DROP TABLE ticket_fts")
    db.run(sql)


def reindex_text(db: Store, ticket_id: int, title_tokens: str, body_tokens: str) -> None:
    db.run("DELETE FROM ticket_fts WHERE rowid = ?", (ticket_id,))
    index_text(db, [(ticket_id, title_tokens, body_tokens)])


def external_ids_present(db: Store, external_ids: list[str]) -> dict[str, int]:
    """external_id -> ticket id of those already stored."""
    found = {}
    for start in range(0, len(external_ids), 500):
        chunk = external_ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        found.update((r[0], r[1]) for r in db.all(
            f"SELECT external_id, id FROM tickets WHERE external_id IN ({marks})", chunk))
    return found


# --- routing support ----------------------------------------------------------------------

# --- reading ------------------------------------------------------------------------------

def get(db: Store, ticket_id: int, *, events: bool = False) -> Ticket | None:
    one = (ticket_id,)
    # the ticket, its CC list, checklist and events: one round trip on PostgreSQL
    rows, cc, steps, *timeline = db.several([(TICKET_SELECT + " WHERE t.id = ?", one),
                                             (_CC_SQL.format(marks="?"), one),
                                             (_STEPS_SQL.format(marks="?"), one),
                                             *([(_EVENTS_SQL, one)] if events else [])])
    if not rows:
        return None
    ticket = _hydrate(db, rows, loaded=(cc, steps))[0]
    if events:
        ticket.events = _events(timeline[0])
    return ticket


_EVENTS_SQL = ("SELECT e.id, e.at, u.login AS actor, e.kind, e.from_value, e.to_value, "
               "e.message, e.visibility, e.data FROM events e "
               "LEFT JOIN users u ON u.id = e.actor_id WHERE e.ticket_id = ? ORDER BY e.id")


def ticket_events(db: Store, ticket_id: int) -> list[dict]:
    return _events(db.all(_EVENTS_SQL, (ticket_id,)))


def _events(rows) -> list[dict]:
    return [{"id": r["id"], "at": r["at"], "actor": r["actor"], "kind": r["kind"],
             "from": r["from_value"], "to": r["to_value"], "message": r["message"],
             "visibility": r["visibility"],
             "data": json.loads(r["data"]) if r["data"] else None} for r in rows]


_CC_SQL = ("SELECT c.ticket_id, coalesce(u.login, h.login) FROM ticket_cc c "
           "LEFT JOIN users u ON u.id = c.user_id "
           "LEFT JOIN departments d ON d.id = c.dept_id "
           "LEFT JOIN users h ON h.id = d.head_id "
           "WHERE c.ticket_id IN ({marks}) ORDER BY c.rowid")
_STEPS_SQL = ("SELECT s.ticket_id, s.position, s.text, s.done_at, u.login FROM ticket_steps s "
              "LEFT JOIN users u ON u.id = s.done_by_id "
              "WHERE s.ticket_id IN ({marks}) ORDER BY s.ticket_id, s.position")


def _hydrate(db: Store, rows, details: bool = True, loaded=None) -> list[Ticket]:
    """Tickets from their rows, with their CC lists and checklists (`details`), read now
    or already `loaded` as (CC rows, step rows)."""
    tickets = []
    for row in rows:
        data = dict(row)
        data["fields"] = json.loads(data["fields"])
        tickets.append(Ticket(**data))
    if not tickets or not details:
        return tickets
    by_id = {t.id: t for t in tickets}
    if loaded is None:
        marks, ids = ",".join("?" * len(by_id)), list(by_id)
        loaded = (db.all(_CC_SQL.format(marks=marks), ids),
                  db.all(_STEPS_SQL.format(marks=marks), ids))
    cc_rows, step_rows = loaded
    for r in cc_rows:
        if r[1] and r[1] not in by_id[r[0]].cc:
            by_id[r[0]].cc.append(r[1])
    for r in step_rows:
        by_id[r[0]].checklist.append({"step": r[1], "text": r[2], "done": r[3] is not None,
                                      "done_at": r[3], "done_by": r[4]})
    return tickets


class TicketQuery(Record):
    """Filters for `ticket list`, people already resolved to ids by the service."""

    ids: list[int] = new(list)
    statuses: list[str] = new(list)
    type_ids: list[int] = new(list)
    people: dict = new(dict)  # 'assignee'|'owner'|'handler' -> id | None
    customer_id: int | None = None
    cc_user_id: int | None = None
    fields: list[tuple[str, object]] = new(list)
    created_from: str | None = None
    created_to: str | None = None
    updated_from: str | None = None
    updated_to: str | None = None
    overdue_at: str | None = None
    match: str | None = None  # an FTS5 expression from deskcli.search.queries.filter_query
    visible_to: tuple | None = None  # ('client', id) or ('dept', id, dept_id)
    sort: str = "id"
    descending: bool = True
    after: tuple | None = None  # keyset cursor: (sort value, id)
    limit: int | None = 50
    details: bool = True  # load CC lists and checklists (the JSON formats show them)


SORTS = {
    "id": "t.id",
    "created": "t.created_at",
    "updated": "t.updated_at",
    "priority": PRIORITY_RANK,
    "status": "t.status",
    "due": "coalesce(t.accept_due_at, t.resolve_due_at, '9999')",
}


def cc_clause(user_param: str = "?") -> str:
    """Tickets CC'd to a user directly or to a department the user heads."""
    return (f"t.id IN (SELECT ticket_id FROM ticket_cc WHERE user_id = {user_param} "
            f"UNION SELECT ticket_id FROM ticket_cc WHERE dept_id IN "
            f"(SELECT id FROM departments WHERE head_id = {user_param}))")


def load(db: Store, ids: list[int], details: bool = True) -> list[Ticket]:
    """The tickets with these ids, in the order given, with their people, type, customer,
    and (with `details`) CC list and checklist (only these rows are joined)."""
    if not ids:
        return []
    rows = {r["id"]: r for r in db.all(
        TICKET_SELECT + f" WHERE t.id IN ({','.join('?' * len(ids))})", ids)}
    return _hydrate(db, [rows[i] for i in ids if i in rows], details)


def query(db: Store, q: TicketQuery) -> list[Ticket]:
    """Tickets matching the query, sorted, keyset-paged, at most q.limit."""
    return load(db, query_ids(db, q), q.details)


def query_ids(db: Store, q: TicketQuery) -> list[int]:
    """The ids of the tickets `query` would load, in its order."""
    if q.limit and q.sort == "id" and not q.match and q.cc_user_id is not None:
        return _ids_by_cc(db, q)
    if q.limit and q.sort == "id" and (q.match or len(q.statuses) > 1):
        # Newest-first pages of a text search or of several statuses: SQLite would
        # gather every match and sort it (hundreds of ms on a big desk); reading the
        # matches already in id order and stopping at the page is a few ms.
        return _ids_by_text(db, q) if q.match else _ids_by_status(db, q)
    # The page's ids come from the bare table (indexes only, a sort of ids at most), then
    # only those rows are joined to their people, type and customer.
    where, params = _where(db, q)
    order = SORTS[q.sort]
    direction = "DESC" if q.descending else "ASC"
    if q.after is not None:
        compare = "<" if q.descending else ">"
        if q.sort == "id":
            where.append(f"t.id {compare} ?")
            params.append(q.after[1])
        else:
            where.append(f"({order}, t.id) {compare} (?, ?)")
            params += list(q.after)
    sql = "SELECT t.id FROM tickets t" + (" WHERE " + " AND ".join(where) if where else "")
    sql += f" ORDER BY {order} {direction}" + ("" if q.sort == "id" else f", t.id {direction}")
    if q.limit:
        sql += f" LIMIT {int(q.limit)}"
    return [r[0] for r in db.all(sql, params)]


def _variant(q: TicketQuery, **changes) -> TicketQuery:
    return TicketQuery(**{**{name: getattr(q, name) for name in q._fields}, **changes})


def _page_ids(db: Store, q: TicketQuery) -> list[int]:
    """Ids of one page of a query sorted by id (keyset cursor included)."""
    where, params = _where(db, q)
    if q.after is not None:
        where.append("t.id < ?" if q.descending else "t.id > ?")
        params.append(q.after[1])
    direction = "DESC" if q.descending else "ASC"
    sql = "SELECT t.id FROM tickets t" + (" WHERE " + " AND ".join(where) if where else "")
    sql += f" ORDER BY t.id {direction} LIMIT {int(q.limit)}"
    return [r[0] for r in db.all(sql, params)]


def _ids_by_status(db: Store, q: TicketQuery) -> list[int]:
    """One indexed, id-ordered page per status, merged."""
    ids: list[int] = []
    for status in q.statuses:
        ids += _page_ids(db, _variant(q, statuses=[status]))
    return sorted(ids, reverse=q.descending)[:q.limit]


def _ids_by_cc(db: Store, q: TicketQuery) -> list[int]:
    """Tickets CC'd to a user, directly or as the head of a CC'd department: one page per
    source, each read from a (source, ticket) index in id order, then merged. (A head of
    a department on every ticket of a type can be CC'd on hundreds of thousands.)"""
    rest = _variant(q, cc_user_id=None)
    where, params = _where(db, rest)
    if q.after is not None:
        where.append("t.id < ?" if q.descending else "t.id > ?")
        params.append(q.after[1])
    direction = "DESC" if q.descending else "ASC"
    sources = [("user_id", q.cc_user_id)] + [
        ("dept_id", r[0]) for r in db.all("SELECT id FROM departments WHERE head_id = ?",
                                          (q.cc_user_id,))]
    ids: set[int] = set()
    for column, value in sources:
        sql = (f"SELECT c.ticket_id FROM ticket_cc c JOIN tickets t ON t.id = c.ticket_id "
               f"WHERE c.{column} = ?" + "".join(f" AND {w}" for w in where) +
               f" ORDER BY c.ticket_id {direction} LIMIT {int(q.limit)}")
        ids.update(r[0] for r in db.all(sql, [value, *params]))
    return sorted(ids, reverse=q.descending)[:q.limit]


def _ids_by_text(db: Store, q: TicketQuery, chunk: int = 500) -> list[int]:
    """Walk the full-text matches in id order, a chunk at a time, keeping those that
    pass the other filters, until the page is full."""
    direction = "DESC" if q.descending else "ASC"
    bound = q.after[1] if q.after is not None else None
    rest = _variant(q, match=None, after=None, limit=chunk)
    found: list[int] = []
    while len(found) < q.limit:
        sql, params = fulltext.rowids(db, "ticket_fts", q.match)
        if bound is not None:
            sql += " AND ticket_fts.rowid < ?" if q.descending else " AND ticket_fts.rowid > ?"
            params.append(bound)
        matches = [r[0] for r in db.all(
            sql + f" ORDER BY ticket_fts.rowid {direction} LIMIT {chunk}", params)]
        if not matches:
            break
        rest.ids = matches
        found += _page_ids(db, rest)
        bound = matches[-1]
        if len(matches) < chunk:
            break
    return found[:q.limit]


# A person's open work (the dashboard). Three sections are index ranges of their own; the
# two that can hold any of the person's tickets (overdue, nudged) are read in one pass over
# their open work, from the open-work indexes alone (m011). Each ticket comes once: from the
# owner index, else the handler index, else the assignee index, so nothing has to sort
# thousands of rows to drop duplicates.
_WORK_COLUMNS = ("id, status, assignee_id, owner_id, handler_id, accept_due_at, resolve_due_at, "
                 "nudges")
_MY_OPEN_WORK = (
    f"SELECT {_WORK_COLUMNS} FROM tickets WHERE owner_id = :me AND status IN {OPEN_SQL} "
    f"UNION ALL SELECT {_WORK_COLUMNS} FROM tickets WHERE handler_id = :me "
    f"AND status IN {OPEN_SQL} AND owner_id IS NOT :me "
    f"UNION ALL SELECT {_WORK_COLUMNS} FROM tickets WHERE assignee_id = :me "
    f"AND status IN {OPEN_SQL} AND owner_id IS NOT :me AND handler_id IS NOT :me")
_WORK_RANGES = {
    "to_accept": "assignee_id = :me AND status = 'assigned'",
    "in_progress": "owner_id = :me AND status IN ('in_progress', 'waiting')",
    # the OPEN_SQL term lets SQLite use the partial (covering) open-work index
    "handling": f"handler_id = :me AND status IN {OPEN_SQL} "
                "AND status IN ('in_progress', 'waiting') AND owner_id IS NOT :me",
}
_OVERDUE = ("((status IN ('new', 'assigned') AND accept_due_at < :now) "
            "OR (status = 'in_progress' AND resolve_due_at < :now))")


def open_work(db: Store, user_id: int, now: str, limit: int) -> dict[str, tuple[int, list]]:
    """A person's open tickets as assignee, owner or handler, by dashboard section
    (to_accept, in_progress, handling, overdue, nudged): {section: (how many, the newest
    `limit` ids)}."""
    params = {"me": user_id, "now": now}
    queries = []  # (one round trip on PostgreSQL)
    for where in _WORK_RANGES.values():
        queries += [(f"SELECT count(*) FROM tickets WHERE {where}", params),
                    (f"SELECT id FROM tickets WHERE {where} ORDER BY id DESC "
                     f"LIMIT {int(limit)}", params)]
    *ranges, late = db.several([*queries, (
        f"SELECT id, {_OVERDUE}, nudges > 0 FROM ({_MY_OPEN_WORK}) AS work "
        f"WHERE {_OVERDUE} OR nudges > 0 ORDER BY id DESC", params)])
    result = {name: (ranges[2 * i][0][0], [r[0] for r in ranges[2 * i + 1]])
              for i, name in enumerate(_WORK_RANGES)}
    found = {"overdue": [0, []], "nudged": [0, []]}  # [how many, newest ids]
    for ticket_id, *flags in late:
        for section, flag in zip(found.values(), flags, strict=True):
            if flag:
                section[0] += 1
                if len(section[1]) < limit:
                    section[1].append(ticket_id)
    result.update((name, tuple(section)) for name, section in found.items())
    return result


def sort_value(db: Store, q: TicketQuery, ticket_id: int):
    """The sort key of a ticket, for building the next page's cursor."""
    if q.sort == "id":
        return ticket_id
    return db.scalar(f"SELECT {SORTS[q.sort]} FROM tickets t WHERE t.id = ?", (ticket_id,))


def count(db: Store, q: TicketQuery, cap: int | None = None) -> int:
    """How many tickets match; with `cap`, counting stops there (dashboards show 1000+)."""
    if cap and q.cc_user_id is not None and not q.match:
        return len(_ids_by_cc(db, _variant(q, limit=cap, after=None, sort="id")))
    where, params = _where(db, q)
    sql = "SELECT 1 FROM tickets t" + (" WHERE " + " AND ".join(where) if where else "")
    if cap:
        sql += f" LIMIT {int(cap)}"
    return db.scalar(f"SELECT count(*) FROM ({sql}) AS matched", params)


# a --field filter on PostgreSQL: the stored value as SQLite's json_extract compares it
_PG_FIELD_EQUALS = ("(CASE jsonb_typeof(t.fields::jsonb -> ?) WHEN 'boolean' "
                    "THEN ((t.fields::jsonb ->> ?)::boolean)::int::text "
                    "ELSE t.fields::jsonb ->> ? END) = ?")


def _where(db: Store, q: TicketQuery) -> tuple[list[str], list]:
    where, params = [], []
    if q.ids:
        where.append(f"t.id IN ({','.join('?' * len(q.ids))})")
        params += q.ids
    if q.statuses:
        where.append(f"t.status IN ({','.join('?' * len(q.statuses))})")
        params += q.statuses
    if q.type_ids:
        where.append(f"t.type_id IN ({','.join('?' * len(q.type_ids))})")
        params += q.type_ids
    for role, user_id in q.people.items():
        if user_id is None:
            where.append(f"t.{role}_id IS NULL")
        else:
            where.append(f"t.{role}_id = ?")
            params.append(user_id)
    if q.customer_id is not None:
        where.append("t.customer_id = ?")
        params.append(q.customer_id)
    if q.cc_user_id is not None:
        where.append(cc_clause())
        params += [q.cc_user_id, q.cc_user_id]
    for name, value in q.fields:
        key = name.replace('"', '')
        if db.dialect == "postgres":
            # json_extract gives text here; SQLite's gives a number, and 1/0 for a boolean
            where.append(_PG_FIELD_EQUALS)
            params += [key, key, key, str(value)]
        else:
            where.append("json_extract(t.fields, ?) = ?")
            params += ['$."' + key + '"', value]
    for column, bound, op in (("created_at", q.created_from, ">="),
                              ("created_at", q.created_to, "<"),
                              ("updated_at", q.updated_from, ">="),
                              ("updated_at", q.updated_to, "<")):
        if bound:
            where.append(f"t.{column} {op} ?")
            params.append(bound)
    if q.overdue_at and (q.people or q.customer_id is not None or q.ids
                         or q.cc_user_id is not None):
        # another filter picks few tickets: check their due times row by row (the unary
        # + keeps SQLite from walking the status index for the OR instead)
        where.append("((+t.status IN ('new', 'assigned') AND t.accept_due_at < ?) OR "
                     "(+t.status = 'in_progress' AND t.resolve_due_at < ?))")
        params += [q.overdue_at, q.overdue_at]
    elif q.overdue_at:
        # named partial indexes: without statistics SQLite prefers the status index and
        # reads every open ticket
        where.append("t.id IN (SELECT id FROM tickets INDEXED BY tickets_accept_due "
                     "WHERE status IN ('new', 'assigned') AND accept_due_at IS NOT NULL "
                     "AND accept_due_at < ? UNION ALL "
                     "SELECT id FROM tickets INDEXED BY tickets_resolve_due "
                     "WHERE status = 'in_progress' AND resolve_due_at IS NOT NULL "
                     "AND resolve_due_at < ?)")
        params += [q.overdue_at, q.overdue_at]
    if q.match:
        sql, more = fulltext.rowids(db, "ticket_fts", q.match)
        where.append(f"t.id IN ({sql})")
        params += more
    if q.visible_to:
        clause, more = visible_where(q.visible_to)
        where.append(clause)
        params += more
    return where, params


def visible_where(visible_to: tuple) -> tuple[str, list]:
    """The condition on `tickets t` for tickets an actor may see (Desk.visibility)."""
    if visible_to[0] == "client":
        return "t.opened_by_id = ?", [visible_to[1]]
    _, me, dept_id = visible_to
    return ("(t.status = 'new' OR "
            "? IN (t.opened_by_id, t.assignee_id, t.owner_id, t.handler_id) OR "
            "EXISTS (SELECT 1 FROM users u WHERE u.dept_id = ? AND u.id IN "
            "(t.opened_by_id, t.assignee_id, t.owner_id, t.handler_id)) OR "
            + cc_clause() + ")", [me, dept_id, me, me])
