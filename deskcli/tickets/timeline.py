"""Recording events: the one way a use case writes to a ticket's timeline, so that the
notices every change calls for are written in the same transaction.

An event row is (ticket_id, at, actor_id, kind, from, to, message, visibility, data_json).
"""

from deskcli.store import tickets as tstore


def record(desk, rows: list[tuple], *, notify: bool = True) -> list[int]:
    """Append events (after the ticket itself was changed) and enqueue their notices."""
    if not rows:
        return []
    ids = tstore.append_events(desk.store, rows)
    if notify:
        from deskcli.mail import notices

        notices.enqueue(desk, list(zip(ids, rows, strict=True)))
    return ids
