"""The store: the only place with SQL.

Invariants:
  * one connection per process, opened with `isolation_level=None`, so transactions are
    begun explicitly: `read()` starts a deferred transaction (a consistent snapshot) and
    `write()` starts `BEGIN IMMEDIATE`, taking the write lock up front — a deferred
    transaction that later writes cannot wait for the lock and fails with "database is
    locked" (MEASURED.md); one command is one transaction;
  * WAL mode with synchronous=NORMAL, a busy timeout, foreign keys on;
  * the schema is versioned: `PRAGMA user_version` counts the applied migrations (read on
    every open, no table scan) and the `migrations` table names them; pending migrations
    run forward automatically on open, after a copy of the file is kept;
  * races are decided by compare-and-set updates (`UPDATE ... WHERE id=? AND owner_id IS
    NULL`), never by a read followed by a write;
  * events are append-only: triggers refuse UPDATE and DELETE.

The query functions live in the submodules (people, types, tickets, ...) and take the
Store as their first argument.
"""

import os
import sqlite3
from contextlib import contextmanager

from deskcli.errors import AccessDenied, DeskError
from deskcli.store import faults

# the statuses of an open ticket, as SQL (partial indexes repeat it word for word)
OPEN_SQL = "('awaiting_approval', 'new', 'assigned', 'in_progress', 'waiting')"

BUSY_TIMEOUT_MS = 5000

URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(location) -> bool:
    """Whether a desk's location is a PostgreSQL URL (else it is a file's path)."""
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def exists(location) -> bool:
    """Whether there may be a desk at `location`: a file that exists, or any URL (the
    server answers when the desk is opened)."""
    return is_url(location) or os.path.exists(location)


def label(location) -> str:
    """A desk's short name: the file's stem (/srv/desks/brand-a.db -> brand-a), or the
    database's name (postgresql://desk@db/brand_a -> brand_a), or the schema's when the
    URL puts the desk in one (...?options=-csearch_path%3Dbrand_b -> brand_b)."""
    if is_url(location):
        from deskcli.store.pg import database_name, schema_name

        return schema_name(location) or database_name(location)
    return os.path.splitext(os.path.basename(os.fspath(location)))[0]


