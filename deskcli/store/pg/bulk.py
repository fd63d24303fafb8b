"""Bulk writes on a PostgreSQL desk: `COPY table (columns) FROM STDIN`.

The store writes many rows with `executemany("INSERT INTO t (a, b) VALUES (?, ?)", rows)`
(Store.many): the import's batches of tickets, events, CC lists, checklist steps and
full-text rows, `db copy`'s pages, `db reindex`. On PostgreSQL such a statement is sent as
one COPY in text format instead of pages of INSERTs (Connection.executemany decides, with
`plan`), so the callers do not know which store they write. What the INSERTs did without
being asked is kept:

* `INSERT OR IGNORE` (ticket_cc): the batch is deduplicated here (the first of equal rows
  is kept, as SQLite keeps it), then copied into a temporary table and moved with
  `INSERT ... SELECT ... ORDER BY ctid ON CONFLICT DO NOTHING` (a row may also repeat one
  already stored); a small batch keeps the INSERT;
* row triggers fire for COPY as for INSERT: the full-text twin's terms and sizes
  (search.sql), the per-assignee counts, remind_at, the events' append-only rules (they
  refuse UPDATE and DELETE, not INSERT);
* a full-text table (search.sql) gets each row's terms and size computed here, as its
  row trigger deskcli_fts_row computes them (the same tsvector text, cast by COPY), with
  the trigger disabled for the COPY (ALTER TABLE ... DISABLE TRIGGER: a SHARE ROW
  EXCLUSIVE lock, which readers do not wait for; the write lock already keeps writers
  out): the trigger's PL/pgSQL was most of the server's time in an import. Its statement
  trigger still counts the rows and tokens into fts_stats;
* a table whose id a row trigger numbers (largest + 1, compat.sql's deskcli_rowid) gets
  its ids here when the rows carry none and the connection holds the desk's write lock:
  the same numbers, without running the trigger's dynamic query once a row. A generated
  identity (ticket_cc's rowid) numbers COPY's rows as it numbers INSERT's;
* values are written in COPY's text format: backslash, tab, newline and carriage return
  escaped, None as \\N, bytes as bytea's hex (\\x...), bools as 1 and 0 (SQLite's
  values; no desk column is boolean), floats by repr (shortest exact form), anything
  else by str().

The rows are streamed: `copy_expert` reads the text in chunks of about CHUNK characters,
built from the rows as it asks for them.
"""

import re

from deskcli.store.pg.search import COLUMNS, fold

# executemany's statements that become a COPY: a plain INSERT of placeholders only
PLAIN_INSERT = re.compile(
    r"^\s*INSERT\s+(?:OR\s+(IGNORE)\s+)?INTO\s+(\w+)\s*\(([^)]*)\)\s*"
    r"VALUES\s*\(\s*\?(?:\s*,\s*\?)*\s*\)\s*;?\s*$", re.I)

COPY_MIN = 2  # rows: below, the INSERT (one row: nothing to gain)
IGNORE_MIN = 200  # rows of an INSERT OR IGNORE: below, the INSERT ... ON CONFLICT
MANY = 100  # rows: from here the ids and full-text terms are made here, not by triggers
CHUNK = 1 << 16


def plan(sql: str, count: int) -> tuple[str, tuple[str, ...], bool] | None:
    """(table, columns, ignore) when `count` rows of `sql` are better sent as a COPY."""
    if count < COPY_MIN:
        return None
    match = PLAIN_INSERT.match(sql)
    if match is None:
        return None
    ignore = bool(match.group(1))
    if ignore and count < IGNORE_MIN:
        return None
    columns = tuple(c.strip() for c in match.group(3).split(","))
    if sql.count("?") != len(columns):
        return None
    return match.group(2), columns, ignore


