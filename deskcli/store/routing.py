"""Routing's reads and writes (deskcli.tickets.lookup): a department's active members,
their open load, and the round-robin position of each ticket type. (Moved out of
store/tickets.py, which had grown past 500 lines.)"""

from deskcli.store import Store

# a department's active staff, the department given by {dept} (an id or a subquery)
_MEMBERS = "FROM users WHERE dept_id = {dept} AND active AND kind = 'staff'"


def active_members(db: Store, dept_id: int) -> list[tuple[int, str]]:
    return [(r[0], r[1]) for r in db.all(
        f"SELECT id, login {_MEMBERS.format(dept='?')} ORDER BY login", (dept_id,))]


def dept_team(db: Store, key: str) -> tuple[tuple[int, int | None] | None,
                                            list[tuple[int, str]], dict[int, int]]:
    """A department's (id, head id), its active members and their open load, in one
    round trip on PostgreSQL (routing a ticket needed three)."""
    members = _MEMBERS.format(dept="(SELECT id FROM departments WHERE key = ?)")
    found, people, loads = db.several([
        ("SELECT id, head_id FROM departments WHERE key = ?", (key,)),
        (f"SELECT id, login {members} ORDER BY login", (key,)),
        (f"SELECT user_id, open FROM assignee_load WHERE user_id IN (SELECT id {members})",
         (key,))])
    if not found:
        return None, [], {}
    load = {r[0]: 0 for r in people}
    load.update((r[0], r[1]) for r in loads)
    return (found[0][0], found[0][1]), [(r[0], r[1]) for r in people], load


def open_load(db: Store, user_ids: list[int]) -> dict[int, int]:
    """Open tickets (assigned, in progress, waiting) per assignee, from the counters the
    assignee_load triggers keep (migration m008)."""
    if not user_ids:
        return {}
    load = dict.fromkeys(user_ids, 0)
    marks = ",".join("?" * len(user_ids))
    load.update((r[0], r[1]) for r in db.all(
        f"SELECT user_id, open FROM assignee_load WHERE user_id IN ({marks})", user_ids))
    return load


def round_robin_last(db: Store, type_id: int) -> int | None:
    return db.scalar("SELECT last_user_id FROM routing_state WHERE type_id = ?", (type_id,))


def set_round_robin_last(db: Store, type_id: int, user_id: int) -> None:
    db.run("INSERT INTO routing_state (type_id, last_user_id) VALUES (?, ?) "
           "ON CONFLICT (type_id) DO UPDATE SET last_user_id = excluded.last_user_id",
           (type_id, user_id))