class Store:
    """An open desk: a SQLite file, or a PostgreSQL database (deskcli.store.pg) when its
    location is a postgresql:// URL. The query modules write one SQL for both; where the
    dialects differ they ask `dialect`."""

    dialect = "sqlite"

    def __init__(self, path: str, conn: sqlite3.Connection):
        self.path = path
        self.conn = conn
        self.in_transaction = False
        self.read_only: str | None = None  # why the desk was opened read-only, if it was
        self.inode: int | None = None  # the file's (SQLite), to tell a restored one apart
        self.holds_copy = False  # an import without a journal runs on this connection
        self.commits = 0  # the command's transactions committed (a retry needs none)

    # --- opening ----------------------------------------------------------------------

    @classmethod
    def open(cls, path: str, *, create: bool = False, migrate: bool = True) -> "Store":
        """Open (or with `create`, create) the desk at `path` and bring its schema up to
        date. A missing desk raises NotFound saying how to create one."""
        path = os.fspath(path)
        if is_url(path):
            from deskcli.store.pg import open_store

            return open_store(cls, path, create=create, migrate=migrate)
        if create:
            if os.path.exists(path) and os.path.getsize(path) > 0:
                from deskcli.errors import Conflict

                raise Conflict(f"a desk already exists at {path}",
                               "use it as it is, or choose another --db PATH")
            folder = os.path.dirname(path)
            if folder:
                os.makedirs(folder, exist_ok=True)
            # created readable by its owner only; SQLite gives -wal and -shm the same mode
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            os.chmod(path, 0o600)  # also when an empty file was already there
        else:
            faults.present(path)
            _restore_if_left(path)
        read_only = None if create else faults.read_only_reason(path)
        conn = None
        try:
            conn = faults.connect(path, busy_timeout_ms() / 1000, read_only is not None)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms()}")
            conn.execute("PRAGMA foreign_keys = ON")
            # WAL + NORMAL: a commit does not wait for the disk (FULL costs a few ms of
            # fsync per command here); the file can never be corrupted, and an OS crash
            # or power cut loses at most the last commands before the last checkpoint
            conn.execute("PRAGMA synchronous = NORMAL")
            store = cls(path, conn)
            store.read_only = read_only
            store.inode = os.stat(path).st_ino
            if create:
                conn.execute("PRAGMA journal_mode = WAL")
            if migrate:
                from deskcli.store import migrations

                if read_only and migrations.pending(store):
                    raise AccessDenied(
                        f"the desk {path} needs a schema upgrade that you cannot make "
                        f"({read_only})",
                        "run any deskcli command on it once as a user who may write it")
                migrations.upgrade(store)
        except (sqlite3.Error, DeskError) as exc:
            if conn is not None:
                conn.close()
            if isinstance(exc, DeskError):
                raise
            raise faults.translate(exc, path, read_only) from None
        return store

    def close(self) -> None:
        self.conn.close()

    @property
    def stem(self) -> str:
        """The desk's short name: its file's name without .db, or its database's name."""
        return label(self.path)

    # --- transactions -----------------------------------------------------------------

    @contextmanager
    def read(self):
        """A read transaction: one consistent snapshot for the whole command."""
        if self.in_transaction:
            yield self
            return
        with self._transaction("BEGIN"):
            yield self

    @contextmanager
    def write(self):
        """The command's write transaction (BEGIN IMMEDIATE); rolled back on any error,
        so a failed command never leaves a half-written change."""
        if self.in_transaction:
            yield self
            return
        with self._transaction("BEGIN IMMEDIATE"):
            yield self

    @contextmanager
    def _transaction(self, begin: str):
        try:
            self.conn.execute(begin)
            if self.inode is not None and not self.holds_copy:
                self._left_by_import()
        except sqlite3.Error as exc:
            raise self.error(exc) from None
        self.in_transaction = True
        try:
            yield
        except sqlite3.Error as exc:
            # a full disk, a damaged page, a read-only file: SQLite's own error, told once
            self.in_transaction = False
            faults.rollback(self.conn)
            raise self.error(exc) from None
        except BaseException:
            self.in_transaction = False
            faults.rollback(self.conn)
            raise
        self.in_transaction = False
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            faults.rollback(self.conn)
            raise self.error(exc) from None
        self.commits += 1

    def _left_by_import(self) -> None:
        """Inside a new transaction: Busy if what this connection reads may be the half
        of an import killed while it wrote without a journal (store/unjournaled.py) -
        the desk's copy is still there, or was put back since this connection opened
        the file - after putting the copy back. A command that waited for the import's
        lock is let in by its death: this is where it finds out."""
        from deskcli.store.unjournaled import SUFFIX

        self.conn.execute("PRAGMA schema_version")  # the read lock, which BEGIN may defer
        if not os.path.exists(self.path + SUFFIX) and os.stat(self.path).st_ino == self.inode:
            return
        faults.rollback(self.conn)
        self.conn.close()
        _restore_if_left(self.path)
        from deskcli.errors import Busy

        raise Busy(f"an import into the desk {self.path} was interrupted while this "
                   "command waited for it; the desk is as it was before the import",
                   "run the command again")

    def error(self, exc: sqlite3.Error) -> DeskError:
        """An SQLite error met on this desk, as a DeskError that says what to do."""
        error = (integrity(exc) if isinstance(exc, sqlite3.IntegrityError)
                 else faults.translate(exc, self.path, self.read_only))
        for note in getattr(exc, "__notes__", ()):  # the statement, under DESKCLI_DEBUG
            error.add_note(note)
        return error

    def bulk_writer(self) -> bool:
        """For a large import, outside any transaction: carry on with an apsw connection
        to the same file (store/apsw_conn.py: less work per row, the same statements)
        when apsw is installed. False when the stdlib's connection stays."""
        if self.dialect != "sqlite" or self.in_transaction or self.read_only:
            return False
        from deskcli.store import apsw_conn

        if not apsw_conn.available():
            return False
        self.conn.close()  # first: two SQLite libraries must not hold the file together
        try:
            self.conn = apsw_conn.connect(self.path, busy_timeout_ms())
        except sqlite3.Error as exc:
            raise self.error(exc) from None
        return True

    @contextmanager
    def without_journal(self, existing: int, expected: int):
        """For a large import on the apsw connection of `bulk_writer`, outside any
        transaction: when the desk is small or the import at least doubles it, the
        import's transaction runs without a journal, the desk kept to itself, a copy
        of it being the rollback (store/unjournaled.py). Otherwise nothing changes."""
        from deskcli.store import apsw_conn, unjournaled

        if (not isinstance(self.conn, apsw_conn.Connection) or self.in_transaction
                or not unjournaled.worth_it(self.path, existing, expected)):
            yield
            return
        conn = self.conn
        cache = conn.execute("PRAGMA cache_size").fetchone()[0]
        copy = None
        try:  # the desk to this connection alone, the WAL folded in
            conn.execute("PRAGMA locking_mode = EXCLUSIVE")
            conn.execute("PRAGMA busy_timeout = 200")
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("COMMIT")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms()}")
            copy = unjournaled.Copy(self.path)
            copy.make()
        except (sqlite3.OperationalError, OSError):  # others read it, no room for the
            copy = None                              # copy ...: the journal stays
        if copy is None:
            self._reconnect(cache)
            yield
            return
        self.holds_copy = True
        try:
            if conn.execute("PRAGMA journal_mode = OFF").fetchone()[0] != "off":
                raise sqlite3.OperationalError("the journal could not be turned off")
            yield
            conn.execute("PRAGMA journal_mode = WAL")
        except BaseException:
            self.in_transaction = False
            conn.close()  # what it wrote goes with the file the copy replaces
            copy.restore()
            self.holds_copy = False
            self._reconnect(cache)
            raise
        copy.drop()
        self.holds_copy = False

    def _reconnect(self, cache_size: int) -> None:
        """A new apsw connection to the desk (the old one closed), with its page cache."""
        from deskcli.store import apsw_conn

        self.conn.close()
        self.conn = apsw_conn.connect(self.path, busy_timeout_ms())
        self.conn.execute(f"PRAGMA cache_size = {int(cache_size)}")
        self.inode = os.stat(self.path).st_ino

    def bulk_cache(self, mib: int = 64) -> None:
        """A bigger page cache for bulk writes (index pages stay in memory)."""
        self.conn.execute(f"PRAGMA cache_size = -{int(mib) * 1024}")

    # --- small helpers used by the query modules --------------------------------------

    def one(self, sql: str, params=()):
        return self.conn.execute(sql, params).fetchone()

    def all(self, sql: str, params=()):
        return self.conn.execute(sql, params).fetchall()

    def run(self, sql: str, params=()) -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            raise integrity(exc) from None

    def many(self, sql: str, rows) -> None:
        try:
            self.conn.executemany(sql, rows)
        except sqlite3.IntegrityError as exc:
            raise integrity(exc) from None

    def several(self, queries: list[tuple[str, tuple]]) -> list[list]:
        """The rows of several small SELECTs, in order. On PostgreSQL they travel in one
        round trip (a ticket's page would otherwise cost ten); on SQLite a round trip is
        a function call. The parameters are all sequences or all dicts (named)."""
        if self.dialect == "postgres":
            return self.conn.several(queries)
        return [self.all(sql, params) for sql, params in queries]

    def scalar(self, sql: str, params=()):
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]


