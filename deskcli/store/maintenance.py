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
