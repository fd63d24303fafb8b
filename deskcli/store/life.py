"""Changing tickets through their life, and what hangs off them: CC, checklist ticks,
attachments, links, tags, time worked, ratings, saved views."""

import json

from deskcli.store import OPEN_SQL, Store
from deskcli.store.tickets import load

OPEN = ("awaiting_approval", "new", "assigned", "in_progress", "waiting")
TICKET_UPDATABLE = {"status", "priority", "title", "body", "fields", "assignee_id", "owner_id",
                    "handler_id", "approver_id", "updated_at", "accept_due_at",
                    "resolve_due_at", "accepted_at", "resolved_at", "closed_at",
                    "waiting_since", "paused_seconds", "nudges", "last_nudged_at",
                    "resolution", "merged_into", "escalations"}


def raw(db: Store, ticket_id: int):
    """Every column of a ticket, people as ids."""
    return db.one("SELECT * FROM tickets WHERE id = ?", (ticket_id,))


def update(db: Store, ticket_id: int, changes: dict, expect: dict | None = None) -> bool:
    """Compare-and-set update: applies `changes` only if the columns in `expect` still hold
    those values (None means IS NULL). Returns whether the row changed — the loser of a
    race sees False."""
    unknown = set(changes) - TICKET_UPDATABLE
    if unknown:
        raise ValueError(f"cannot update tickets.{', '.join(sorted(unknown))}")
    sets = ", ".join(f"{column} = ?" for column in changes)
    where, params = ["id = ?"], [*changes.values(), ticket_id]
    for column, value in (expect or {}).items():
        if value is None:
            where.append(f"{column} IS NULL")
        else:
            where.append(f"{column} = ?")
            params.append(value)
    cursor = db.run(f"UPDATE tickets SET {sets} WHERE {' AND '.join(where)}", params)
    return cursor.rowcount == 1


def is_cc(db: Store, ticket_id: int, user_id: int) -> bool:
    return db.one("SELECT 1 FROM ticket_cc c LEFT JOIN departments d ON d.id = c.dept_id "
                  "WHERE c.ticket_id = ? AND (c.user_id = ? OR d.head_id = ?)",
                  (ticket_id, user_id, user_id)) is not None


def remove_cc(db: Store, ticket_id: int, dept_id: int | None, user_id: int | None) -> bool:
    return db.run("DELETE FROM ticket_cc WHERE ticket_id = ? AND coalesce(dept_id, 0) = ? "
                  "AND coalesce(user_id, 0) = ?",
                  (ticket_id, dept_id or 0, user_id or 0)).rowcount > 0


def has_cc(db: Store, ticket_id: int, dept_id: int | None, user_id: int | None) -> bool:
    return db.one("SELECT 1 FROM ticket_cc WHERE ticket_id = ? AND coalesce(dept_id, 0) = ? "
                  "AND coalesce(user_id, 0) = ?",
                  (ticket_id, dept_id or 0, user_id or 0)) is not None


def cc_refs(db: Store, ticket_id: int) -> list[tuple[int | None, int | None]]:
    return [(r[0], r[1]) for r in db.all(
        "SELECT dept_id, user_id FROM ticket_cc WHERE ticket_id = ? ORDER BY rowid",
        (ticket_id,))]


# --- checklist ----------------------------------------------------------------------------

def steps(db: Store, ticket_id: int):
    return db.all("SELECT position, text, done_at FROM ticket_steps WHERE ticket_id = ? "
                  "ORDER BY position", (ticket_id,))


def tick(db: Store, ticket_id: int, position: int, at: str | None, user_id: int | None) -> None:
    db.run("UPDATE ticket_steps SET done_at = ?, done_by_id = ? WHERE ticket_id = ? "
           "AND position = ?", (at, user_id, ticket_id, position))


# --- attachments --------------------------------------------------------------------------

def add_attachment(db: Store, ticket_id: int, name: str, data: bytes, content_type: str | None,
                   sha256: str, user_id: int | None, at: str) -> int:
    return db.run("INSERT INTO attachments (ticket_id, name, size, content_type, sha256, data, "
                  "added_by_id, added_at) VALUES (?,?,?,?,?,?,?,?)",
                  (ticket_id, name, len(data), content_type, sha256, data, user_id,
                   at)).lastrowid


ATTACHMENTS_SQL = ("SELECT a.id, a.name, a.size, a.content_type, a.sha256, "
                   "u.login AS added_by, a.added_at FROM attachments a "
                   "LEFT JOIN users u ON u.id = a.added_by_id WHERE a.ticket_id = ? "
                   "ORDER BY a.id")


def attachments(db: Store, ticket_id: int) -> list[dict]:
    return [dict(r) for r in db.all(ATTACHMENTS_SQL, (ticket_id,))]


