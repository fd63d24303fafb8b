"""A ticket's contacts: customer-side e-mail addresses that get the customer's copies of
replies, resolutions and closings besides the customer (issue 10). Only staff add them
(`ticket contact`); mail in never does."""

from deskcli.store import Store

LISTING_SQL = ("SELECT c.email, c.name, c.via, u.login AS added_by, c.added_at "
               "FROM ticket_contacts c LEFT JOIN users u ON u.id = c.added_by_id "
               "WHERE c.ticket_id = ? ORDER BY c.email")


def listing(db: Store, ticket_id: int) -> list[dict]:
    return [dict(r) for r in db.all(LISTING_SQL, (ticket_id,))]


def has(db: Store, ticket_id: int, email: str) -> bool:
    return db.one("SELECT 1 FROM ticket_contacts WHERE ticket_id = ? AND email = ?",
                  (ticket_id, email)) is not None


def add(db: Store, ticket_id: int, email: str, name: str | None, user_id: int | None,
        at: str) -> bool:
    return db.run("INSERT OR IGNORE INTO ticket_contacts (ticket_id, email, name, via, "
                  "added_by_id, added_at) VALUES (?,?,?, 'staff', ?,?)",
                  (ticket_id, email, name, user_id, at)).rowcount > 0


def remove(db: Store, ticket_id: int, email: str) -> bool:
    return db.run("DELETE FROM ticket_contacts WHERE ticket_id = ? AND email = ?",
                  (ticket_id, email)).rowcount > 0
