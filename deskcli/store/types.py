"""Ticket types with their fields, CC list and checklist."""

import json

from deskcli.models import FieldDef, TicketType
from deskcli.store import Store

TYPE_COLUMNS = ("id, key, name, description, priority, route, accept_within, resolve_within, "
                "nudge_every, escalate_after, approver, active, created_at, updated_at")


def type_by_key(db: Store, key: str) -> TicketType | None:
    return _one(db, "key = ?", key)[0]


def type_with_cc_refs(db: Store, key: str) -> tuple[TicketType | None,
                                                   list[tuple[int | None, int | None]]]:
    """A type and its CC list as (dept_id, user_id) pairs (type_cc_refs), for opening a
    ticket: one round trip on PostgreSQL."""
    return _one(db, "key = ?", key)


def type_by_id(db: Store, type_id: int) -> TicketType | None:
    return _one(db, "id = ?", type_id)[0]


def types(db: Store, *, include_disabled: bool = False) -> list[TicketType]:
    sql = f"SELECT {TYPE_COLUMNS} FROM ticket_types"
    if not include_disabled:
        sql += " WHERE active"
    return [_load(db, row) for row in db.all(sql + " ORDER BY key")]


def type_keys(db: Store) -> dict[int, str]:
    return {r[0]: r[1] for r in db.all("SELECT id, key FROM ticket_types")}


# a type's fields, CC list and checklist, for the type whose id {type_id} gives
_PARTS = ("SELECT * FROM type_fields WHERE type_id = {type_id} ORDER BY position",
          "SELECT d.key, u.login, c.dept_id, c.user_id FROM type_cc c "
          "LEFT JOIN departments d ON d.id = c.dept_id "
          "LEFT JOIN users u ON u.id = c.user_id WHERE c.type_id = {type_id} ORDER BY c.rowid",
          "SELECT text FROM type_steps WHERE type_id = {type_id} ORDER BY position")


def _one(db: Store, where: str, value) -> tuple[TicketType | None, list]:
    """One type with its parts, and its CC refs: one round trip on PostgreSQL."""
    pick = f"(SELECT id FROM ticket_types WHERE {where})"
    found, *parts = db.several([(f"SELECT {TYPE_COLUMNS} FROM ticket_types WHERE {where}",
                                 (value,)),
                                *((sql.format(type_id=pick), (value,)) for sql in _PARTS)])
    if not found:
        return None, []
    return _load(db, found[0], parts), [(r[2], r[3]) for r in parts[1]]


def _load(db: Store, row, parts=None) -> TicketType:
    ttype = TicketType(**{k: row[k] for k in row.keys()})
    ttype.active = bool(ttype.active)
    fields, cc, steps = parts or db.several([(sql.format(type_id="?"), (ttype.id,))
                                             for sql in _PARTS])
    ttype.fields = [
        FieldDef(name=r["name"], kind=r["kind"], required=bool(r["required"]), label=r["label"],
                 choices=json.loads(r["choices"]) if r["choices"] else None,
                 pattern=r["pattern"], hint=r["hint"])
        for r in fields]
    ttype.cc = [f"dept:{r[0]}" if r[0] else f"user:{r[1]}" for r in cc]
    ttype.steps = [r[0] for r in steps]
    return ttype


def type_cc_refs(db: Store, type_id: int) -> list[tuple[int | None, int | None]]:
    """(dept_id, user_id) pairs of a type's CC list."""
    return [(r[0], r[1]) for r in db.all(
        "SELECT dept_id, user_id FROM type_cc WHERE type_id = ? ORDER BY rowid", (type_id,))]


def save_type(db: Store, ttype: TicketType, cc_refs: list[tuple[int | None, int | None]],
              at: str) -> int:
    """Insert or replace a type definition with its fields, CC list and steps."""
    values = (ttype.name, ttype.description, ttype.priority, ttype.route, ttype.accept_within,
              ttype.resolve_within, ttype.nudge_every, ttype.escalate_after, ttype.approver,
              int(ttype.active))
    if ttype.id is None:
        ttype.id = db.run(
            "INSERT INTO ticket_types (key, name, description, priority, route, accept_within, "
            "resolve_within, nudge_every, escalate_after, approver, active, created_at, "
            "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (ttype.key, *values, at, at)).lastrowid
    else:
        db.run("UPDATE ticket_types SET name=?, description=?, priority=?, route=?, "
               "accept_within=?, resolve_within=?, nudge_every=?, escalate_after=?, approver=?, "
               "active=?, updated_at=? WHERE id=?", (*values, at, ttype.id))
        for table in ("type_fields", "type_cc", "type_steps"):
            db.run(f"DELETE FROM {table} WHERE type_id = ?", (ttype.id,))
    db.many("INSERT INTO type_fields (type_id, position, name, label, kind, required, choices, "
            "pattern, hint) VALUES (?,?,?,?,?,?,?,?,?)",
            [(ttype.id, i, f.name, f.label, f.kind, int(f.required),
              json.dumps(f.choices, ensure_ascii=False) if f.choices else None, f.pattern, f.hint)
             for i, f in enumerate(ttype.fields)])
    db.many("INSERT INTO type_cc (type_id, dept_id, user_id) VALUES (?,?,?)",
            [(ttype.id, dept_id, user_id) for dept_id, user_id in cc_refs])
    db.many("INSERT INTO type_steps (type_id, position, text) VALUES (?,?,?)",
            [(ttype.id, i, text) for i, text in enumerate(ttype.steps, start=1)])
    return ttype.id