def attachment_data(db: Store, ticket_id: int, name: str):
    """The newest attachment of that name (or id) on the ticket: (name, data)."""
    return db.one("SELECT name, data FROM attachments WHERE ticket_id = ? AND "
                  "(name = ? OR CAST(id AS TEXT) = ?) ORDER BY id DESC LIMIT 1",
                  (ticket_id, name, name))


# --- links, tags, time, ratings -----------------------------------------------------------

def add_link(db: Store, ticket_id: int, other_id: int, kind: str, at: str,
             user_id: int | None) -> bool:
    return db.run("INSERT OR IGNORE INTO ticket_links (ticket_id, other_id, kind, created_at, "
                  "created_by_id) VALUES (?,?,?,?,?)",
                  (ticket_id, other_id, kind, at, user_id)).rowcount > 0


def remove_link(db: Store, ticket_id: int, other_id: int) -> bool:
    return db.run("DELETE FROM ticket_links WHERE (ticket_id = ? AND other_id = ?) OR "
                  "(ticket_id = ? AND other_id = ? AND kind = 'relates')",
                  (ticket_id, other_id, other_id, ticket_id)).rowcount > 0


PARENT_SQL = "SELECT other_id FROM ticket_links WHERE ticket_id = ? AND kind = 'parent'"
# a ticket's links: its parent, children, related and merged tickets, each with its id
_LINK_QUERIES = (PARENT_SQL,
                 "SELECT ticket_id FROM ticket_links WHERE other_id = ? AND kind = 'parent' "
                 "ORDER BY ticket_id",
                 "SELECT other_id FROM ticket_links WHERE ticket_id = ? AND kind = 'relates' "
                 "UNION SELECT ticket_id FROM ticket_links WHERE other_id = ? "
                 "AND kind = 'relates'",
                 "SELECT id FROM tickets WHERE merged_into = ? ORDER BY id")


def _link_queries(ticket_id: int) -> list[tuple[str, tuple]]:
    return [(sql, (ticket_id,) * sql.count("?")) for sql in _LINK_QUERIES]


def _links(parent, children, related, merged) -> dict:
    return {"parent": parent[0][0] if parent else None,
            "children": [r[0] for r in children], "related": sorted({r[0] for r in related}),
            "merged": [r[0] for r in merged]}


def parent_of(db: Store, ticket_id: int) -> int | None:
    return db.scalar(PARENT_SQL, (ticket_id,))


def links(db: Store, ticket_id: int) -> dict:
    return _links(*db.several(_link_queries(ticket_id)))


TAGS_SQL = "SELECT ticket_id, tag FROM ticket_tags WHERE ticket_id IN ({marks}) ORDER BY tag"


