"""A PostgreSQL connection that the store's query modules use like their sqlite3 one.

The store writes its SQL once, in the dialect both engines share, and this module bridges
the few places where they differ, so a query function has one text for both stores:

* placeholders: `?` and `:name` become psycopg2's `%s` and `%(name)s` (a literal `%` is
  doubled); `x IS ?` (or `IS :name`) becomes `IS NOT DISTINCT FROM`;
* `INSERT OR IGNORE` and `INSERT OR REPLACE` become `ON CONFLICT` clauses; an INSERT into
  a table with an `id` key returns it (`cursor.lastrowid`, as sqlite3 gives);
* `LIKE` is case-insensitive for ASCII on SQLite: `ILIKE` here;
* `INDEXED BY name` (SQLite's index hint) is dropped: PostgreSQL's planner chooses; so is
  the unary `+` before a column (`+o.kind`: SQLite's way to keep a column's index out);
* transactions: `BEGIN` is a REPEATABLE READ snapshot (one consistent view for the whole
  command, like SQLite's read transaction); `BEGIN IMMEDIATE` also takes the desk's
  advisory lock, so write transactions run one at a time, as on SQLite: ids, round-robin
  and least-loaded routing and FAQ keys stay race-free with many writers on many hosts. A
  wait longer than the busy timeout (`lock_timeout`) is "database is locked": exit 75;
* PRAGMAs: `user_version` reads the number of applied migrations; the others tune
  SQLite's file and page cache and do nothing here;
* errors: psycopg2's exceptions are raised as sqlite3's classes (IntegrityError,
  OperationalError with SQLite's words for a busy desk), so one error vocabulary runs
  through the store and store.faults translates both;
* rows: `Row` reads by position and by column name, like sqlite3.Row.
Each translated statement is cached by its text: the work is done once per statement.
"""

import os
import re
import sqlite3

# the advisory lock of a desk's write transactions (one desk per database): 'desk', 1
LOCK_KEY = (1684370283, 1)


def lock_key(schema: str | None) -> tuple[int, int]:
    """The advisory lock of the desk in `schema` (None: the database's one desk): desks in
    schemas of one database do not wait for each other."""
    if schema is None:
        return LOCK_KEY
    import zlib

    return LOCK_KEY[0], 2 + zlib.crc32(schema.encode("utf-8")) % 2_000_000_000

# tables whose key is `id INTEGER PRIMARY KEY` (tools/gen_pg_schema.py checks the list)
ID_TABLES = frozenset({
    "departments", "users", "customers", "ticket_types", "tickets", "events", "attachments",
    "time_logs", "outbox", "schedules", "faq_categories", "faq", "ticket_mail_ids",
    "faq_synonyms", "faq_learned"})

# the key `INSERT OR REPLACE` replaces on, by table
REPLACE_KEYS = {"holidays": ("day",), "meta": ("key",), "settings": ("key",)}

TOKENS = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|::|\?|(?<![:\w]):(\w+)|%|"
                    r"\bIS\s+NOT\s+(?:\?|:(\w+))|\bIS\s+(?:\?|:(\w+))|\bLIKE\b", re.I)
# the 0/1 columns SQLite reads as conditions (`WHERE u.active AND ...`): PostgreSQL needs
# a boolean there
FLAGS = re.compile(r"\b(WHERE|AND|NOT|WHEN)(\s+)((?:\w+\.)?(?:active|working|required))"
                   r"(?=\s*(?:\b(?:AND|OR|ORDER|GROUP|LIMIT|THEN)\b|\)|$))", re.I)
# SQLite's index hints; PostgreSQL has none
INDEXED = re.compile(r"\s+(?:INDEXED\s+BY\s+\w+|NOT\s+INDEXED)\b|(?<=[\s(])\+(?=\w+\.\w)",
                     re.I)
INSERT = re.compile(r"^\s*INSERT\s+(?:OR\s+(IGNORE|REPLACE)\s+)?INTO\s+(\w+)\s*(\(([^)]*)\))?",
                    re.I)


READS_KEPT = 32  # the SELECTs a connection notes for deskcli.store.pg.early