def text(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    kind = type(value)
    if kind is str:
        if "\\" in value:
            value = value.replace("\\", "\\\\")
        if "\t" in value:
            value = value.replace("\t", "\\t")
        if "\n" in value:
            value = value.replace("\n", "\\n")
        if "\r" in value:
            value = value.replace("\r", "\\r")
        return value
    if kind is int:
        return str(value)
    if kind is bool:
        return "1" if value else "0"
    if kind is float:
        return repr(value)
    if kind in (bytes, bytearray, memoryview):
        return "\\\\x" + bytes(value).hex()
    return text(str(value))


class Stream:
    """The rows as COPY text, made a chunk at a time as copy_expert reads it."""

    def __init__(self, rows):
        self._rows = iter(rows)

    def read(self, size: int = CHUNK) -> str:
        lines, length = [], 0
        size = max(size, 1)
        for row in self._rows:
            line = "\t".join(map(text, row))
            lines.append(line)
            length += len(line) + 1
            if length >= size:
                break
        return "\n".join(lines) + "\n" if lines else ""

    readline = read


def unique(rows) -> list:
    """The rows without repeats, the first of equal rows kept, in order."""
    seen = set()
    out = []
    for row in rows:
        key = tuple(row)
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


def owned(conn, table: str) -> bool:
    """Whether the connection's role owns `table` (may disable its triggers); asked once."""
    known = conn.owns.get(table)
    if known is None:
        cur = conn.raw_cursor()
        conn.round_trips += 1
        cur.execute("SELECT pg_has_role(relowner, 'USAGE') FROM pg_class "
                    "WHERE oid = to_regclass(%s)", (table,))
        row = cur.fetchone()
        known = conn.owns[table] = bool(row and row[0])
    return known


def terms_and_size(rows):
    """(rowid, text columns..., terms, size): deskcli_terms and the token count of
    search.sql's deskcli_fts_row, for rows of a full-text table."""
    for row in rows:
        parts, size = [], 0
        for n, value in enumerate(row[1:], start=1):
            if not value:
                continue
            value = fold(value)
            tokens = list(filter(None, value.split(" ")))  # (string_to_array(t, ' '))
            size += len(tokens)
            weight = f":{n}{chr(64 + n)}"
            if len(value) < 512 and "\\" not in value and "'" not in value:
                parts += [f"'{t}'{weight}" for t in dict.fromkeys(tokens)]
                continue
            for token in dict.fromkeys(tokens):
                if len(token) >= 512 and len(token.encode()) >= 2048:
                    continue  # (tsvector's longest lexeme is 2,047 bytes)
                token = token.replace("\\", "\\\\").replace("'", "''")
                parts.append(f"'{token}'{weight}")
        yield (*row, " ".join(parts), size)


def copy_in(conn, table: str, columns: tuple[str, ...], ignore: bool, rows: list) -> None:
    """Write `rows` into `table` with COPY (see the module's text); errors are psycopg2's,
    Connection.executemany translates them."""
    cur = conn.raw_cursor()
    if ignore:
        rows = unique(rows)
    many = len(rows) >= MANY
    if table in conn.id_tables and "id" not in columns and conn.locked and many:
        conn.round_trips += 1
        cur.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
        first = cur.fetchone()[0] + 1
        rows = ((n, *row) for n, row in enumerate(rows, start=first))
        columns = ("id", *columns)
    trigger = None
    if (table in COLUMNS and columns == ("rowid", *COLUMNS[table]) and not ignore
            and many and owned(conn, table)):
        trigger = f"{table}_row"  # (search.sql's name)
        rows = terms_and_size(rows)
        columns = (*columns, "terms", "size")
    names = ", ".join(columns)
    if (table == "tickets" and "remind_at" not in columns and not ignore and many
            and conn.remind_at_sql and owned(conn, table)):
        return _tickets(conn, cur, names, rows)
    if not ignore:
        conn.round_trips += 1
        if trigger:
            conn.round_trips += 2
            cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        cur.copy_expert(f"COPY {table} ({names}) FROM STDIN", Stream(rows), CHUNK)
        if trigger:
            cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
        return
    staged = f"deskcli_copy_{table}"
    conn.round_trips += 4
    cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staged} ON COMMIT DROP AS "
                f"SELECT {names} FROM {table} WITH NO DATA")
    cur.copy_expert(f"COPY {staged} ({names}) FROM STDIN", Stream(rows), CHUNK)
    cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staged} "
                "ORDER BY ctid ON CONFLICT DO NOTHING")
    cur.execute(f"TRUNCATE {staged}")


def _tickets(conn, cur, names: str, rows) -> None:
    """New tickets through a temporary table, their remind_at computed by the set-based
    INSERT ... SELECT with migrations.remind_at_sql (the SQL of the row trigger
    tickets_remind_insert, disabled meanwhile: its PL/pgSQL once a row was the largest
    share of a ticket's insert). (The connection holds remind_at_sql: this module does
    not import the store's migrations.)"""
    conn.round_trips += 6
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS deskcli_copy_tickets "
                "(LIKE tickets INCLUDING DEFAULTS) ON COMMIT DROP")
    cur.copy_expert(f"COPY deskcli_copy_tickets ({names}) FROM STDIN", Stream(rows), CHUNK)
    cur.execute("ALTER TABLE tickets DISABLE TRIGGER tickets_remind_insert")
    cur.execute(f"INSERT INTO tickets ({names}, remind_at) SELECT {names}, "
                f"CASE WHEN s.status IN ('new', 'assigned', 'in_progress') "
                f"THEN {conn.remind_at_sql('s')} ELSE s.remind_at END "
                "FROM deskcli_copy_tickets s ORDER BY ctid")
    cur.execute("ALTER TABLE tickets ENABLE TRIGGER tickets_remind_insert")
    cur.execute("TRUNCATE deskcli_copy_tickets")