def translate(exc: sqlite3.Error, path: str) -> DeskError:
    """SQLite errors a user can meet, as DeskErrors with a fix (see store.faults)."""
    return faults.translate(exc, path)


def busy_timeout_ms() -> int:
    """How long a command waits for another's write lock before exit 75:
    $DESKCLI_BUSY_TIMEOUT milliseconds, else BUSY_TIMEOUT_MS."""
    value = os.environ.get("DESKCLI_BUSY_TIMEOUT", "")
    return int(value) if value.isdigit() else BUSY_TIMEOUT_MS


def integrity(exc: sqlite3.IntegrityError) -> DeskError:
    from deskcli.errors import Conflict

    text = str(exc)
    if "append-only" in text:
        return Conflict(text)
    return Conflict(f"the change conflicts with what is stored ({text})")


def _restore_if_left(path: str) -> None:
    """Put back the copy of the desk that an import killed while it wrote without a
    journal left (store/unjournaled.py), before anything reads the file."""
    from deskcli.store.unjournaled import SUFFIX, restore_if_left

    if os.path.exists(path + SUFFIX):
        try:
            restore_if_left(path)
        except OSError as exc:
            raise DeskError(f"an import into {path} was interrupted and its copy of the "
                            f"desk could not be put back: {exc.strerror}",
                            f"rename {path}{SUFFIX} to {path} (as the desk's owner)") from None
