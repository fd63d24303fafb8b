"""Holidays (and make-up working days: holidays.working = 1) and schedules."""

import json

from deskcli.store import Store


def holiday_days(db: Store, working: bool = False) -> list[str]:
    """The days off (or with `working`, the make-up working days)."""
    return [r[0] for r in db.all("SELECT day FROM holidays WHERE working = ? ORDER BY day",
                                 (int(working),))]


def holidays(db: Store) -> list[dict]:
    return [dict(r) for r in db.all(
        "SELECT day, CASE working WHEN 1 THEN 'workday' ELSE 'holiday' END AS kind, name "
        "FROM holidays ORDER BY day")]


def add_holidays(db: Store, days: list[str], name: str | None, working: bool = False) -> int:
    return sum(db.run("INSERT OR REPLACE INTO holidays (day, name, working) VALUES (?, ?, ?)",
                      (day, name, int(working))).rowcount for day in days)


def remove_holidays(db: Store, days: list[str]) -> int:
    return sum(db.run("DELETE FROM holidays WHERE day = ?", (day,)).rowcount for day in days)


SCHEDULE_SELECT = """
SELECT s.id, s.key, t.key AS type, s.title, s.body, c.key AS customer, s.fields, s.cc,
       s.priority, s.every, s.cron, s.next_run_at, s.last_run_at, s.active,
       u.login AS created_by, s.created_by_id, s.created_at
FROM schedules s JOIN ticket_types t ON t.id = s.type_id
LEFT JOIN customers c ON c.id = s.customer_id LEFT JOIN users u ON u.id = s.created_by_id
"""


def _decode(row) -> dict:
    data = dict(row)
    data["fields"] = json.loads(data["fields"])
    data["cc"] = json.loads(data["cc"])
    data["active"] = bool(data["active"])
    return data


def schedules(db: Store, include_inactive: bool = True) -> list[dict]:
    sql = SCHEDULE_SELECT + ("" if include_inactive else " WHERE s.active") + " ORDER BY s.key"
    return [_decode(r) for r in db.all(sql)]


def schedule(db: Store, key: str) -> dict | None:
    row = db.one(SCHEDULE_SELECT + " WHERE s.key = ?", (key,))
    return _decode(row) if row else None


def due_schedules(db: Store, now: str) -> list[dict]:
    return [_decode(r) for r in db.all(
        SCHEDULE_SELECT + " WHERE s.active AND s.next_run_at <= ? ORDER BY s.next_run_at",
        (now,))]


def insert_schedule(db: Store, row: dict) -> int:
    return db.run(
        "INSERT INTO schedules (key, type_id, title, body, customer_id, fields, cc, priority, "
        "every, cron, next_run_at, active, created_by_id, created_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,1,?,?)",
        (row["key"], row["type_id"], row["title"], row["body"], row["customer_id"],
         json.dumps(row["fields"], ensure_ascii=False), json.dumps(row["cc"]),
         row["priority"], row["every"], row["cron"], row["next_run_at"],
         row["created_by_id"], row["created_at"])).lastrowid


def advance_schedule(db: Store, schedule_id: int, expected_next: str, next_run: str,
                     ran_at: str) -> bool:
    """Move a schedule to its next run, only if no other run did it first."""
    return db.run("UPDATE schedules SET next_run_at = ?, last_run_at = ? WHERE id = ? "
                  "AND next_run_at = ?", (next_run, ran_at, schedule_id,
                                          expected_next)).rowcount == 1


def remove_schedule(db: Store, key: str) -> bool:
    return db.run("DELETE FROM schedules WHERE key = ?", (key,)).rowcount == 1
