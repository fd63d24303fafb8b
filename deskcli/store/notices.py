"""The outbox: notices waiting for delivery, claimed by one sender at a time."""

import json

from deskcli.store import Store

FACTS = """
SELECT t.id, t.title, t.status, t.priority, ty.key AS type, ty.name AS type_name,
       c.key AS customer, c.name AS customer_name, c.email AS customer_email,
       (SELECT login FROM users WHERE id = t.assignee_id) AS assignee,
       (SELECT login FROM users WHERE id = t.owner_id) AS owner,
       (SELECT login FROM users WHERE id = t.handler_id) AS handler,
       (SELECT login FROM users WHERE id = t.opened_by_id) AS opened_by,
       (SELECT login FROM users WHERE id = t.approver_id) AS approver,
       t.accept_due_at, t.resolve_due_at, t.nudges, t.created_at
FROM tickets t JOIN ticket_types ty ON ty.id = t.type_id
LEFT JOIN customers c ON c.id = t.customer_id
WHERE t.id = ?
"""  # (people by scalar subqueries: see store.tickets.TICKET_SELECT)
PERSON = "u.id, u.login, u.name, u.email"


# the people a ticket names (assignee, owner, handler, opener, approver) and the actor
_PEOPLE = " OR ".join(["u.id = ?"] + [f"u.id = (SELECT {c} FROM tickets WHERE id = ?)"
                                      for c in ("assignee_id", "owner_id", "handler_id",
                                                "opened_by_id", "approver_id")])


def ticket_facts(db: Store, ticket_id: int, actor_id: int | None = None) -> dict:
    """The facts a notice tells of a ticket, with the customer side's mail thread
    (mail_thread: its last 20 Message-IDs, oldest first; mail_subject), and what its
    audiences ask for: `people` (the user rows of those the ticket names and of the
    actor, as people.user_by_id gives them), `cc_people` (the active CC'd users and the
    current heads of CC'd departments, in CC order) and `desk_uid`
    (the meta value, or None): one round trip on PostgreSQL."""
    from deskcli.store.mailin import THREAD_IDS, THREAD_SUBJECT
    from deskcli.store.people import USER_SELECT

    facts, thread, subject, people, cc, uid = db.several([
        (FACTS, (ticket_id,)), (THREAD_IDS, (ticket_id, 20)), (THREAD_SUBJECT, (ticket_id,)),
        (USER_SELECT + " WHERE " + _PEOPLE, (actor_id, *[ticket_id] * 5)),
        (CC_PEOPLE, (ticket_id,)),
        ("SELECT value FROM meta WHERE key = 'desk_uid'", ())])
    return {**dict(facts[0]), "mail_thread": [r[0] for r in reversed(thread)],
            "mail_subject": subject[0][0] if subject else None,
            "people": [dict(r) for r in people], "cc_people": [dict(r) for r in cc],
            "desk_uid": uid[0][0] if uid else None}


CC_PEOPLE = (f"SELECT {PERSON} FROM ticket_cc c "
             "LEFT JOIN departments d ON d.id = c.dept_id "
             "JOIN users u ON u.id = coalesce(c.user_id, d.head_id) "
             # GROUP BY, not DISTINCT: PostgreSQL orders a DISTINCT only by what it selects
             f"WHERE c.ticket_id = ? AND u.active GROUP BY {PERSON} ORDER BY min(c.rowid)")


def contacts(db: Store, ticket_id: int) -> list[dict]:
    """The ticket's contacts (customer-side addresses that get the customer's copies)."""
    return [{"id": None, "login": None, "name": r[1], "email": r[0]} for r in db.all(
        "SELECT email, name FROM ticket_contacts WHERE ticket_id = ? ORDER BY email",
        (ticket_id,))]


