"""Forward-only schema migrations: an ordered list of named functions.

`PRAGMA user_version` holds how many have been applied, so checking for pending work is one
pragma read on every open. Each step runs in its own transaction together with its record
in the `migrations` table. Before migrating a desk that already holds data, a copy of the
file is kept next to it (`desk.db.before-v3-20261128T093000Z`).
"""

import sqlite3

MIGRATIONS = []
migration = MIGRATIONS.append


def statements(script: str):
    """Split an SQL script into complete statements (triggers included), so a migration
    can run inside our own transaction; `executescript` would commit first."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                yield pending
            pending = ""
    if pending.strip() and not pending.strip().startswith("--"):
        yield pending


def execute_script(conn, script: str) -> None:
    for statement in statements(script):
        conn.execute(statement)


@migration
def m001_initial(conn):
    from deskcli.resources import resource

    execute_script(conn, resource("schema.sql").read_text(encoding="utf-8"))


def version(store) -> int:
    return store.conn.execute("PRAGMA user_version").fetchone()[0]


def upgrade(store) -> list[str]:
    """Apply pending migrations; returns the names applied."""
    current = version(store)
    if current == len(MIGRATIONS):
        return []
    if current > len(MIGRATIONS):
        from deskcli.errors import DeskError

        raise DeskError(f"the desk {store.path} has schema version {current}, newer than "
                        f"this deskcli knows ({len(MIGRATIONS)})",
                        "upgrade deskcli (`pip install -U deskcli`) before using this desk")
    if current > 0:
        backup_before(store, current)
    conn = store.conn
    conn.execute("PRAGMA journal_mode = WAL")
    applied = []
    for number, step in enumerate(MIGRATIONS[current:], start=current + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if number != version(store) + 1:  # another process migrated meanwhile
                conn.execute("ROLLBACK")
                continue
            step(conn)
            from deskcli.clock import stamp

            conn.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                         (step.__name__, stamp()))
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(step.__name__)
    return applied


def backup_before(store, current: int) -> None:
    """Keep a consistent copy of the desk before changing its schema."""
    from deskcli.clock import now

    target = store.path.with_name(
        f"{store.path.name}.before-v{current + 1}-{now().strftime('%Y%m%dT%H%M%SZ')}")
    if not target.exists():
        backup_to(store, target)


def backup_to(store, target) -> None:
    """Online backup (consistent even while others write), readable by the owner only."""
    import os

    destination = sqlite3.connect(target)
    try:
        store.conn.backup(destination)
    finally:
        destination.close()
    os.chmod(target, 0o600)
