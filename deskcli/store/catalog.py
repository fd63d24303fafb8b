"""What a desk's database holds: its tables, indexes and triggers and the SQL that makes
them again, read from SQLite's sqlite_master or from PostgreSQL's catalog (the tables of
the desk's schema, the first of the search_path). One function per question, for both
dialects: nothing outside this module reads either catalog."""

from deskcli.store import Store

# the indexes of a PostgreSQL table that no constraint owns (a primary key's or a UNIQUE
# column's index is part of the table, as SQLite's sqlite_autoindex_* are)
_PG_INDEXES = (
    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
    "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
    "WHERE t.relnamespace = current_schema()::regnamespace AND t.relname IN ({marks}) "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid) "
    "ORDER BY i.relname")


def tables(db: Store) -> list[str]:
    """The names of the desk's tables, sorted (SQLite's own tables left out)."""
    if db.dialect == "postgres":
        sql = ("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
               "ORDER BY tablename")
    else:
        sql = ("SELECT name FROM sqlite_master WHERE type = 'table' "
               "AND name NOT LIKE 'sqlite_%' ORDER BY name")
    return [r[0] for r in db.all(sql)]


def has_table(db: Store, name: str) -> bool:
    if db.dialect == "postgres":
        return db.scalar("SELECT to_regclass(?) IS NOT NULL", (name,))
    return db.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                     (name,)) > 0


def indexes(db: Store, table_names: tuple[str, ...]) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the secondary indexes of these tables: those that
    may be dropped and made again (not the index of a key or a UNIQUE constraint)."""
    marks = ",".join("?" * len(table_names))
    if db.dialect == "postgres":
        sql = _PG_INDEXES.format(marks=marks)
    else:
        sql = (f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
               f"AND tbl_name IN ({marks}) ORDER BY name")
    return [(r[0], r[1]) for r in db.all(sql, table_names)]


def trigger(db: Store, table: str, name: str) -> str | None:
    """The CREATE TRIGGER statement of the trigger `name` on `table`, None if there is none."""
    if db.dialect == "postgres":
        return db.scalar(
            "SELECT pg_get_triggerdef(g.oid) FROM pg_trigger g JOIN pg_class t "
            "ON t.oid = g.tgrelid WHERE t.relnamespace = current_schema()::regnamespace "
            "AND t.relname = ? AND g.tgname = ? AND NOT g.tgisinternal", (table, name))
    return db.scalar("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
                     "AND name = ?", (table, name))


def drop_trigger(db: Store, table: str, name: str) -> None:
    db.run(f"DROP TRIGGER {name} ON {table}" if db.dialect == "postgres"
           else f"DROP TRIGGER {name}")