def tags(db: Store, ticket_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {i: [] for i in ticket_ids}
    if ticket_ids:
        marks = ",".join("?" * len(ticket_ids))
        for r in db.all(TAGS_SQL.format(marks=marks), ticket_ids):
            found[r[0]].append(r[1])
    return found


def add_tag(db: Store, ticket_id: int, tag: str) -> bool:
    return db.run("INSERT OR IGNORE INTO ticket_tags (ticket_id, tag) VALUES (?, ?)",
                  (ticket_id, tag)).rowcount > 0


def remove_tag(db: Store, ticket_id: int, tag: str) -> bool:
    return db.run("DELETE FROM ticket_tags WHERE ticket_id = ? AND tag = ?",
                  (ticket_id, tag)).rowcount > 0


def log_time(db: Store, ticket_id: int, user_id: int, seconds: int, at: str,
             note: str | None) -> None:
    db.run("INSERT INTO time_logs (ticket_id, user_id, seconds, at, note) VALUES (?,?,?,?,?)",
           (ticket_id, user_id, seconds, at, note))


TIME_SQL = "SELECT coalesce(sum(seconds), 0) FROM time_logs WHERE ticket_id = ?"


def time_spent(db: Store, ticket_id: int) -> int:
    return db.scalar(TIME_SQL, (ticket_id,))


def rate(db: Store, ticket_id: int, score: int, comment: str | None, user_id: int,
         at: str) -> None:
    db.run("INSERT INTO ratings (ticket_id, score, comment, rated_by_id, at) VALUES (?,?,?,?,?) "
           "ON CONFLICT (ticket_id) DO UPDATE SET score = excluded.score, "
           "comment = excluded.comment, rated_by_id = excluded.rated_by_id, at = excluded.at",
           (ticket_id, score, comment, user_id, at))


RATING_SQL = ("SELECT r.score, r.comment, u.login AS rated_by, r.at FROM ratings r "
              "LEFT JOIN users u ON u.id = r.rated_by_id WHERE r.ticket_id = ?")


def rating(db: Store, ticket_id: int) -> dict | None:
    row = db.one(RATING_SQL, (ticket_id,))
    return dict(row) if row else None


def details(db: Store, ticket_id: int) -> dict:
    """What `ticket show` adds to a ticket, read with Store.several (one round trip on
    PostgreSQL): tags, contacts (their rows), links, attachments, time worked, rating."""
    from deskcli.store.contacts import LISTING_SQL

    one = (ticket_id,)
    tag_rows, contact_rows, *link_rows, files, spent, rated = db.several(
        [(TAGS_SQL.format(marks="?"), one), (LISTING_SQL, one), *_link_queries(ticket_id),
         (ATTACHMENTS_SQL, one), (TIME_SQL, one), (RATING_SQL, one)])
    return {"tags": [r[1] for r in tag_rows], "contacts": [dict(r) for r in contact_rows],
            "links": _links(*link_rows), "attachments": [dict(r) for r in files],
            "time_spent_seconds": spent[0][0] if spent else 0,
            "rating": dict(rated[0]) if rated else None}


# --- saved views --------------------------------------------------------------------------

def save_view(db: Store, owner_id: int, name: str, filters: dict, at: str) -> None:
    db.run("INSERT INTO saved_views (owner_id, name, filters, created_at) VALUES (?,?,?,?) "
           "ON CONFLICT (owner_id, name) DO UPDATE SET filters = excluded.filters",
           (owner_id, name, json.dumps(filters, ensure_ascii=False), at))


def view(db: Store, owner_id: int, name: str) -> dict | None:
    row = db.one("SELECT filters FROM saved_views WHERE owner_id = ? AND name = ?",
                 (owner_id, name))
    return json.loads(row[0]) if row else None


def views(db: Store, owner_id: int) -> list[dict]:
    return [{"name": r[0], "filters": json.loads(r[1]), "created_at": r[2]} for r in db.all(
        "SELECT name, filters, created_at FROM saved_views WHERE owner_id = ? ORDER BY name",
        (owner_id,))]


def remove_view(db: Store, owner_id: int, name: str) -> bool:
    return db.run("DELETE FROM saved_views WHERE owner_id = ? AND name = ?",
                  (owner_id, name)).rowcount > 0


# --- departure and the queue --------------------------------------------------------------

def open_tickets_of(db: Store, column: str, user_id: int) -> list:
    """Open tickets where `column` (assignee_id, owner_id, handler_id, approver_id) is the
    user; uses the per-person indexes."""
    assert column in ("assignee_id", "owner_id", "handler_id", "approver_id")
    return db.all(f"SELECT * FROM tickets WHERE {column} = ? AND status IN {OPEN_SQL} "
                  "ORDER BY id", (user_id,))


_QUEUE_IDS = (f"SELECT id FROM tickets WHERE status = 'new' UNION "
              f"SELECT id FROM tickets WHERE assignee_id IN "
              f"(SELECT id FROM users WHERE NOT active) AND status IN {OPEN_SQL} UNION "
              f"SELECT id FROM tickets WHERE owner_id IN "
              f"(SELECT id FROM users WHERE NOT active) AND status IN {OPEN_SQL}")


def queue_count(db: Store) -> int:
    """How many tickets the queue holds (read from the indexes, nothing loaded)."""
    return db.scalar(f"SELECT count(*) FROM ({_QUEUE_IDS}) AS queued")


def queue(db: Store, limit: int | None, details: bool = True):
    """The assignment queue: tickets nobody is expected to accept (status new), and open
    tickets whose assignee or owner is no longer active, oldest first, with the reason.
    Each source gives its first page from its own index; only the merged page is loaded."""
    page = f" ORDER BY id LIMIT {int(limit)}" if limit else ""
    ids = {r[0] for r in db.all("SELECT id FROM tickets WHERE status = 'new'" + page)}
    for column in ("assignee_id", "owner_id"):
        ids |= {r[0] for r in db.all(
            f"SELECT id FROM tickets WHERE {column} IN (SELECT id FROM users WHERE NOT active) "
            f"AND status IN {OPEN_SQL}" + page)}
    ordered = sorted(ids)[:limit] if limit else sorted(ids)
    if not ordered:
        return [], {}
    marks = ",".join("?" * len(ordered))
    reasons = {r[0]: r[1] for r in db.all(
        "SELECT t.id, (SELECT e.message FROM events e WHERE e.ticket_id = t.id AND e.kind IN "
        "('queued', 'declined', 'departed', 'reopened') ORDER BY e.id DESC LIMIT 1) "
        f"FROM tickets t WHERE t.id IN ({marks})", ordered)}
    return load(db, ordered, details), reasons
