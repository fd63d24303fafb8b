"""The PostgreSQL schema is the SQLite schema's twin (issue 12): after every migration the
two stores have the same tables and views, the same columns (in order, with matching
types, NOT NULL and collation: COLLATE "C" for SQLite's byte order, `nocase` for NOCASE),
the same primary keys and unique constraints, and the same named indexes (table, columns,
unique, partial); and a new desk holds the same rows on both.

What PostgreSQL has on purpose and SQLite has not (and so is left out of the comparison):
  * fts_stats: the full-text tables' row and token counts that bm25 needs (FTS5 keeps them
    in its own shadow tables, *_data, *_idx, *_config, *_docsize, *_content, which are
    left out on the SQLite side);
  * the full-text twins' `terms` and `size` columns and their `rowid` key (FTS5 keeps the
    tokens in its shadow tables and the rowid implicitly), and their GIN index;
  * a `rowid` column (and its key) on the tables without a key, which SQLite has
    implicitly.

These tests run on the postgres leg (they compare the two stores; the sqlite leg has
nothing to compare with).
"""

import os
import sqlite3
import sys
from pathlib import Path

import pytest
from conftest import NOW, isolated_env, ok, query, seed_desk

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

FTS_SHADOWS = ("_data", "_idx", "_config", "_docsize", "_content")
PG_ONLY_TABLES = {"fts_stats"}
FTS_EXTRA_COLUMNS = ("rowid", "terms", "size")

PG_TYPES = {"INTEGER": "integer", "TEXT": "text", "BLOB": "bytea", "REAL": "double precision",
            "": "text"}  # ('' : FTS5 columns have no declared type; their twins are text)


def nocase_columns(create_sql: str) -> set[str]:
    """The columns a CREATE TABLE (with the columns migrations added) declares NOCASE."""
    from gen_pg_schema import split_top, strip_comments  # (tools/: the schema's writer)

    sql = strip_comments(create_sql)
    return {part.split()[0].strip('"') for part in split_top(sql[sql.index("(") + 1:
                                                                 sql.rindex(")")])
            if "COLLATE NOCASE" in part.upper()}


def collation(pg_type: str, nocase: bool) -> str | None:
    """Text compares byte by byte (COLLATE "C", as SQLite's BINARY) unless NOCASE."""
    if pg_type != "text":
        return None
    return "nocase" if nocase else "C"


def sqlite_shape(path) -> dict:
    conn = sqlite3.connect(path)
    try:
        return _sqlite_shape(conn)
    finally:
        conn.close()


def _sqlite_shape(conn) -> dict:
    master = conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
    virtual = {n for t, n, sql in master if t == "table" and sql and "VIRTUAL TABLE" in sql}
    shadows = {v + s for v in virtual for s in FTS_SHADOWS}
    sql_of = {n: sql for _, n, sql in master}
    relations = {n: t for t, n, _ in master
                 if t in ("table", "view") and not n.startswith("sqlite_") and n not in shadows}
    columns, keys, uniques, indexes = {}, set(), set(), {}
    for name, kind in relations.items():
        info = conn.execute(f"PRAGMA table_info({name})").fetchall()
        if kind == "view":
            columns[name] = [(c[1], None, None) for c in info]
            continue
        # a TEXT PRIMARY KEY column may hold NULL on SQLite (a legacy quirk) but never does
        nocase = nocase_columns(sql_of[name])
        columns[name] = [(c[1], PG_TYPES[c[2].upper()], bool(c[3] or c[5]),
                          collation(PG_TYPES[c[2].upper()], c[1] in nocase)) for c in info]
        if name in virtual:
            continue
        pk = tuple(c[1] for c in sorted(info, key=lambda c: c[5]) if c[5])
        if pk:
            keys.add((name, pk))
        for _, index, unique, origin, partial in conn.execute(f"PRAGMA index_list({name})"):
            cols = tuple(r[2] for r in conn.execute(f"PRAGMA index_info({index})"))
            if origin == "u":
                uniques.add((name, cols))
            elif origin == "c":
                if not unique and len(cols) > 1 and cols[-1] == "id" and pk == ("id",):
                    cols = cols[:-1]  # (as in pg_shape: a SQLite entry ends with the id)
                indexes[index] = (name, cols, bool(unique), bool(partial))
    return {"relations": relations, "columns": columns, "keys": keys, "uniques": uniques,
            "indexes": indexes}


