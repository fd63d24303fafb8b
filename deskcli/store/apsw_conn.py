"""A large import's connection: apsw behind the part of sqlite3's interface the store uses.

`ticket import` of a large file spends about three quarters of its main process in SQLite
(bench/README.md, issue 15). apsw runs the same statements with less work per row than
the stdlib module (MEASURED.md: 1.35x on the import's writes) and brings its own, newer
SQLite, built without the system library's SECURE_DELETE and OMIT_LOOKASIDE. So for a
large import the Store hands its file to an apsw connection (Store.bulk_writer) and every
store function goes on calling execute/executemany/fetchone/fetchall as before.

Two SQLite libraries must never hold one file in one process at the same time: POSIX
locks belong to the process, and the first library to close its descriptor would drop
the other's locks. The stdlib connection is closed before this one opens (outside any
transaction), and this one is the desk's connection until the command ends.

Errors come out as the stdlib's exception classes, with `sqlite_errorcode` set, so
faults.translate tells a busy, full or damaged desk the same way.
"""

import sqlite3

# apsw's exception class names -> the stdlib class raised instead
_ERRORS = {"ConstraintError": sqlite3.IntegrityError, "CorruptError": sqlite3.DatabaseError,
           "NotADBError": sqlite3.DatabaseError, "SQLError": sqlite3.OperationalError,
           "MismatchError": sqlite3.IntegrityError, "TooBigError": sqlite3.DataError,
           "RangeError": sqlite3.ProgrammingError, "BindingsError": sqlite3.ProgrammingError}


def available() -> bool:
    try:
        import apsw  # noqa: F401
    except ImportError:
        return False
    return True


def connect(path: str, busy_timeout_ms: int) -> "Connection":
    """An apsw connection to the desk at `path`, set up as faults.connect and Store.open set
    up the stdlib's (busy timeout, foreign keys, synchronous=NORMAL; WAL is the file's)."""
    import apsw

    try:
        raw = apsw.Connection(path, flags=apsw.SQLITE_OPEN_READWRITE)
        raw.set_busy_timeout(busy_timeout_ms)
        conn = Connection(raw)
        for pragma in ("foreign_keys = ON", "synchronous = NORMAL",
                       # as the system library (Debian builds it with SECURE_DELETE): freed
                       # pages are zeroed, so deleted text does not linger in the file
                       "secure_delete = ON"):
            conn.execute(f"PRAGMA {pragma}")
    except apsw.Error as exc:
        raise _translated(exc) from None
    return conn


def _translated(exc) -> sqlite3.Error:
    error = _ERRORS.get(type(exc).__name__, sqlite3.OperationalError)(str(exc))
    error.sqlite_errorcode = getattr(exc, "extendedresult", None) or getattr(exc, "result", 0)
    return error


def row_class(description) -> type:
    """A tuple class for one result's rows with sqlite3.Row's reading: by position, by
    column name (in any case), keys(). A tuple made in C per row (a Python object per
    row costs 0.1 s on the 50,000 customers the import reads)."""
    names = tuple(name for name, _ in description)
    index: dict[str, int] = {}
    for position, name in enumerate(names):
        index.setdefault(name, position)
        index.setdefault(name.lower(), position)
    at = tuple.__getitem__

    def getitem(row, key):
        if key.__class__ is str:
            return at(row, index[key] if key in index else index[key.lower()])
        return at(row, key)

    return type("Row", (tuple,), {"__slots__": (), "__getitem__": getitem,
                                  "keys": lambda row: list(names)})


class Cursor:
    """What the store reads of a stdlib cursor: rows, lastrowid, rowcount."""

    __slots__ = ("_cursor", "_classes", "lastrowid", "rowcount")

    def __init__(self, cursor, conn, classes: dict):
        self._cursor, self._classes = cursor, classes
        self.lastrowid = conn.last_insert_rowid()
        self.rowcount = conn.changes()

    def _row_class(self) -> type | None:
        """None when the statement is done (it returns no rows, or no more)."""
        try:
            description = self._cursor.get_description()
        except Exception as exc:  # noqa: BLE001 (apsw.ExecutionCompleteError: no rows)
            if _is_apsw(exc):
                return None
            raise
        cls = self._classes.get(description)
        if cls is None:
            cls = self._classes[description] = row_class(description)
        return cls

    def fetchone(self):
        cls = self._row_class()
        if cls is None:
            return None
        try:
            row = next(self._cursor, None)
            self._cursor.close()  # a half-read statement would hold its table (DROP INDEX)
        except Exception as exc:  # noqa: BLE001 (apsw.Error; apsw is imported lazily)
            raise _translated(exc) if _is_apsw(exc) else exc from None
        return None if row is None else cls(row)

    def fetchall(self) -> list:
        cls = self._row_class()
        if cls is None:
            return []
        try:
            return list(map(cls, self._cursor))
        except Exception as exc:  # noqa: BLE001
            raise _translated(exc) if _is_apsw(exc) else exc from None

    def __iter__(self):
        return iter(self.fetchall())


def _is_apsw(exc: BaseException) -> bool:
    return type(exc).__module__ == "apsw"


class Connection:
    """The stdlib connection's interface as the store uses it, on an apsw connection."""

    def __init__(self, raw):
        self.raw = raw
        self._classes: dict = {}  # a result's description -> its row class

    @property
    def in_transaction(self) -> bool:
        return not self.raw.get_autocommit()

    def execute(self, sql: str, params=()) -> Cursor:
        try:
            cursor = self.raw.cursor()
            cursor.execute(sql, params)
            return Cursor(cursor, self.raw, self._classes)
        except Exception as exc:  # noqa: BLE001
            raise _translated(exc) if _is_apsw(exc) else exc from None

    def executemany(self, sql: str, rows) -> None:
        try:
            self.raw.cursor().executemany(sql, rows)
        except Exception as exc:  # noqa: BLE001
            raise _translated(exc) if _is_apsw(exc) else exc from None

    def close(self) -> None:
        try:  # the last connection's checkpoint runs here: a full disk is told, not traced
            self.raw.close()
        except Exception as exc:  # noqa: BLE001
            raise _translated(exc) if _is_apsw(exc) else exc from None
