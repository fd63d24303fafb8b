"""Whole-file operations: backup and integrity checks."""

from deskcli.store import Store
from deskcli.store.migrations import backup_to


def backup(db: Store, target) -> None:
    backup_to(db, target)


def check(db: Store) -> list[str]:
    problems = [f"integrity: {r[0]}" for r in db.all("PRAGMA integrity_check")
                if r[0] != "ok"]
    problems += [f"foreign key: {r[0]} row {r[1]} points to a missing {r[2]}"
                 for r in db.all("PRAGMA foreign_key_check")]
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
