"""A large `ticket import` of a SQLite desk writes through apsw (store/apsw_conn.py): the
same rows (test_import_rows.py's 'apsw' case), all or nothing, SQLite's errors told as
with the stdlib module, and the desk as usable afterwards. A kill -9 of it is
test_import_crash.py's (21,000 lines: through apsw)."""

import json
import os
import sqlite3
import subprocess
import sys

import pytest
from conftest import db_count, ok, query, run

pytest.importorskip("apsw")
pytestmark = pytest.mark.sqlite_only("apsw is the SQLite store's")

RENEWAL = {"type": "renewal", "title": "R", "customer": "C1", "fields": {"package": "12"}}
TABLES = ("tickets", "events", "ticket_cc", "ticket_steps", "ticket_fts")


@pytest.fixture
def through_apsw(monkeypatch):
    """Imports of 3 lines or more go through apsw; records whether each one did."""
    import deskcli.tickets.bulk
    from deskcli.store import Store

    monkeypatch.setattr(deskcli.tickets.bulk, "APSW_FROM", 3)
    monkeypatch.setattr(deskcli.tickets.bulk, "BATCH", 2)
    monkeypatch.setattr(deskcli.tickets.bulk, "DEFER_INDEXES_AT", 3)
    switched = []
    bulk_writer = Store.bulk_writer
    monkeypatch.setattr(Store, "bulk_writer",
                        lambda store: switched.append(bulk_writer(store)) or switched[-1])
    return switched


def lines(count: int, **extra) -> str:
    return "".join(json.dumps({**RENEWAL, "title": f"R{n}", **extra}) + "\n"
                   for n in range(count))


def indexes_and_triggers(db) -> list:
    """The schema objects a bulk import changes for its duration, and the full-text
    index's config (bulk_load.text_buffer sets a larger buffer while it runs)."""
    return query(db, "SELECT type, name, sql FROM sqlite_master WHERE type IN "
                     "('index', 'trigger') ORDER BY name") + query(
        db, "SELECT * FROM ticket_fts_config ORDER BY k")


def test_a_bad_line_after_dropped_indexes_leaves_nothing(seeded_desk, tmp_path, through_apsw):
    before = indexes_and_triggers(seeded_desk)
    source = tmp_path / "in.jsonl"
    source.write_text(lines(9) + '{"type": "renewal", "title": ""}\n', encoding="utf-8")
    result = run(f"ticket import {source}")
    assert result.code == 2 and "line 10: a title is required" in result.err, result
    assert through_apsw == [True]
    assert all(db_count(seeded_desk, t) == 0 for t in TABLES)
    assert indexes_and_triggers(seeded_desk) == before
    # the desk goes on as before: the stdlib module writes it, and apsw again
    ok("ticket open --type renewal --customer C1 --title After --field package=12")
    source.write_text(lines(5), encoding="utf-8")
    assert ok(f"ticket import {source} --json").json["imported"] == 5
    assert through_apsw == [True, True]
    assert db_count(seeded_desk, "tickets") == 6
    assert query(seeded_desk, "PRAGMA integrity_check") == [("ok",)]
    assert indexes_and_triggers(seeded_desk) == before
    # what the tickets read back through the indexes and the full-text index
    assert len(ok("ticket list --status assigned --json").json) == 6
    assert len(ok("ticket list --search R3 --json").json) == 1


def test_a_desk_locked_by_another_process_exits_75(seeded_desk, tmp_path):
    """The import runs as its own process (a lock held by this one would not stop an apsw
    connection of the same process: POSIX locks belong to the process)."""
    source = tmp_path / "in.jsonl"
    source.write_text(lines(5_001), encoding="utf-8")  # more than APSW_FROM (5,000)
    holder = sqlite3.connect(seeded_desk, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "deskcli", "ticket", "import", str(source)],
            env={**os.environ, "DESKCLI_USER": "alice", "DESKCLI_DB": str(seeded_desk),
                 "DESKCLI_BUSY_TIMEOUT": "50"}, capture_output=True, text=True, timeout=120)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 75, result
    assert "is busy" in result.stderr and "Traceback" not in result.stderr
    assert db_count(seeded_desk, "tickets") == 0


def test_the_stdlib_module_stays_without_apsw(seeded_desk, tmp_path, through_apsw,
                                              monkeypatch):
    from deskcli.store import apsw_conn

    monkeypatch.setattr(apsw_conn, "available", lambda: False)
    source = tmp_path / "in.jsonl"
    source.write_text(lines(5), encoding="utf-8")
    assert ok(f"ticket import {source} --json").json["imported"] == 5
    assert through_apsw == [False]


def test_rows_read_through_apsw_act_like_sqlite3_rows(tmp_path):
    from deskcli.store import apsw_conn

    path = tmp_path / "rows.db"
    sqlite3.connect(path).executescript("CREATE TABLE t (Id INTEGER PRIMARY KEY, name TEXT);"
                                        "INSERT INTO t VALUES (1, 'a'), (2, 'b');")
    conn = apsw_conn.connect(str(path), 100)
    try:
        row = conn.execute("SELECT id, name FROM t ORDER BY id").fetchone()
        assert (row[0], row["id"], row["ID"], row["name"], len(row)) == (1, 1, 1, "a", 2)
        assert dict(row) == {"Id": 1, "name": "a"} and tuple(row) == (1, "a")  # as sqlite3
        assert [tuple(r) for r in conn.execute("SELECT * FROM t")] == [(1, "a"), (2, "b")]
        cursor = conn.execute("INSERT INTO t (name) VALUES ('c')")
        assert cursor.lastrowid == 3 and cursor.rowcount == 1
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO t VALUES (1, 'again')")
        with pytest.raises(sqlite3.OperationalError):
            conn.execute("SELECT nothing FROM t")
        assert not conn.in_transaction
        conn.execute("BEGIN")
        assert conn.in_transaction
        conn.execute("ROLLBACK")
    finally:
        conn.close()


def test_a_large_customer_import_goes_through_apsw_all_or_nothing(seeded_desk, tmp_path,
                                                                  through_apsw,
                                                                  monkeypatch):
    import deskcli.cli.people

    monkeypatch.setattr(deskcli.cli.people, "LARGE_IMPORT_BYTES", 100)
    before = db_count(seeded_desk, "customers")
    source = tmp_path / "customers.jsonl"
    good = "".join(json.dumps({"key": f"K{n}", "name": f"客户 {n}", "consultant": "sun"})
                   + "\n" for n in range(20))
    source.write_text(good + '{"key": "K5", "name": "again"}\n', encoding="utf-8")
    result = run(f"customer import {source}")
    assert result.code == 2 and "record 21" in result.err and "twice" in result.err, result
    assert db_count(seeded_desk, "customers") == before and through_apsw == [True]
    source.write_text(good, encoding="utf-8")
    assert ok(f"customer import {source} --json").json["added"] == 20
    assert through_apsw == [True, True]
    assert db_count(seeded_desk, "customers") == before + 20
    assert ok("customer show K7 --json").json["name"] == "客户 7"