PG_RELATIONS = """
SELECT c.relname, CASE c.relkind WHEN 'v' THEN 'view' ELSE 'table' END
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'p')
"""
PG_COLUMNS = """
SELECT table_name, column_name, data_type, is_nullable = 'NO', collation_name
FROM information_schema.columns WHERE table_schema = current_schema()
ORDER BY table_name, ordinal_position
"""
PG_CONSTRAINTS = """
SELECT t.relname, con.contype,
       (SELECT string_agg(a.attname, ',' ORDER BY k.ord)
        FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum)
FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema() AND con.contype IN ('p', 'u')
"""
PG_INDEXES = """
SELECT i.relname, t.relname, x.indisunique, x.indpred IS NOT NULL,
       (SELECT string_agg(coalesce(a.attname, '?'), ',' ORDER BY k.ord)
        FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
        LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum),
       am.amname
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_am am ON am.oid = i.relam JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema()
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = x.indexrelid)
"""


def pg_shape(url, fts_tables) -> dict:
    relations = {n: k for n, k in query(url, PG_RELATIONS) if n not in PG_ONLY_TABLES}
    columns: dict = {}
    for table, column, kind, not_null, collated in query(url, PG_COLUMNS):
        if table not in relations:
            continue
        if table in fts_tables and column in FTS_EXTRA_COLUMNS:
            continue
        if relations[table] == "view":
            columns.setdefault(table, []).append((column, None, None))
        elif column != "rowid":  # the implicit rowid of a SQLite table without a key
            columns.setdefault(table, []).append((column, kind, not_null, collated))
    keys, uniques = set(), set()
    for table, kind, cols in query(url, PG_CONSTRAINTS):
        if table in PG_ONLY_TABLES or table in fts_tables or cols == "rowid":
            continue
        (keys if kind == "p" else uniques).add((table, tuple(cols.split(","))))
    indexes = {}
    for index, table, unique, partial, cols, method in query(url, PG_INDEXES):
        if table in PG_ONLY_TABLES or (table in fts_tables and method == "gin"):
            continue
        names = tuple(None if c == "?" else c for c in cols.split(","))
        if not unique and len(names) > 1 and names[-1] == "id" and (table, ("id",)) in keys:
            # the rowid that ends every entry of a SQLite index, written out
            # (tools/gen_pg_schema.py: index)
            names = names[:-1]
        indexes[index] = (table, names, bool(unique), bool(partial))
    return {"relations": relations, "columns": columns, "keys": keys, "uniques": uniques,
            "indexes": indexes}


def differences(sqlite_path, url) -> list[str]:
    """What tells the two schemas apart, one line each (empty: twins)."""
    lite = sqlite_shape(sqlite_path)
    fts = {n for n, cols in lite["columns"].items() if n.endswith("_fts")}
    pg = pg_shape(url, fts)
    found = []
    for part in ("relations", "keys", "uniques", "indexes"):
        a, b = lite[part], pg[part]
        if isinstance(a, dict):
            for name in sorted(set(a) | set(b)):
                if a.get(name) != b.get(name):
                    found.append(f"{part} {name}: sqlite {a.get(name)} != postgres "
                                 f"{b.get(name)}")
        else:
            found += [f"{part} only on sqlite: {x}" for x in sorted(a - b)]
            found += [f"{part} only on postgres: {x}" for x in sorted(b - a)]
    for table in sorted(set(lite["columns"]) & set(pg["columns"])):
        if lite["columns"][table] != pg["columns"][table]:
            found.append(f"columns of {table}: sqlite {lite['columns'][table]} != postgres "
                         f"{pg['columns'][table]}")
    return found


@pytest.fixture
def pg_only(store_kind, request):
    if store_kind != "postgres":
        pytest.skip("compares a SQLite desk with a PostgreSQL desk: the postgres leg")
    return request.getfixturevalue("pg_cluster")


def init_twin():
    ok("init --admin alice --desk-name Twins", as_user=None)