def dispatchers(db: Store, entries: list[str]) -> list[dict]:
    """The people who dispatch the queue: the desk setting's logins and department heads,
    or, when it is empty, every active admin."""
    if not entries:
        return [dict(r) for r in db.all(
            f"SELECT {PERSON} FROM users u WHERE u.role = 'admin' AND u.active "
            "AND u.kind = 'staff' ORDER BY u.login")]
    people = []
    for entry in entries:
        if entry.startswith("dept:"):
            row = db.one(f"SELECT {PERSON} FROM departments d JOIN users u ON u.id = d.head_id "
                         "WHERE d.key = ? AND u.active", (entry[5:],))
        else:
            row = db.one(f"SELECT {PERSON} FROM users u WHERE u.login = ? AND u.active",
                         (entry,))
        if row:
            people.append(dict(row))
    return people


def managers(db: Store) -> list[dict]:
    return [dict(r) for r in db.all(
        f"SELECT {PERSON} FROM users u WHERE u.role IN ('manager', 'admin') AND u.active "
        "AND u.kind = 'staff' ORDER BY u.login")]


_INSERT = ("INSERT INTO outbox (created_at, ticket_id, event_id, template, locale, recipients, "
           "context, message_id, status, next_attempt_at) VALUES (?,?,?,?,?,?,?,?,?,?)")


def row(*, ticket_id: int | None, event_id: int | None, template: str, locale: str,
        recipients: dict, context: dict, message_id: str, at: str) -> tuple:
    """A pending notice, as `insert` and `insert_many` write it."""
    return (at, ticket_id, event_id, template, locale,
            json.dumps(recipients, ensure_ascii=False), json.dumps(context, ensure_ascii=False),
            message_id, "pending", at)


def insert(db: Store, **notice) -> int:
    """Put one notice (row's arguments) in the outbox; its id."""
    return db.run(_INSERT, row(**notice)).lastrowid


def insert_many(db: Store, rows: list[tuple]) -> None:
    """Put notices made by `row` in the outbox, in order (on PostgreSQL one round trip)."""
    db.many(_INSERT, rows)


OUTBOX_COLUMNS = ("id, created_at, ticket_id, event_id, template, locale, recipients, context, "
                  "message_id, status, attempts, next_attempt_at, claimed_by, claimed_at, "
                  "last_error, sent_at, subject")


def claim(db: Store, worker: str, now: str, stale_before: str, limit: int,
          dead: list[str] | tuple = ()) -> list[dict]:
    """Take up to `limit` due notices for this sender. A claim left by a sender that died
    (older than `stale_before`, or by one of the `dead` senders) is taken over. Call inside
    a write transaction."""
    gone = f" OR (status = 'sending' AND claimed_by IN ({','.join('?' * len(dead))}))" \
        if dead else ""
    rows = db.all(
        f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE "
        "(status IN ('pending', 'failed') AND next_attempt_at <= ?) OR "
        f"(status = 'sending' AND claimed_at < ?){gone} ORDER BY id LIMIT ?",
        (now, stale_before, *dead, limit))
    claimed = []
    for row in rows:
        changed = db.run("UPDATE outbox SET status = 'sending', claimed_by = ?, claimed_at = ? "
                         "WHERE id = ? AND status = ? AND coalesce(claimed_by, '') = ?",
                         (worker, now, row["id"], row["status"], row["claimed_by"] or ""))
        if changed.rowcount:
            claimed.append(_decode(row))
    return claimed


def claimants(db: Store) -> list[str]:
    """The senders holding claims now (alive, or killed before they finished)."""
    return [r[0] for r in db.all("SELECT DISTINCT claimed_by FROM outbox "
                                 "WHERE status = 'sending'")]


def _decode(row) -> dict:
    data = dict(row)
    data["recipients"] = json.loads(data["recipients"])
    data["context"] = json.loads(data["context"])
    return data


def mark_sent(db: Store, notice_id: int, worker: str, at: str, subject: str) -> bool:
    return db.run("UPDATE outbox SET status = 'sent', sent_at = ?, subject = ?, "
                  "attempts = attempts + 1, last_error = NULL, claimed_by = NULL "
                  "WHERE id = ? AND status = 'sending' AND claimed_by = ?",
                  (at, subject, notice_id, worker)).rowcount == 1