class Row:
    """A result row: by position (`row[0]`), by column name (`row["id"]`), `keys()`."""

    __slots__ = ("_values", "_index")

    def __init__(self, values, index):
        self._values = values
        self._index = index

    def __getitem__(self, key):
        if isinstance(key, str):
            return self._values[self._index[key]]
        return self._values[key]

    def keys(self):
        return list(self._index)

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)

    def __eq__(self, other):
        if isinstance(other, Row):
            return self._values == other._values
        return tuple(self._values) == other

    def __hash__(self):
        return hash(tuple(self._values))

    def __repr__(self):
        return f"Row({dict(zip(self._index, self._values, strict=True))!r})"


def translate(sql: str) -> tuple[str, bool]:
    """The statement in PostgreSQL's dialect, and whether it returns the new row's id."""
    def token(match):
        text = match.group(0)
        if text[0] in "'\"" or text == "::":
            return text.replace("%", "%%") if text[0] == "'" else text
        if text == "?":
            return "%s"
        if text == "%":
            return "%%"
        if match.group(1):
            return f"%({match.group(1)})s"
        upper = text.upper()
        if upper == "LIKE":
            return "ILIKE"
        name = match.group(2) or match.group(3)
        mark = f"%({name})s" if name else "%s"
        if re.match(r"IS\s+NOT\s", upper):
            return f"IS DISTINCT FROM {mark}"
        return f"IS NOT DISTINCT FROM {mark}"

    out = FLAGS.sub(r"\1\2(\3 <> 0)", TOKENS.sub(token, INDEXED.sub("", sql)))
    returns_id = False
    insert = INSERT.match(out)
    if insert:
        action, table, columns = insert.group(1), insert.group(2), insert.group(4)
        if action:
            out = re.sub(r"\bOR\s+(IGNORE|REPLACE)\s+", "", out, count=1, flags=re.I)
        body = out.rstrip().rstrip(";")
        if action and action.upper() == "IGNORE":
            body += " ON CONFLICT DO NOTHING"
        elif action:
            keys = REPLACE_KEYS[table]
            names = [c.strip() for c in (columns or "").split(",") if c.strip()]
            sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in names if c not in keys)
            body += f" ON CONFLICT ({', '.join(keys)}) " + (f"DO UPDATE SET {sets}" if sets
                                                             else "DO NOTHING")
        if table in ID_TABLES and not re.search(r"\bRETURNING\b", body, re.I):
            body += " RETURNING id"
            returns_id = True
        out = body
    return out, returns_id


class Cursor:
    """What a query returns: rows (Row), `lastrowid`, `rowcount`, `description`."""

    def __init__(self, cur, returns_id: bool = False):
        self._cur = cur
        self.lastrowid = None
        self.rowcount = cur.rowcount if cur is not None else -1
        self._index = None
        if cur is not None and cur.description is not None:
            self._index = {d[0]: i for i, d in enumerate(cur.description)}
            if returns_id:
                row = cur.fetchone()
                self.lastrowid = row[0] if row else None
                self._index = None

    @property
    def description(self):
        return None if self._index is None else self._cur.description

    def fetchone(self):
        if self._index is None:
            return None
        row = self._cur.fetchone()
        return None if row is None else Row(row, self._index)

    def fetchall(self):
        if self._index is None:
            return []
        index = self._index
        return [Row(row, index) for row in self._cur.fetchall()]

    def fetchmany(self, size: int = 1000):
        if self._index is None:
            return []
        index = self._index
        return [Row(row, index) for row in self._cur.fetchmany(size)]

    def __iter__(self):
        if self._index is None:
            return iter(())
        index = self._index
        return (Row(row, index) for row in self._cur)