def twin_desks(cluster, tmp_path, monkeypatch, steps: list, pg_steps: dict | None = None,
               then=None):
    """A SQLite desk and a PostgreSQL desk (a fresh database, not the migrated template)
    made by a deskcli whose migrations are `steps`; `pg_steps` replaces the PostgreSQL
    twins of the steps after the baseline; `then()`, if given, makes each desk instead
    of a bare `init`."""
    from deskcli.store import migrations
    from deskcli.store.pg import migrations as pg_migrations

    monkeypatch.setattr(migrations, "MIGRATIONS", steps)
    if pg_steps is not None:
        monkeypatch.setattr(pg_migrations, "STEPS", pg_steps)
    base = tmp_path / f"v{len(steps)}"
    base.mkdir()
    with isolated_env(base) as path:
        (then or init_twin)()
    database = f"schema{os.getpid()}_{len(steps)}_{len(pg_steps or {})}"
    cluster.drop_database(database)
    cluster.create_database(database, "template1")
    url = cluster.url(database)
    with isolated_env(base, url):
        (then or init_twin)()
    return path, url


def test_the_two_schemas_are_twins_after_every_migration(pg_only, tmp_path, monkeypatch):
    """From the PostgreSQL baseline to the newest migration, one desk per version on each
    store; every migration after the baseline has its PostgreSQL twin."""
    from deskcli.store import migrations
    from deskcli.store.pg import migrations as pg_migrations

    real = list(migrations.MIGRATIONS)
    assert pg_migrations.BASELINE <= len(real)
    missing = [m.__name__ for m in real[pg_migrations.BASELINE:]
               if m.__name__ not in pg_migrations.STEPS]
    assert not missing, f"migrations with no PostgreSQL twin: {missing}"
    compared = 0
    for version in range(pg_migrations.BASELINE, len(real) + 1):
        path, url = twin_desks(pg_only, tmp_path, monkeypatch, real[:version])
        assert query(url, "SELECT count(*) FROM migrations") == [(version,)]
        found = differences(path, url)
        assert not found, f"after {real[version - 1].__name__}:\n" + "\n".join(found)
        compared += 1
    assert compared == len(real) - pg_migrations.BASELINE + 1


def m_extra_phone(conn):
    conn.execute("ALTER TABLE departments ADD COLUMN phone TEXT")
    conn.execute("CREATE INDEX departments_phone ON departments(phone)")


def pg_phone(conn):  # a PostgreSQL twin's TEXT column is COLLATE "C", as schema.sql's
    conn.execute('ALTER TABLE departments ADD COLUMN phone TEXT COLLATE "C"')
    conn.execute("CREATE INDEX departments_phone ON departments(phone)")


def pg_phone_without_index(conn):
    conn.execute('ALTER TABLE departments ADD COLUMN phone TEXT COLLATE "C"')


def pg_phone_integer(conn):
    conn.execute("ALTER TABLE departments ADD COLUMN phone INTEGER")
    conn.execute("CREATE INDEX departments_phone ON departments(phone)")


@pytest.mark.parametrize("twin, expected", [
    (pg_phone, None),
    (pg_phone_without_index, "indexes departments_phone"),
    (pg_phone_integer, "columns of departments"),
    (m_extra_phone, "columns of departments"),  # the database's collation, not "C"
])
def test_the_comparison_sees_a_twin_that_differs(pg_only, tmp_path, monkeypatch, twin,
                                                 expected):
    """The comparison is not empty: a step whose PostgreSQL twin forgets an index or gives
    a column another type or collation is caught; a faithful twin is not."""
    from deskcli.store import migrations

    steps = [*migrations.MIGRATIONS, m_extra_phone]
    path, url = twin_desks(pg_only, tmp_path, monkeypatch, steps, {"m_extra_phone": twin})
    found = differences(path, url)
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and found[0].startswith(expected), found


# --- the rows a new desk holds ------------------------------------------------------------

# What may differ between two desks made by the same commands (same desk name), and why:
#   meta.desk_uid  a random id drawn by each `init` (it names the desk in Message-IDs)
#   outbox.message_id, ticket_mail_ids.message_id  a notice's Message-ID: the desk_uid and
#                  a random part, so that no two desks (or copies) ever share one
# Every stored time is DESKCLI_NOW, and ids are given in the same order on both stores,
# so nothing else may differ.
DIFFERENT_BY_DESIGN = {("meta", "desk_uid")}
RANDOM_COLUMNS = {("outbox", "message_id"), ("ticket_mail_ids", "message_id")}


