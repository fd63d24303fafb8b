"""Copying a desk's rows from one store to another (`db copy`): SQLite to PostgreSQL, and
back, or between two desks of the same kind.

Invariants:
  * the source is read in one snapshot (its read transaction) and the target written in
    one transaction: a copy that fails part way leaves no desk behind;
  * the target is a desk just created by Store.open(create=True): its own schema, at the
    same migration as the source; the rows its migrations seeded are replaced;
  * tables go in the order their foreign keys ask; a key that points forward (a cycle:
    departments.head_id and users.dept_id, or a table's key to itself) is written empty
    first and filled in once every table is there;
  * derived tables (the full-text indexes and their statistics, the per-assignee counts
    that triggers keep, the migration log) are not copied: the target builds its own
    (the caller re-indexes inside the same transaction);
  * rows move in pages of PAGE: a million tickets never sit in memory at once; into
    PostgreSQL each page is one COPY (Store.many, deskcli.store.pg.bulk).
"""

import sqlite3

from deskcli.store import Store

PAGE = 2000

# derived from other tables, rebuilt by the target itself
DERIVED = frozenset({"migrations", "search_index", "assignee_load", "faq_terms"})
# an index whose words are not derived from a table the target has (the tokens of the
# ticket title a FAQ answer was learned from): copied as it is
KEPT_INDEXES = {"faq_learned_fts": ("rowid", "words")}


def tables(db: Store) -> list[str]:
    """The desk's own tables whose rows are copied, by name."""
    if db.dialect == "postgres":
        names = [r[0] for r in db.all(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")]
    else:
        names = [r[0] for r in db.all("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return sorted(n for n in names if n in KEPT_INDEXES or not (
        n in DERIVED or "_fts" in n or n.startswith(("sqlite_", "deskcli_"))))


def references(db: Store, names: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, referenced table) of every foreign key among `names`."""
    if db.dialect == "postgres":
        found = [tuple(r) for r in db.all(
            "SELECT t.relname, a.attname, r.relname FROM pg_constraint c "
            "JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace")]
    else:
        found = [(name, r[3], r[2]) for name in names
                 for r in db.all(f"PRAGMA foreign_key_list({name})")]
    return [ref for ref in found if ref[0] in names and ref[2] in names]


def plan(names: list[str], refs) -> tuple[list[str], dict[str, list[str]]]:
    """The order to fill the tables in, and per table the columns to fill in afterwards
    (keys to itself, or to a table that comes later because of a cycle)."""
    needs = {name: {(col, to) for t, col, to in refs if t == name} for name in names}
    order, done, later = [], set(), {}
    while len(order) < len(names):
        ready = [n for n in names if n not in done
                 and all(to in done or to == n for _, to in needs[n])]
        if not ready:  # a cycle: break it at the table most others wait for
            left = [n for n in names if n not in done]
            ready = [min(left, key=lambda n: (
                -sum(n in {to for _, to in needs[m]} for m in left if m != n),
                sum(to not in done for _, to in needs[n]), n))]
        for name in ready:
            order.append(name)
            done.add(name)
            waits = sorted(col for col, to in needs[name] if to == name or to not in done)
            if waits:
                later[name] = waits
    return order, later


def columns(db: Store, table: str) -> list[str]:
    if table in KEPT_INDEXES:
        return list(KEPT_INDEXES[table])
    cur = db.conn.execute(f"SELECT * FROM {table} LIMIT 0")
    return [d[0] for d in cur.description]


def pages(db: Store, sql: str):
    """The rows of `sql` in lists of at most PAGE, read without holding them all."""
    if db.dialect == "postgres":  # a server-side cursor in the read transaction
        db.conn.execute(f"DECLARE deskcli_copy NO SCROLL CURSOR FOR {sql}")
        try:
            while True:
                rows = db.all(f"FETCH {PAGE} FROM deskcli_copy")
                if not rows:
                    return
                yield [tuple(r) for r in rows]
        finally:
            db.conn.execute("CLOSE deskcli_copy")
    cur = db.conn.execute(sql)
    while True:
        rows = cur.fetchmany(PAGE)
        if not rows:
            return
        yield [tuple(r) for r in rows]


def copy_rows(src: Store, dst: Store, progress=None) -> dict[str, int]:
    """Copy every table's rows from `src` (inside its read transaction) into `dst`
    (inside its write transaction); returns the rows copied per table."""
    try:
        return _copy(src, dst, progress)
    except sqlite3.Error as exc:
        raise dst.error(exc) from None


def _copy(src: Store, dst: Store, progress) -> dict[str, int]:
    names = [n for n in tables(dst) if n in set(tables(src))]
    order, later = plan(names, references(dst, names))
    counts = {}
    for table in reversed(order):  # the target's seeded rows, children first
        dst.run(f"DELETE FROM {table}")
    for table in order:
        theirs, ours = columns(src, table), columns(dst, table)
        # a PostgreSQL table without a key has a generated rowid (SQLite's is implicit):
        # rows go in rowid order, and the target numbers them again in that order
        cols = ours if table in KEPT_INDEXES else [c for c in ours
                                                   if c in theirs and c != "rowid"]
        order_by = " ORDER BY rowid" if "rowid" in theirs + ours else ""
        deferred = later.get(table, [])
        selected = ", ".join(f"NULL AS {c}" if c in deferred else c for c in cols)
        insert = (f"INSERT INTO {table} ({', '.join(cols)}) "
                  f"VALUES ({', '.join('?' for _ in cols)})")
        counts[table] = 0
        for rows in pages(src, f"SELECT {selected} FROM {table}{order_by}"):
            dst.many(insert, rows)
            counts[table] += len(rows)
            if progress:
                progress(table, counts[table])
    for table, cols in later.items():
        for col in cols:
            update = f"UPDATE {table} SET {col} = ? WHERE id = ?"
            for rows in pages(src, f"SELECT {col}, id FROM {table} WHERE {col} IS NOT NULL"):
                dst.many(update, rows)
    return counts


def analyze(db: Store) -> None:
    """Fresh planner statistics after a load (outside any transaction)."""
    db.conn.execute("ANALYZE")
