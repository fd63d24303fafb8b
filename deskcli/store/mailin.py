"""E-mail in: the ledger of ingested messages (one row per Message-ID, so an MTA retry is
recognised) and the lookups `mail ingest` needs."""

from deskcli.store import Store


def seen(db: Store, message_id: str):
    """The ledger row of a message already ingested, or None."""
    return db.one("SELECT message_id, outcome, ticket_id, reason, received_at FROM mail_in "
                  "WHERE message_id = ?", (message_id,))


def record(db: Store, *, message_id: str, sender: str | None, subject: str | None,
           received_at: str, outcome: str, ticket_id: int | None,
           reason: str | None) -> None:
    db.run("INSERT INTO mail_in (message_id, sender, subject, received_at, outcome, ticket_id, "
           "reason) VALUES (?,?,?,?,?,?,?)",
           (message_id, sender, (subject or "")[:500], received_at, outcome, ticket_id,
            reason))


def recent_from(db: Store, sender: str, since: str) -> int:
    """How many messages this sender sent since `since` (read from mail_in_sender)."""
    return db.scalar("SELECT count(*) FROM mail_in WHERE sender = ? AND received_at > ?",
                     (sender, since))


def staff_by_email(db: Store, email: str):
    """The active staff user with this e-mail address (case-insensitive), or None."""
    return db.one("SELECT id, login, name, email FROM users WHERE email = ? COLLATE NOCASE "
                  "AND active AND kind = 'staff' ORDER BY id LIMIT 1", (email,))


def merged_into(db: Store, ticket_id: int) -> int | None:
    return db.scalar("SELECT merged_into FROM tickets WHERE id = ?", (ticket_id,))


def ticket_exists(db: Store, ticket_id: int) -> bool:
    return db.one("SELECT 1 FROM tickets WHERE id = ?", (ticket_id,)) is not None


def customer_key_taken(db: Store, key: str) -> bool:
    return db.one("SELECT 1 FROM customers WHERE key = ?", (key,)) is not None


def may_write(db: Store, ticket_id: int, address: str) -> str | None:
    """'customer' or 'contact' when the address is the ticket's customer's or one of its
    contacts (case-insensitive), or those of a ticket merged into it; else None: who may
    thread mail into the ticket."""
    row = db.one(
        "WITH RECURSIVE merged(id) AS (SELECT ? UNION SELECT t.id FROM tickets t "
        "JOIN merged m ON t.merged_into = m.id) "
        "SELECT 'customer' FROM tickets t JOIN customers c ON c.id = t.customer_id "
        "WHERE t.id IN (SELECT id FROM merged) AND c.email = ? COLLATE NOCASE "
        "UNION ALL SELECT 'contact' FROM ticket_contacts "
        "WHERE ticket_id IN (SELECT id FROM merged) AND email = ? LIMIT 1",
        (ticket_id, address, address))
    return row[0] if row else None


def add_thread_id(db: Store, ticket_id: int, message_id: str, subject: str | None) -> None:
    """Remember the Message-ID (and subject) of a mail the customer side sent about the
    ticket."""
    db.run("INSERT INTO ticket_mail_ids (ticket_id, message_id, subject) VALUES (?,?,?)",
           (ticket_id, message_id, subject or None))


THREAD_IDS = ("SELECT message_id FROM ticket_mail_ids WHERE ticket_id = ? "
              "ORDER BY id DESC LIMIT ?")
THREAD_SUBJECT = ("SELECT subject FROM ticket_mail_ids WHERE ticket_id = ? "
                  "ORDER BY id DESC LIMIT 1")


def thread_ids(db: Store, ticket_id: int, limit: int = 20) -> list[str]:
    """The last `limit` Message-IDs the customer side sent about the ticket, oldest first."""
    return [r[0] for r in reversed(db.all(THREAD_IDS, (ticket_id, limit)))]


def thread_subject(db: Store, ticket_id: int) -> str | None:
    """The subject of the customer side's last mail about the ticket."""
    return db.scalar(THREAD_SUBJECT, (ticket_id,))


def thread_queued_notices(db: Store, ticket_id: int) -> None:
    """Give the notices queued while a ticket was being opened from a mail (before its
    Message-ID could be kept) the ticket's mail thread, as later notices get it."""
    import json

    db.run("UPDATE outbox SET context = json_set(context, '$.mail_thread', json(CAST(? AS TEXT))) "
           "WHERE ticket_id = ? AND status = 'pending'",
           (json.dumps(thread_ids(db, ticket_id)), ticket_id))