class Connection:
    """One psycopg2 connection in autocommit mode: deskcli begins and ends transactions
    itself, with the same statements it sends SQLite."""

    row_factory = None  # rows are always Row
    id_tables = ID_TABLES  # (for pg.bulk, which this module imports)
    remind_at_sql = None  # store.migrations.remind_at_sql, given by open_store (pg.bulk)

    def __init__(self, raw, lock_timeout_ms: int, lock=LOCK_KEY):
        self.raw = raw
        self.lock = lock  # the desk's advisory lock (lock_key)
        self.lock_timeout_ms = lock_timeout_ms
        self.in_transaction = False
        self.locked = False  # holds the desk's write lock (BEGIN IMMEDIATE)
        self.owns: dict[str, bool] = {}  # table -> this role owns it (pg.bulk.owned)
        self._cache: dict[str, tuple[str, bool]] = {}
        self.round_trips = 0
        # BEGIN (and the write lock) wait for the transaction's first statement and travel
        # with it: one round trip less per command (the snapshot of REPEATABLE READ starts
        # at the first statement anyway, and nothing happens between the two)
        self._begin: str | None = None
        self.reads: list[str] | None = None  # the SELECTs sent, for pg.early (when a list)
        self.remember = None  # pg.early.remember, called with them on close

    def close(self) -> None:
        self.raw.close()
        if self.reads is not None and self.remember is not None:
            self.remember(self.reads)

    def execute(self, sql: str, params=()):
        control = sql.strip().upper()
        if control.startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "END")):
            return self._control(control, sql)
        cached = self._cache.get(sql)
        if cached is None:
            cached = self._cache[sql] = translate(sql)
        text, returns_id = cached
        cur = self.raw.cursor()
        self._send(cur, text, params if params is not None else ())
        return Cursor(cur, returns_id)

    def cursor(self) -> "PlainCursor":
        """A cursor whose rows are plain tuples (sqlite3's cursor with no row_factory):
        the reports read tens of thousands of rows."""
        return PlainCursor(self)

    def several(self, queries: list[tuple[str, tuple]]) -> list[list[Row]]:
        """Several small SELECTs in one round trip: each one's rows come back as a JSON
        array (json_agg over the query as written keeps its ORDER BY, with no join or
        grouping around it), turned back into rows. Text, numbers and NULL only."""
        import json

        # as text, parsed here into (name, value) pairs: columns may share a name
        sql = "SELECT " + ", ".join(f"(SELECT json_agg(q)::text FROM ({text}) q)"
                                    for text, _ in queries)
        if all(isinstance(params, dict) for _, params in queries):  # named parameters
            values = {k: v for _, params in queries for k, v in params.items()}
        else:
            values = [p for _, params in queries for p in params]
        row = self.execute(sql, values).fetchone()
        found = []
        for text in row:
            rows = json.loads(text, object_pairs_hook=tuple) if text else ()
            index = {}
            for i, (name, _) in enumerate(rows[0] if rows else ()):
                index.setdefault(name, i)
            found.append([Row([value for _, value in r], index) for r in rows])
        return found

    def raw_cursor(self):
        """psycopg2's own cursor, inside the transaction begun (for scripts and COPY)."""
        if self._begin:
            self._send(self.raw.cursor(), "SELECT 1", None)
        return self.raw.cursor()

    def executemany(self, sql: str, rows) -> None:
        """Many rows of one statement: a plain INSERT of many rows is one COPY
        (deskcli.store.pg.bulk), anything else goes in pages of 500 statements joined
        by ";" (psycopg2.extras.execute_batch's way, without importing that module:
        8-9 ms with the logging package, on the path of every `ticket open`). No rows,
        no round trip."""
        from deskcli.store.pg.bulk import copy_in, plan

        if not isinstance(rows, list | tuple):
            rows = list(rows)
        if not rows:
            return None
        copy = plan(sql, len(rows))
        if copy and (self.in_transaction or not copy[2]):  # (a temp table needs one)
            try:
                return copy_in(self, *copy, rows)
            except Exception as exc:
                raise as_sqlite_error(exc) from None
        text, returns_id = translate(sql)
        if returns_id:
            text = text[: -len(" RETURNING id")]
        cur = self.raw_cursor()
        try:
            for start in range(0, len(rows), 500):
                cur.execute(b";".join([cur.mogrify(text, row) for row in rows[start:start + 500]]))
                self.round_trips += 1
        except Exception as exc:
            raise as_sqlite_error(exc) from None

    def _send(self, cur, text: str, params) -> None:
        self.round_trips += 1
        reads = self.reads
        if (reads is not None and text.lstrip()[:4] in ("SELE", "WITH")
                and len(reads) < READS_KEPT):
            shaped = shaped_read(cur, text, params)
            if shaped not in reads:
                reads.append(shaped)
        if self._begin:  # (it holds no %: nothing to escape when params follow)
            text, self._begin = f"{self._begin}; {text}", None
        try:
            cur.execute(text, params)
        except Exception as exc:
            error = as_sqlite_error(exc)
            if os.environ.get("DESKCLI_DEBUG"):  # the statement, for whoever debugs
                error.add_note(f"SQL: {text}\nparams: {params!r}")
            raise error from None

    def _control(self, control: str, sql: str):
        if control.startswith("ROLLBACK") and self.raw.closed:  # the server dropped the
            self.in_transaction = self.locked = False           # connection: its work is
            self._begin = None                                  # rolled back already
            return Cursor(None)
        cur = self.raw.cursor()
        if control.startswith("BEGIN"):
            # the connection's settings again, for this transaction: a pooler (PgBouncer)
            # may have dropped the start-up options or hand over another client's session.
            # No JIT compilation: deskcli's statements are short, and a new server process
            # pays for LLVM before its first compiled query; the planner's cost of a bm25
            # query with many phrases (a paraphrase and its synonyms) passes jit_above_cost
            # on a few hundred rows: `faq search` spent 360 ms of its 410 compiling
            # expressions for 24 rows
            settings = (f"SET LOCAL lock_timeout = {int(self.lock_timeout_ms)}; "
                        "SET LOCAL timezone = 'UTC'; SET LOCAL jit = off")
            if "IMMEDIATE" in control or "EXCLUSIVE" in control:
                self._begin = (f"BEGIN ISOLATION LEVEL READ COMMITTED; {settings}; "
                               f"SELECT pg_advisory_xact_lock({self.lock[0]}, {self.lock[1]})")
            else:
                self._begin = f"BEGIN ISOLATION LEVEL REPEATABLE READ; {settings}"
            self.in_transaction = True
            self.locked = "IMMEDIATE" in control or "EXCLUSIVE" in control
            return Cursor(None)
        if control.startswith(("COMMIT", "END", "ROLLBACK")):
            self.in_transaction = self.locked = False
            if self._begin:  # nothing was sent: nothing to end
                self._begin = None
            else:
                self._send(cur, "ROLLBACK" if control.startswith("ROLLBACK") else "COMMIT",
                           None)
            return Cursor(None)
        # PRAGMA
        name = control[len("PRAGMA"):].strip().split("=")[0].strip().lower()
        if name == "user_version" and "=" not in control:
            self._send(cur, "SELECT count(*) FROM migrations", None)
            return Cursor(cur)
        return Cursor(None)


