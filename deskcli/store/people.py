"""Settings, departments, users (staff and access clients), roles and customers."""

from deskcli.store import Store

# --- settings and meta --------------------------------------------------------------------


SETTINGS_SELECT = "SELECT key, value FROM settings"


def settings(db: Store) -> dict[str, str]:
    return {row["key"]: row["value"] for row in db.all(SETTINGS_SELECT)}


def set_setting(db: Store, key: str, value: str | None) -> None:
    if value is None:
        db.run("DELETE FROM settings WHERE key = ?", (key,))
    else:
        db.run("INSERT INTO settings (key, value) VALUES (?, ?) "
               "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))


def set_meta(db: Store, key: str, value: str) -> None:
    db.run("INSERT INTO meta (key, value) VALUES (?, ?) "
           "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))


def meta(db: Store, key: str) -> str | None:
    return db.scalar("SELECT value FROM meta WHERE key = ?", (key,))


# --- departments --------------------------------------------------------------------------

DEPT_SELECT = """
SELECT d.id, d.key, d.name, d.head_id, h.login AS head, d.created_at,
       (SELECT count(*) FROM users u WHERE u.dept_id = d.id AND u.active AND u.kind = 'staff')
           AS members
FROM departments d LEFT JOIN users h ON h.id = d.head_id
"""


def dept_by_key(db: Store, key: str):
    return db.one(DEPT_SELECT + " WHERE d.key = ?", (key,))


def depts(db: Store):
    return db.all(DEPT_SELECT + " ORDER BY d.key")


def insert_dept(db: Store, key: str, name: str, head_id: int | None, at: str) -> int:
    return db.run("INSERT INTO departments (key, name, head_id, created_at) VALUES (?,?,?,?)",
                  (key, name, head_id, at)).lastrowid


def update_dept(db: Store, dept_id: int, changes: dict) -> None:
    _update(db, "departments", dept_id, changes, {"name", "head_id"})


# --- users --------------------------------------------------------------------------------

USER_SELECT = """
SELECT u.id, u.login, u.kind, u.name, u.email, u.dept_id, d.key AS dept, u.manager_id,
       m.login AS manager, u.role, u.active, u.created_at, u.deactivated_at,
       s.login AS successor
FROM users u
LEFT JOIN departments d ON d.id = u.dept_id
LEFT JOIN users m ON m.id = u.manager_id
LEFT JOIN users s ON s.id = u.successor_id
"""


def user_by_login(db: Store, login: str):
    return db.one(USER_SELECT + " WHERE u.login = ?", (login,))


def user_by_id(db: Store, user_id: int):
    return db.one(USER_SELECT + " WHERE u.id = ?", (user_id,))


ACTOR_SELECT = ("SELECT id, login, name, kind, role, dept_id, manager_id, active "
                "FROM users WHERE login = ?")


def actor_row(db: Store, login: str):
    """The few columns needed to build the acting identity (on every command)."""
    return db.one(ACTOR_SELECT, (login,))


def actor_row_and_settings(db: Store, login: str):
    """actor_row and settings, which nearly every command reads next (its time zone, its
    locale): one round trip on PostgreSQL."""
    actor, settings_rows = db.several([(ACTOR_SELECT, (login,)), (SETTINGS_SELECT, ())])
    return (actor[0] if actor else None), {r[0]: r[1] for r in settings_rows}


def users(db: Store, *, kind: str = "staff", dept_id: int | None = None,
          role: str | None = None, active: bool | None = None, manager_id: int | None = None):
    where, params = ["u.kind = ?"], [kind]
    for column, value in (("u.dept_id", dept_id), ("u.role", role),
                          ("u.manager_id", manager_id)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if active is not None:
        where.append("u.active = ?")
        params.append(int(active))
    return db.all(USER_SELECT + " WHERE " + " AND ".join(where) + " ORDER BY u.login", params)


def insert_user(db: Store, *, login: str, name: str, email: str | None, dept_id: int | None,
                manager_id: int | None, role: str, at: str, kind: str = "staff") -> int:
    return db.run(
        "INSERT INTO users (login, kind, name, email, dept_id, manager_id, role, active, "
        "created_at) VALUES (?,?,?,?,?,?,?,1,?)",
        (login, kind, name, email, dept_id, manager_id, role, at)).lastrowid


def update_user(db: Store, user_id: int, changes: dict) -> None:
    _update(db, "users", user_id, changes,
            {"name", "email", "dept_id", "manager_id", "role", "active", "deactivated_at",
             "successor_id"})


def manager_chain(db: Store, user_id: int, limit: int = 50):
    """(id, login, active) of the user's managers, nearest first; stops at a cycle."""
    rows = db.all("""
        WITH RECURSIVE chain(id, depth) AS (
            SELECT manager_id, 1 FROM users WHERE id = ? AND manager_id IS NOT NULL
            UNION ALL
            SELECT u.manager_id, c.depth + 1 FROM users u JOIN chain c ON u.id = c.id
            WHERE u.manager_id IS NOT NULL AND c.depth < ?)
        SELECT c.id, u.login, u.active FROM chain c JOIN users u ON u.id = c.id
        ORDER BY c.depth""", (user_id, limit))
    seen, chain = {user_id}, []
    for row in rows:
        if row["id"] in seen:
            break
        seen.add(row["id"])
        chain.append(row)
    return chain


def logins(db: Store, ids) -> dict[int, str]:
    ids = [i for i in set(ids) if i is not None]
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    return {r[0]: r[1] for r in db.all(f"SELECT id, login FROM users WHERE id IN ({marks})",
                                       ids)}


# --- access clients -----------------------------------------------------------------------

def access_type_ids(db: Store, user_id: int) -> frozenset:
    return frozenset(r[0] for r in db.all("SELECT type_id FROM access_types WHERE user_id = ?",
                                          (user_id,)))


def access_type_keys(db: Store, user_id: int) -> list[str]:
    return [r[0] for r in db.all(
        "SELECT t.key FROM access_types a JOIN ticket_types t ON t.id = a.type_id "
        "WHERE a.user_id = ? ORDER BY t.key", (user_id,))]


def set_access_types(db: Store, user_id: int, type_ids) -> None:
    db.run("DELETE FROM access_types WHERE user_id = ?", (user_id,))
    db.many("INSERT INTO access_types (user_id, type_id) VALUES (?, ?)",
            [(user_id, type_id) for type_id in type_ids])


# --- roles --------------------------------------------------------------------------------

def custom_roles(db: Store):
    return db.all("SELECT name, description, permissions, created_at FROM roles ORDER BY name")


def custom_role(db: Store, name: str):
    return db.one("SELECT name, description, permissions, created_at FROM roles "
                  "WHERE name = ?", (name,))


def insert_role(db: Store, name: str, description: str | None, permissions: str,
                at: str) -> None:
    db.run("INSERT INTO roles (name, description, permissions, created_at) VALUES (?,?,?,?)",
           (name, description, permissions, at))


# --- customers ----------------------------------------------------------------------------

CUSTOMER_SELECT = """
SELECT c.id, c.key, c.name, c.email, c.phone, c.consultant_id, u.login AS consultant,
       c.note, c.created_at, c.updated_at
FROM customers c LEFT JOIN users u ON u.id = c.consultant_id
"""


def customer_by_key(db: Store, key: str):
    return db.one(CUSTOMER_SELECT + " WHERE c.key = ?", (key,))


def customer_by_id(db: Store, customer_id: int):
    return db.one(CUSTOMER_SELECT + " WHERE c.id = ?", (customer_id,))


def customer_by_email(db: Store, email: str):
    return db.one(CUSTOMER_SELECT + " WHERE c.email = ? COLLATE NOCASE ORDER BY c.id",
                  (email,))


def customers(db: Store, *, consultant_id: int | None = None, text: str | None = None,
              limit: int | None = None, after_key: str | None = None):
    where, params = [], []
    if consultant_id is not None:
        where.append("c.consultant_id = ?")
        params.append(consultant_id)
    if text:
        where.append("(c.key LIKE ? OR c.name LIKE ? OR c.email LIKE ? OR c.phone LIKE ?)")
        params += [f"%{text}%"] * 4
    if after_key:
        where.append("c.key > ?")
        params.append(after_key)
    sql = CUSTOMER_SELECT + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY c.key" + (f" LIMIT {int(limit)}" if limit else "")
    return db.all(sql, params)


def customer_ids_by_key(db: Store) -> dict[str, tuple[int, int | None]]:
    """key -> (id, consultant_id) of every customer (bulk import)."""
    return {r[0]: (r[1], r[2]) for r in db.all("SELECT key, id, consultant_id FROM customers")}


def users_by_login(db: Store) -> list[tuple[str, int, str, bool]]:
    """(login, id, kind, active) of every user (bulk import)."""
    return [(r[0], r[1], r[2], bool(r[3]))
            for r in db.all("SELECT login, id, kind, active FROM users")]


def dept_ids_by_key(db: Store) -> dict[str, tuple[int, int | None]]:
    """key -> (id, head_id) of every department (bulk import)."""
    return {r[0]: (r[1], r[2]) for r in db.all("SELECT key, id, head_id FROM departments")}


def insert_customer(db: Store, row: dict, at: str) -> int:
    return db.run(
        "INSERT INTO customers (key, name, email, phone, consultant_id, note, created_at, "
        "updated_at) VALUES (?,?,?,?,?,?,?,?)",
        (row["key"], row["name"], row.get("email"), row.get("phone"),
         row.get("consultant_id"), row.get("note"), at, at)).lastrowid


def update_customer(db: Store, customer_id: int, changes: dict, at: str) -> None:
    if changes:
        _update(db, "customers", customer_id, {**changes, "updated_at": at},
                {"name", "email", "phone", "consultant_id", "note", "updated_at"})


def _update(db: Store, table: str, row_id: int, changes: dict, allowed: set) -> None:
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"cannot update {table}.{', '.join(sorted(unknown))}")
    if not changes:
        return
    assignments = ", ".join(f"{column} = ?" for column in changes)
    db.run(f"UPDATE {table} SET {assignments} WHERE id = ?", [*changes.values(), row_id])
