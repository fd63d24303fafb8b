"""Whole-file operations: backup and integrity checks."""

import os
import sqlite3

from deskcli.errors import AccessDenied, DeskError
from deskcli.store import Store, faults
from deskcli.store.migrations import backup_to


def backup(db: Store, target) -> None:
    """A consistent copy at `target` (a new file); a copy that fails part way (a full
    disk, a folder that is not writable) is removed and reported with its path."""
    try:
        backup_to(db, target)
    except (sqlite3.Error, OSError) as exc:
        kind = type(faults.translate(exc, str(target))) if isinstance(exc, sqlite3.Error) \
            else AccessDenied if isinstance(exc, PermissionError) else DeskError
        try:
            os.unlink(target)
        except OSError:
            pass
        raise kind(f"cannot write the backup {target} ({exc})",
                   "choose a folder you may write, with room for a copy of the desk") from None


def check(db: Store) -> list[str]:
    """Every problem found. A damaged page can stop SQLite's own checks part way
    ("database disk image is malformed"): that is reported as a finding too, after what
    was found before it. A PostgreSQL desk has its own checks (pg_check)."""
    if db.dialect == "postgres":  # its own checks, and the full-text twin's (no FTS5)
        from deskcli.store.pg import search
        from deskcli.store.pg.check import pg_check

        return pg_check(db) + search.check(db)
    problems = _rows(db, "PRAGMA integrity_check", "integrity",
                     lambda r: None if r[0] == "ok" else f"integrity: {r[0]}")
    problems += _rows(db, "PRAGMA foreign_key_check", "foreign keys",
                      lambda r: f"foreign key: {r[0]} row {r[1]} points to a missing {r[2]}")
    if db.read_only:  # FTS5's check is an INSERT: a desk you may only read skips it
        return problems
    try:
        db.run("INSERT INTO ticket_fts (ticket_fts, rank) VALUES ('integrity-check', 1)")
    except Exception as exc:  # noqa: BLE001 - any failure here is a finding to report
        problems.append(f"full-text index: {exc}")
    return problems


class _RolledBack(Exception):
    pass


def write_probe(db: Store) -> None:
    """Write to the desk and roll the change back: proves that this process may write the
    desk file and its -wal (a read-only desk raises the store's "cannot write" error)."""
    try:
        with db.write():
            db.run("INSERT OR REPLACE INTO meta (key, value) VALUES ('write-probe', '1')")
            raise _RolledBack
    except _RolledBack:
        pass


def _rows(db: Store, sql: str, what: str, finding) -> list[str]:
    found = []
    try:
        for row in db.conn.execute(sql):
            text = finding(row)
            if text:
                found.append(text)
    except sqlite3.DatabaseError as exc:
        found.append(f"{what}: the check stopped: {exc}")
    return found
