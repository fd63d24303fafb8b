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