def mark_failed(db: Store, notice_id: int, worker: str, error: str, retry_at: str | None,
                subject: str | None) -> bool:
    """Record a failed attempt: retried at `retry_at`, or given up ('dead') when None."""
    status = "failed" if retry_at else "dead"
    return db.run("UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?, "
                  "next_attempt_at = coalesce(?, next_attempt_at), claimed_by = NULL, "
                  "subject = coalesce(?, subject) "
                  "WHERE id = ? AND status = 'sending' AND claimed_by = ?",
                  (status, error[:1000], retry_at, subject, notice_id, worker)).rowcount == 1


def mark_partly_sent(db: Store, notice_id: int, worker: str, recipients: dict, error: str,
                     retry_at: str | None, subject: str | None) -> bool:
    """Some recipients took the notice and others were refused: remember who has it
    (recipients["delivered"]), so the retry goes to the others only."""
    changed = mark_failed(db, notice_id, worker, error, retry_at, subject)
    if changed:
        db.run("UPDATE outbox SET recipients = ? WHERE id = ?",
               (json.dumps(recipients, ensure_ascii=False), notice_id))
    return changed


def release(db: Store, worker: str, notices: list[tuple[int, str]]) -> None:
    """Give claimed notices back with the status they had (a stale claim taken over goes
    back to 'pending'), attempts untouched: the run failed, not the notice."""
    for notice_id, status in notices:
        db.run("UPDATE outbox SET status = ?, claimed_by = NULL, claimed_at = NULL "
               "WHERE id = ? AND status = 'sending' AND claimed_by = ?",
               ("pending" if status == "sending" else status, notice_id, worker))


def listing(db: Store, statuses: list[str], limit: int | None, ticket_id: int | None = None,
            seen=None):
    """Newest first. `seen`: None (every notice), "none" (only notices about no ticket),
    or a visibility tuple (notices about no ticket or about a ticket it lets through)."""
    where, params = [], []
    if seen is not None:
        clause, more = _seen(seen)
        where.append(clause)
        params += more
    if statuses:
        where.append(f"status IN ({','.join('?' * len(statuses))})")
        params += statuses
    if ticket_id is not None:
        where.append("ticket_id = ?")
        params.append(ticket_id)
    sql = f"SELECT {OUTBOX_COLUMNS} FROM outbox"
    sql += (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC"
    sql += f" LIMIT {int(limit)}" if limit else ""
    return [_decode(r) for r in db.all(sql, params)]


def get(db: Store, notice_id: int, seen=None) -> dict | None:
    """One notice; None when there is none, or none that `seen` (see listing) lets through."""
    sql, params = f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = ?", [notice_id]
    if seen is not None:
        clause, more = _seen(seen)
        sql += " AND " + clause
        params += more
    row = db.one(sql, params)
    return _decode(row) if row else None


def _seen(seen) -> tuple[str, list]:
    if seen == "none":
        return "ticket_id IS NULL", []
    from deskcli.store.tickets import visible_where

    clause, params = visible_where(seen)
    return f"(ticket_id IS NULL OR ticket_id IN (SELECT t.id FROM tickets t WHERE {clause}))", \
        params


def retry(db: Store, notice_ids: list[int] | None, at: str) -> int:
    """Make failed or dead notices due now (recipients refused for good are tried again:
    the mailbox may exist now)."""
    sql = ("UPDATE outbox SET status = 'pending', next_attempt_at = ?, "
           "recipients = json_remove(recipients, '$.rejected') "
           "WHERE status IN ('failed', 'dead')")
    params: list = [at]
    if notice_ids:
        sql += f" AND id IN ({','.join('?' * len(notice_ids))})"
        params += notice_ids
    return db.run(sql, params).rowcount


def by_message_id(db: Store, message_ids: list[str]) -> int | None:
    """The ticket a notice with one of these Message-IDs was about."""
    for mid in message_ids:
        found = db.scalar("SELECT ticket_id FROM outbox WHERE message_id = ?", (mid,))
        if found:
            return found
    return None


def counts(db: Store) -> dict[str, int]:
    return {r[0]: r[1] for r in db.all("SELECT status, count(*) FROM outbox GROUP BY status")}
