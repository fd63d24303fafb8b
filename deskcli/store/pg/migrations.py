"""Forward-only migrations of a PostgreSQL desk, in step with the SQLite ones.

The version is the number of rows of the `migrations` table, which names the SQLite
migrations (deskcli.store.migrations.MIGRATIONS) the desk's schema equals. A new
PostgreSQL desk starts from the baseline: deskcli/store/pg/schema.sql, generated from a
new SQLite desk (tools/gen_pg_schema.py), which equals the first BASELINE SQLite
migrations; those names are recorded at once. Every SQLite migration after the baseline
needs its PostgreSQL twin in STEPS (same name; its TEXT columns COLLATE "C", as in
schema.sql, else they sort by the server's locale); tests/test_pg_schema.py proves that
the two schemas have the same tables, columns (types, NOT NULL, collation), keys and
indexes after every step, and that a new desk holds the same rows on both.

Upgrades run inside the desk's write lock (the advisory lock of BEGIN IMMEDIATE), so two
commands starting at once on an old desk migrate it once.
"""

import sqlite3
from typing import NamedTuple  # (dataclasses would import inspect: slow)

from deskcli.errors import DeskError

BASELINE = 17  # m001_initial .. m021_recommend
STEPS: dict = {}  # SQLite migration name -> function(conn) doing the same on PostgreSQL


class State(NamedTuple):
    version: int  # migrations applied
    created: bool  # `init` has made the desk (meta created_at)


def state(store) -> State:
    if store.conn.in_transaction and not store.conn.execute(
            "SELECT to_regclass('migrations') IS NOT NULL").fetchone()[0]:
        return State(0, False)  # (a failed statement would end the transaction)
    try:
        row = store.conn.execute(
            "SELECT count(*), (SELECT value FROM meta WHERE key = 'created_at') "
            "FROM migrations").fetchone()
    except sqlite3.OperationalError as exc:
        if "does not exist" in str(exc):
            return State(0, False)
        raise
    return State(row[0], row[1] is not None)


def target() -> int:
    from deskcli.store.migrations import MIGRATIONS

    return len(MIGRATIONS)


def upgrade(store) -> list[str]:
    from deskcli.clock import stamp
    from deskcli.store.migrations import MIGRATIONS

    conn = store.conn
    applied = []
    with store.write():
        current = state(store).version
        if current > target():
            raise DeskError(f"the desk {store.path} has schema version {current}, newer than "
                            f"this deskcli knows ({target()})",
                            "upgrade deskcli (`pip install -U deskcli`) before using this desk")
        if current == 0:
            baseline(conn)
            names = [step.__name__ for step in MIGRATIONS[:BASELINE]]
            conn.executemany("INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                             [(name, stamp()) for name in names])
            applied += names
            current = BASELINE
        for step in MIGRATIONS[current:]:
            twin = STEPS.get(step.__name__)
            if twin is None:
                raise DeskError(f"this deskcli has no PostgreSQL form of the migration "
                                f"{step.__name__}", "report it: it is a bug of deskcli")
            twin(conn)
            conn.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                         (step.__name__, stamp()))
            applied.append(step.__name__)
    return applied


def script(conn, name: str) -> None:
    """Run one of this package's SQL files as it is (one round trip)."""
    from pathlib import Path

    run_script(conn, Path(__file__).with_name(name).read_text(encoding="utf-8"))


def run_script(conn, sql: str) -> None:
    """SQL run as it is; its errors as the store's (a role that may not create tables
    in the schema is exit 77, not a traceback)."""
    from deskcli.store.pg.connection import as_sqlite_error

    try:
        conn.raw_cursor().execute(sql)
    except Exception as exc:
        raise as_sqlite_error(exc) from None


def baseline(conn) -> None:
    script(conn, "compat.sql")
    script(conn, "schema.sql")
    script(conn, "search.sql")  # the full-text tables (deskcli/store/pg/search.py)
    run_script(conn, triggers())
    # (search.sql also inserts the rows the baseline's SQLite migrations insert: the
    # full-text indexes' tokenizer versions)


OPEN_ASSIGNED = "('assigned', 'in_progress', 'waiting')"


def triggers() -> str:
    """The triggers of a SQLite desk, in PL/pgSQL."""
    from deskcli.store.migrations import REMIND_COLUMNS, remind_at_sql

    return f"""
CREATE FUNCTION deskcli_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'events are append-only: an event cannot be changed'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RAISE EXCEPTION 'events are append-only: an event cannot be deleted'
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION deskcli_events_append_only();
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION deskcli_events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION deskcli_events_append_only();

CREATE FUNCTION deskcli_assignee_load() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.assignee_id IS NOT NULL
            AND OLD.status IN {OPEN_ASSIGNED} THEN
        UPDATE assignee_load SET open = open - 1 WHERE user_id = OLD.assignee_id;
    END IF;
    IF NEW.assignee_id IS NOT NULL AND NEW.status IN {OPEN_ASSIGNED} THEN
        INSERT INTO assignee_load (user_id, open) VALUES (NEW.assignee_id, 1)
        ON CONFLICT (user_id) DO UPDATE SET open = assignee_load.open + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER assignee_load_insert AFTER INSERT ON tickets FOR EACH ROW
    WHEN (NEW.assignee_id IS NOT NULL AND NEW.status IN {OPEN_ASSIGNED})
    EXECUTE FUNCTION deskcli_assignee_load();
CREATE TRIGGER assignee_load_update AFTER UPDATE OF assignee_id, status ON tickets
    FOR EACH ROW
    WHEN (OLD.assignee_id IS DISTINCT FROM NEW.assignee_id OR
          (OLD.status IN {OPEN_ASSIGNED}) <> (NEW.status IN {OPEN_ASSIGNED}))
    EXECUTE FUNCTION deskcli_assignee_load();

CREATE FUNCTION deskcli_remind_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.remind_at := {remind_at_sql('NEW')};
    RETURN NEW;
END $$;
CREATE TRIGGER tickets_remind_insert BEFORE INSERT ON tickets FOR EACH ROW
    WHEN (NEW.status IN ('new', 'assigned', 'in_progress'))
    EXECUTE FUNCTION deskcli_remind_at();
CREATE TRIGGER tickets_remind_update BEFORE UPDATE OF {REMIND_COLUMNS} ON tickets
    FOR EACH ROW EXECUTE FUNCTION deskcli_remind_at();
"""
