"""What `remind run` scans. Each query reads a partial index of open tickets, so a desk
with nothing due answers in a few milliseconds whatever its size."""

from deskcli.store import Store

_NUDGE_DUE = """
    (t.last_nudged_at IS NULL OR t.last_nudged_at < t.{due}
     OR (ty.nudge_every IS NOT NULL
         AND strftime('%Y-%m-%dT%H:%M:%SZ', t.last_nudged_at,
                      '+' || ty.nudge_every || ' seconds') <= :now)
     OR (ty.escalate_after IS NOT NULL AND t.nudges >= ty.escalate_after * (t.escalations + 1)))
"""


def overdue_candidates(db: Store, now: str) -> list[int]:
    """Ids of overdue tickets that may need a nudge or an escalation now."""
    accept = db.all(
        "SELECT t.id FROM tickets t JOIN ticket_types ty ON ty.id = t.type_id "
        "WHERE t.status IN ('new', 'assigned') AND t.accept_due_at IS NOT NULL "
        "AND t.accept_due_at <= :now AND " + _NUDGE_DUE.format(due="accept_due_at"),
        {"now": now})
    resolve = db.all(
        "SELECT t.id FROM tickets t JOIN ticket_types ty ON ty.id = t.type_id "
        "WHERE t.status = 'in_progress' AND t.resolve_due_at IS NOT NULL "
        "AND t.resolve_due_at <= :now AND " + _NUDGE_DUE.format(due="resolve_due_at"),
        {"now": now})
    return sorted({r[0] for r in accept} | {r[0] for r in resolve})


def autoclose_candidates(db: Store, waiting_before: str | None,
                         resolved_before: str | None) -> list[int]:
    ids: set[int] = set()
    if waiting_before:
        ids |= {r[0] for r in db.all("SELECT id FROM tickets WHERE status = 'waiting' "
                                     "AND waiting_since <= ?", (waiting_before,))}
    if resolved_before:
        ids |= {r[0] for r in db.all("SELECT id FROM tickets WHERE status = 'resolved' "
                                     "AND resolved_at <= ?", (resolved_before,))}
    return sorted(ids)


def type_policy(db: Store, type_id: int):
    return db.one("SELECT key, nudge_every, escalate_after FROM ticket_types WHERE id = ?",
                  (type_id,))