STAND_INS = {int: 0, float: 0.0, str: "", bool: False, bytes: b""}


def shaped_read(cur, text: str, params) -> str:
    """A read as deskcli.store.pg.early keeps it: every value replaced by a stand-in of
    its type (0, '', ...), so that no value of the desk is written to its cache."""
    if not params:
        return text if params is None else cur.mogrify(text, params).decode()
    if isinstance(params, dict):
        stand_ins = {k: STAND_INS.get(type(v)) for k, v in params.items()}
    else:
        stand_ins = tuple(STAND_INS.get(type(v)) for v in params)
    return cur.mogrify(text, stand_ins).decode()


class PlainCursor:
    row_factory = None

    def __init__(self, conn: Connection):
        self._conn = conn

    def execute(self, sql: str, params=()):
        """psycopg2's own cursor: fetchall(), fetchone() and iteration give tuples."""
        conn = self._conn
        cached = conn._cache.get(sql)
        if cached is None:
            cached = conn._cache[sql] = translate(sql)
        cur = conn.raw.cursor()
        conn._send(cur, cached[0], params if params is not None else ())
        return cur


def as_sqlite_error(exc: Exception) -> Exception:
    """psycopg2's exception as the sqlite3 exception the store knows how to tell."""
    import psycopg2

    if not isinstance(exc, psycopg2.Error):
        return exc
    code = getattr(exc, "pgcode", None) or ""
    text = (getattr(getattr(exc, "diag", None), "message_primary", None)
            or str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
    if code.startswith("23"):
        return sqlite3.IntegrityError(text)
    if code in ("55P03", "40001", "40P01"):  # lock timeout, serialization, deadlock
        err = sqlite3.OperationalError(f"database is locked ({text})")
        # a deadlock or serialization failure: the transaction may simply run again
        # (deskcli.cli.retry); a lock wait past the busy timeout is for the user to see
        err.retry = code != "55P03"
        return err
    if code == "53100":
        return sqlite3.OperationalError(f"database or disk is full ({text})")
    # (libpq's own errors, such as "server closed the connection unexpectedly", carry no
    # SQLSTATE: a connection lost)
    if code.startswith(("08", "57P")) or isinstance(exc, psycopg2.InterfaceError) or (
            not code and isinstance(exc, psycopg2.OperationalError)):
        err = sqlite3.OperationalError(f"the database server is unreachable ({text})")
        err.server_gone = True
        return err
    if code == "42501":
        return sqlite3.OperationalError(f"attempt to write a readonly database ({text})")
    return sqlite3.OperationalError(text)
