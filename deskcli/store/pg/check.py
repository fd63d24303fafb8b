"""`db check` on a PostgreSQL desk: what a PostgreSQL administrator would check.

* foreign keys: PostgreSQL enforces them, but a restore with `--disable-triggers`, or a
  session with `session_replication_role = replica`, can leave rows pointing nowhere;
  every foreign key of the desk's schema is checked for such rows;
* indexes: an index left invalid by a failed `CREATE INDEX CONCURRENTLY` is reported; with
  the `amcheck` extension installed in the database (`CREATE EXTENSION amcheck`, by its
  owner), every b-tree index is verified against its table (bt_index_check with
  heapallindexed): a damaged page or a missing entry is a finding.
Pages and files themselves are the server's business (data checksums, pg_checksums).
"""

import sqlite3

_FOREIGN_KEYS = (
    "SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, p.attname "
    "FROM pg_constraint c "
    "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
    "JOIN pg_attribute p ON p.attrelid = c.confrelid AND p.attnum = c.confkey[1] "
    "WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 "
    "AND c.connamespace = current_schema()::regnamespace ORDER BY 1, 2")

_INDEXES = (
    "SELECT i.relname, x.indisvalid, a.amname = 'btree' FROM pg_index x "
    "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am a ON a.oid = i.relam "
    "WHERE i.relnamespace = current_schema()::regnamespace ORDER BY i.relname")


def pg_check(db) -> list[str]:
    """Every problem found (empty when healthy), in one read transaction."""
    problems = []
    with db.read():
        for table, column, parent, key in db.all(_FOREIGN_KEYS):
            for row in db.all(
                    f"SELECT c.{column} FROM {table} c WHERE c.{column} IS NOT NULL AND "
                    f"NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{key} = c.{column}) "
                    f"ORDER BY 1 LIMIT 20"):
                problems.append(f"foreign key: {table}.{column} = {row[0]} points to a "
                                f"missing {parent}")
        amcheck = db.scalar("SELECT count(*) FROM pg_extension WHERE extname = 'amcheck'")
        for name, valid, btree in db.all(_INDEXES):
            if not valid:
                problems.append(f"index: {name} is invalid; build it again (REINDEX INDEX "
                                f"{name})")
            elif amcheck and btree:
                try:
                    db.scalar("SELECT bt_index_check(?::regclass, true)::text", (name,))
                except sqlite3.DatabaseError as exc:
                    problems.append(f"index: {name}: {exc}")
                    break  # the transaction is over: the rest cannot be checked
    return problems
