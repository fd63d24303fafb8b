"""What the file system and SQLite can refuse, as DeskErrors that say what to do.

* Opening: a desk in a folder the user cannot enter is "permission denied" (exit 77), not
  "no desk here"; a desk the user may read but not write is opened read-only, so reading
  commands work and a change ends with one line (exit 77) instead of a traceback.
* A read-only connection must not leave -wal and -shm files behind: SQLite creates them
  with the desk's mode and the reader as owner, and a read-only -shm then stops the desk's
  owner from writing. When no -wal file exists nobody has the desk open, and the file is
  read as it is (`immutable=1`: no lock files at all); when one exists, a writer may be at
  work and the live -wal and -shm are shared read-only (`mode=ro`).
* Errors: SQLite's primary result codes -> Busy (75), Damaged (65), DiskError (74),
  AccessDenied (77), anything else DeskError (1). A PostgreSQL desk's errors arrive in
  SQLite's words (deskcli.store.pg.connection); a privilege the server refuses is 77 with
  the server's words, not the file's advice.
"""

import os
import sqlite3

from deskcli.errors import AccessDenied, Busy, Damaged, DeskError, DiskError, NotFound

# SQLite's primary result codes (sqlite3.h)
SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY = 3, 5, 6, 8
SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 10, 11, 13, 14, 26

ACCESS_HINT = ("ask the desk's owner for access: reading needs the folder enterable (x) and "
               "the desk readable; changing it needs the desk, its folder and any -wal/-shm "
               "files writable (see FILES in `man deskcli`)")


PG_ACCESS_HINT = ("connect as the role that owns the desk's database (the URL's user, see "
                  "\"Team server\" in the README), or have its owner grant this role the "
                  "desk's tables and sequences")


def present(path: str) -> None:
    """Raise NotFound when there is no desk at `path`, AccessDenied when the user may not
    look: a folder on the way that cannot be entered, or a file that cannot be read."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise NotFound(f"no desk at {path}",
                       "create one with `deskcli init --admin LOGIN` (add --db PATH or "
                       "--desk NAME to put it elsewhere), or point --db/$DESKCLI_DB "
                       "at an existing desk") from None
    except PermissionError:
        folder = closed_folder(path)
        raise AccessDenied(f"permission denied: you cannot enter the folder {folder} "
                           f"that holds the desk {path}", ACCESS_HINT) from None
    if not os.access(path, os.R_OK):
        raise AccessDenied(f"permission denied: you may not read the desk {path}",
                           ACCESS_HINT)


def closed_folder(path: str) -> str:
    """The first folder on the way to `path` that the user cannot enter."""
    folder = os.path.dirname(os.path.abspath(path))
    chain = []
    while True:
        chain.append(folder)
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    for folder in reversed(chain):
        if not os.access(folder, os.X_OK):
            return folder
    return os.path.dirname(os.path.abspath(path))


def read_only_reason(path: str) -> str | None:
    """Why the user may not write the desk at `path` (None when they may): the file, its
    folder (SQLite creates -wal and -shm files there) or a -wal/-shm file left behind."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.access(path, os.W_OK):
        return f"the file {path} is not writable for you"
    if not os.access(folder, os.W_OK):
        return f"its folder {folder} is not writable for you"
    for suffix in ("-wal", "-shm"):
        if os.path.exists(path + suffix) and not os.access(path + suffix, os.W_OK):
            return f"{path}{suffix} is not writable for you"
    return None


def connect(path: str, timeout_s: float, read_only: bool) -> sqlite3.Connection:
    """A connection to the desk; read-only ones leave no files behind (module docstring)."""
    if not read_only:
        return sqlite3.connect(path, isolation_level=None, timeout=timeout_s)
    from urllib.parse import quote

    query = "mode=ro" if os.path.exists(path + "-wal") else "mode=ro&immutable=1"
    return sqlite3.connect(f"file:{quote(os.path.abspath(path))}?{query}", uri=True,
                           isolation_level=None, timeout=timeout_s)


def translate(exc: sqlite3.Error, path: str, read_only: str | None = None) -> DeskError:
    """An SQLite error a user can meet, as a DeskError with a fix. `read_only`: why the
    desk was opened read-only, if it was."""
    text = str(exc)
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if getattr(exc, "retry", False):  # PostgreSQL: a deadlock, a serialization failure
        detail = text.split("(", 1)[-1].rstrip(")")  # the server's words
        busy = Busy(f"the PostgreSQL server of the desk {path} rolled this command back "
                    f"({detail}): another session wanted what it held",
                    "nothing was written; run the command again")
        busy.retry = True  # (deskcli.cli runs the command again when it safely can)
        return busy
    if code in (SQLITE_BUSY, SQLITE_LOCKED) or "locked" in text or "busy" in text:
        return Busy(f"the desk {path} is busy (another command holds it)",
                    "try again in a moment")
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB) or "not a database" in text \
            or "malformed" in text:
        return Damaged(f"{path} is not a deskcli desk or is damaged ({text})",
                       "check the path; `deskcli db check` lists the damage; restore the "
                       "last backup (`deskcli db backup` makes them)")
    if code == SQLITE_FULL or "disk is full" in text:
        return DiskError(f"the disk holding the desk {path} is full ({text}); nothing was "
                         "written", "free some space (see `df -h`) and run the command again")
    if code == SQLITE_IOERR or "I/O error" in text:
        return DiskError(f"a disk error on the desk {path} ({text}); nothing was written",
                         "check the disk and the system log, then run `deskcli db check`")
    if getattr(exc, "server_gone", False):  # PostgreSQL: restarted, or the link dropped
        return Busy(f"the PostgreSQL server of the desk {path} closed the connection "
                    f"({text})", "the change in progress was rolled back; run the "
                    "command again once the server is back")
    if "readonly" in text and path.startswith(("postgresql://", "postgres://")):
        detail = text.split("(", 1)[-1].rstrip(")")  # the server's words
        return AccessDenied(f"the PostgreSQL server refused this role the desk {path} "
                            f"({detail})", PG_ACCESS_HINT)
    if code in (SQLITE_READONLY, SQLITE_PERM) or "readonly" in text:
        why = read_only or read_only_reason(path) or "the file system refused the write"
        return AccessDenied(f"the desk {path} is read-only for you ({why}): you can read it "
                            "but not change it", ACCESS_HINT)
    if code == SQLITE_CANTOPEN or "unable to open" in text:
        return AccessDenied(f"cannot open the desk {path} ({text})", ACCESS_HINT)
    return DeskError(f"database error on {path}: {text}")


def rollback(conn: sqlite3.Connection) -> None:
    """Roll back what is open. After some errors (a full disk, an I/O error) SQLite has
    already rolled the transaction back itself, and a second ROLLBACK would hide the real
    error behind "cannot rollback - no transaction is active"."""
    if not conn.in_transaction:
        return
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error:  # the connection is past saving; closing it rolls back
        pass