def rows(location, table: str, columns: list[str]) -> list[tuple]:
    def plain(value):
        if isinstance(value, memoryview):
            return bytes(value)
        return value

    found = query(location, f"SELECT {', '.join(columns)} FROM {table}")
    return sorted((tuple(plain(v) for v in row) for row in found), key=repr)


def row_differences(path, url, contentless=()) -> tuple[list[str], int]:
    """The tables whose rows differ between the two desks (besides DIFFERENT_BY_DESIGN),
    and how many rows were compared. A contentless full-text table (FTS5 `content=''`)
    gives back no text on SQLite: only its rowids are compared."""
    shape = sqlite_shape(path)
    found, compared = [], 0
    for table, kind in sorted(shape["relations"].items()):
        if kind == "view":
            continue
        columns = [c[0] for c in shape["columns"][table]
                   if (table, c[0]) not in RANDOM_COLUMNS]
        if table in contentless:
            columns = ["rowid"]
        lite, pg = rows(path, table, columns), rows(url, table, columns)
        lite = [r for r in lite if (table, r[0]) not in DIFFERENT_BY_DESIGN]
        pg = [r for r in pg if (table, r[0]) not in DIFFERENT_BY_DESIGN]
        if lite != pg:
            only_lite = [r for r in lite if r not in pg][:3]
            only_pg = [r for r in pg if r not in lite][:3]
            found.append(f"{table}: sqlite only {only_lite}, postgres only {only_pg}")
        compared += len(lite)
    return found, compared


def test_a_new_desk_holds_the_same_rows_on_both_stores(pg_only, tmp_path, monkeypatch):
    """Every row `init` and the migrations write (settings, roles, the starter glossary,
    the full-text index versions, the migration records ...) is on both stores."""
    from deskcli.store import migrations

    path, url = twin_desks(pg_only, tmp_path, monkeypatch, list(migrations.MIGRATIONS))
    found, compared = row_differences(path, url)
    assert found == [], "\n".join(found)
    # (the starter glossary alone is over a thousand rows: the comparison saw them)
    assert compared > 1000
    assert query(url, "SELECT value FROM meta WHERE key = 'created_at'") == [(NOW,)]


def workload():
    """The same commands on each desk: the conftest desk (people, types with every
    routing), tickets through their life, FAQ entries, synonyms, notices and reminders."""
    seed_desk()
    ok("type add rr --name RR --route round-robin:support --accept-within 1h "
       "--nudge-every 1h")
    for n in range(4):
        ok(f"ticket open --type rr --title 'Printer {n} jammed' -m 'Room {n}' --customer C1")
    ok("ticket open --type crash --title 'App crash' --field phone_model=X --field os=iOS "
       "--field app_version=3.2")
    ok("ticket open --type renewal --title Renew --customer C1 --field package=12")
    ok("ticket accept 1", as_user="bob")
    ok("ticket reply 1 -m 'Try tray 2' --wait", as_user="bob")
    ok("ticket resolve 1 -m 'Paper jam'", as_user="bob")
    ok("ticket rate 1 4")
    ok("ticket tag 2 printer")
    ok("ticket merge 3 --into 2")
    ok("faq add --question '打印机卡纸怎么办' --answer '打开二号纸盒。' --keywords 打印机,卡纸")
    ok("faq add --question 'How do I reset my password?' --answer 'Use the link.' "
       "--keywords Password")
    ok("faq synonym add 打印机 printer")
    ok("config set outbox.via stdout")
    ok("config set mail.from 'Desk <desk@school.example>'")
    ok("remind run", now="2026-11-28T12:00:00Z")
    ok("outbox send", now="2026-11-28T12:01:00Z")


def test_the_same_commands_write_the_same_rows_on_both_stores(pg_only, tmp_path,
                                                             monkeypatch):
    """After the same commands at the same moments, every table holds the same rows on
    both stores, derived ones too (routing turns, open-work counts, FAQ terms, the ticket
    search text, notices): ids are given in the same order, times come from DESKCLI_NOW."""
    from deskcli.store import migrations

    path, url = twin_desks(pg_only, tmp_path, monkeypatch, list(migrations.MIGRATIONS),
                           then=workload)
    found, compared = row_differences(path, url, contentless=("faq_fts",))
    assert found == [], "\n".join(found)
    assert query(url, "SELECT count(*) FROM outbox WHERE status = 'sent'") != [(0,)]
    assert compared > 1200
