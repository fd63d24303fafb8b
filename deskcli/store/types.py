"""Ticket types with their fields, CC list and checklist."""

import json

from deskcli.models import FieldDef, TicketType
from deskcli.store import Store

TYPE_COLUMNS = ("id, key, name, description, priority, route, accept_within, resolve_within, "
                "nudge_every, escalate_after, approver, active, created_at, updated_at")


def type_by_key(db: Store, key: str) -> TicketType | None:
    row = db.one(f"SELECT {TYPE_COLUMNS} FROM ticket_types WHERE key = ?", (key,))
    return _load(db, row) if row else None


def type_by_id(db: Store, type_id: int) -> TicketType | None:
    row = db.one(f"SELECT {TYPE_COLUMNS} FROM ticket_types WHERE id = ?", (type_id,))
    return _load(db, row) if row else None


def types(db: Store, *, include_disabled: bool = False) -> list[TicketType]:
    sql = f"SELECT {TYPE_COLUMNS} FROM ticket_types"
    if not include_disabled:
        sql += " WHERE active"
    return [_load(db, row) for row in db.all(sql + " ORDER BY key")]


def type_keys(db: Store) -> dict[int, str]:
    return {r[0]: r[1] for r in db.all("SELECT id, key FROM ticket_types")}


def _load(db: Store, row) -> TicketType:
    ttype = TicketType(**{k: row[k] for k in row.keys()})
    ttype.active = bool(ttype.active)
    ttype.fields = [
        FieldDef(name=r["name"], kind=r["kind"], required=bool(r["required"]), label=r["label"],
                 choices=json.loads(r["choices"]) if r["choices"] else None,
                 pattern=r["pattern"], hint=r["hint"])
        for r in db.all("SELECT * FROM type_fields WHERE type_id = ? ORDER BY position",
                        (ttype.id,))]
    ttype.cc = [
        f"dept:{r[0]}" if r[0] else f"user:{r[1]}"
        for r in db.all("SELECT d.key, u.login FROM type_cc c "
                        "LEFT JOIN departments d ON d.id = c.dept_id "
                        "LEFT JOIN users u ON u.id = c.user_id WHERE c.type_id = ? "
                        "ORDER BY c.rowid", (ttype.id,))]
    ttype.steps = [r[0] for r in db.all(
        "SELECT text FROM type_steps WHERE type_id = ? ORDER BY position", (ttype.id,))]
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
