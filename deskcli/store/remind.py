"""What `remind run` scans. Each query reads a partial index of open tickets, so a desk
with nothing due answers in a few milliseconds whatever its size."""

from deskcli.store import Store


def overdue_candidates(db: Store, now: str) -> list[int]:
    """Ids of tickets whose remind_at has come by `now` (migration m009 keeps it by
    triggers; `remind run` passes a moment a little ahead, for the nudges' grace)."""
    return [r[0] for r in db.all("SELECT id FROM tickets WHERE remind_at IS NOT NULL "
                                 "AND remind_at <= ? ORDER BY id", (now,))]


def refresh_remind_at(db: Store, type_id: int | None = None,
                      since_id: int | None = None) -> None:
    """Recompute remind_at where the triggers could not: after a type's nudge policy
    changed, or after a bulk import that paused them."""
    from deskcli.store.migrations import remind_at_sql

    where, params = ["status IN ('new', 'assigned', 'in_progress')"], []
    if type_id is not None:
        where.append("type_id = ?")
        params.append(type_id)
    if since_id is not None:
        where.append("id >= ?")
        params.append(since_id)
    db.run(f"UPDATE tickets SET remind_at = {remind_at_sql('tickets')} "
           f"WHERE {' AND '.join(where)}", params)


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
