"""`ticket import` killed with `kill -9` at random moments: the desk is never damaged and
holds either nothing or everything of the import, readers never see a part of it, and
the import's worker process does not outlive it. Real processes (the installed command
in a subprocess), a real desk (a file, or a PostgreSQL database whose server rolls back
the killed client's transaction), a reader polling it through its own connection."""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from conftest import copy_desk, is_pg, ok, query, run

LINES = 21_000  # past 20,000: the indexes are dropped after the first batch, and rebuilt
TABLES = ("tickets", "events", "ticket_cc", "ticket_steps", "ticket_fts")


def counts(db) -> dict[str, int]:
    # one statement: one snapshot of every table, on either store
    row = query(db, "SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in TABLES))[0]
    return dict(zip(TABLES, row, strict=True))


@pytest.fixture
def copy_of(request):
    """copy_of(desk, path): a copy of the desk, a file at `path` or a new database made
    from the desk's own database (dropped after the test)."""
    made = []

    def copy(desk, path):
        if not is_pg(desk):
            return copy_desk(desk, path)
        cluster = request.getfixturevalue("pg_cluster")
        name = cluster.new_database(template=desk.split("@/", 1)[1].split("?")[0])
        made.append(name)
        return cluster.url(name)

    yield copy
    for name in made:
        request.getfixturevalue("pg_cluster").drop_database(name)


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return []


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


def deskcli_counts(db) -> dict[str, int]:
    """counts() read as deskcli reads a desk file: through the store, which restores
    what an import killed while it wrote without a journal left (store/unjournaled.py),
    and refuses to read during such an import (Busy, exit 75)."""
    from deskcli.store import Store

    store = Store.open(str(db), migrate=False)
    try:
        with store.read():
            row = store.one("SELECT " + ", ".join(f"(SELECT count(*) FROM {t})"
                                                  for t in TABLES))
        return dict(zip(TABLES, tuple(row), strict=True))
    finally:
        store.close()


class Reader(threading.Thread):
    """Counts the desk's rows in one snapshot, again and again, until stopped (a desk
    file is read through deskcli's store: a plain SQLite reader would see the half of
    an import killed while it wrote without a journal until deskcli puts it back)."""

    def __init__(self, db):
        super().__init__(daemon=True)
        self.db, self.seen, self.stop = db, [], threading.Event()
        self.refused = 0  # reads refused with Busy (exit 75) while the import ran

    def run(self):
        from deskcli.errors import Busy

        while not self.stop.is_set():
            try:
                self.seen.append(counts(self.db) if is_pg(self.db)
                                 else deskcli_counts(self.db))
            except sqlite3.OperationalError:  # busy past the timeout: nothing was shown
                pass
            except Busy:
                self.refused += 1
            time.sleep(0.01)


def import_file(tmp_path):
    source = tmp_path / "in.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        for n in range(LINES):
            handle.write(json.dumps({
                "type": "crash" if n % 3 else "renewal", "title": f"工单 {n} login failed",
                "body": f"学员登录失败 {n}", "customer": "C1",
                "fields": {"phone_model": "iPhone 15", "os": "iOS"} if n % 3
                else {"package": "24"}, "cc": ["dept:teaching"] if n % 7 == 0 else [],
                "external_id": f"X-{n}"}, ensure_ascii=False) + "\n")
    return source


def attempt(db, source, kill_after: float | None):
    """Run the import on `db` with a reader polling it; kill -9 it after `kill_after`
    seconds if it is still running. Returns (exit status, stdout, the import's worker
    pids seen, what the reader saw)."""
    env = {**os.environ, "DESKCLI_USER": "alice", "DESKCLI_DB": str(db)}
    reader = Reader(db)
    reader.start()
    proc = subprocess.Popen([sys.executable, "-m", "deskcli", "ticket", "import", str(source),
                             "--json"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + (kill_after if kill_after is not None else 600)
    workers: set[int] = set()
    while time.monotonic() < deadline and proc.poll() is None:
        workers.update(children(proc.pid))
        time.sleep(0.01)
    workers.update(children(proc.pid))
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate()
    reader.stop.set()
    reader.join()
    assert proc.returncode in (0, -signal.SIGKILL), err
    return proc.returncode, out, workers, reader.seen


@pytest.mark.slow
def test_import_killed_at_random_moments_leaves_nothing_or_everything(desk, tmp_path,
                                                                     copy_of):
    """Each attempt imports into a fresh copy of the same desk and is killed at a random
    moment of a whole import's duration (measured first), while a reader polls."""
    ok("ticket open --type crash --title Before --field phone_model=x --field os=iOS")
    before = counts(desk)
    source = import_file(tmp_path)
    whole = tmp_path / "whole.db"
    whole = copy_of(desk, whole)
    started = time.monotonic()
    code, out, _, seen = attempt(whole, source, None)
    duration = time.monotonic() - started
    assert code == 0 and json.loads(out)["imported"] == LINES
    after = counts(whole)
    assert after["tickets"] == before["tickets"] + LINES
    assert after["ticket_fts"] == before["ticket_fts"] + LINES
    assert all(one in (before, after) for one in seen)
    rng = random.Random(int(os.environ.get("DESKCLI_CRASH_SEED", "15")))
    kills = 0
    for number in range(12):  # bounded: until 4 kills came while lines were imported
        copy = copy_of(desk, tmp_path / f"copy{number}.db")
        started = time.monotonic()
        code, _, workers, seen = attempt(copy, source, rng.uniform(0.02, 0.98) * duration)
        # (the first deskcli command on the desk: it puts back what a kill left)
        result = run(f"--db {copy} db check")
        assert result.code == 0 and result.out.strip() == "ok", result
        found = counts(copy)
        if code == 0:  # finished before the kill: kill earlier from now on
            duration = min(duration, time.monotonic() - started)
            assert found == after, (number, found)
        else:  # killed, perhaps between its COMMIT and its exit
            assert found in (before, after), (number, found)
        if not is_pg(copy):
            assert not os.path.exists(f"{copy}.import-copy")
            assert query(copy, "PRAGMA journal_mode") == [("wal",)]
        # a reader saw the desk as it was before the import or after it, never a part
        assert all(one in (before, after) for one in seen), seen[-3:]
        give_up = time.monotonic() + 5  # the worker notices its parent's end within 1 s
        while any(alive(pid) for pid in workers) and time.monotonic() < give_up:
            time.sleep(0.05)
        assert not any(alive(pid) for pid in workers), f"worker left behind: {workers}"
        kills += code != 0 and bool(workers)
        if kills == 4:
            break
    assert kills >= 2, "the kills did not come while the lines were being imported"
    # a repeat of the whole import finds every line already on the desk
    code, out, _, _ = attempt(whole, source, None)
    assert json.loads(out)["skipped"] == LINES and counts(whole) == after


@pytest.mark.slow
def test_a_killed_worker_fails_the_import_and_nothing_is_written(desk, tmp_path):
    before = counts(desk)
    source = tmp_path / "in.jsonl"
    line = json.dumps({"type": "renewal", "title": "R", "customer": "C1",
                       "fields": {"package": "12"}}) + "\n"
    source.write_text(line * LINES, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "deskcli", "ticket", "import", str(source)],
                            env={**os.environ, "DESKCLI_USER": "alice"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not children(proc.pid) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    for pid in children(proc.pid):
        os.kill(pid, signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert b"worker process stopped unexpectedly" in err and b"Traceback" not in err
    assert counts(desk) == before and ok("db check").out.strip() == "ok"


@pytest.mark.slow
@pytest.mark.sqlite_only("the import without a journal is the SQLite store's")
def test_an_import_without_journal_refuses_readers_and_is_undone_after_kill(desk, tmp_path):
    """A large import into a small desk file writes without a journal, a copy of the
    desk beside it: readers get exit 75 while it runs; killed with kill -9 at several
    moments, the next deskcli command puts the copy back (the desk as before, in WAL
    mode, db check ok), once, even when two commands find it together."""
    pytest.importorskip("apsw")
    ok("ticket open --type crash --title Before --field phone_model=x --field os=iOS")
    before = counts(desk)
    source = import_file(tmp_path)
    env = {**os.environ, "DESKCLI_USER": "alice", "DESKCLI_BUSY_TIMEOUT": "50"}
    undone = 0
    for number, wait in enumerate((0.0, 0.3, 1.0, 2.0)):
        copy = copy_desk(desk, tmp_path / f"nj{number}.db")
        marker = f"{copy}.import-copy"
        proc = start_import(copy, source, env)
        reader = subprocess.run([sys.executable, "-m", "deskcli", "--db", str(copy), "ticket",
                                 "list", "--json"], env=env, capture_output=True, text=True,
                                timeout=60)
        alive_then = proc.poll() is None
        time.sleep(wait)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        if alive_then:
            assert reader.returncode == 75, reader
            assert "Traceback" not in reader.stderr
        if proc.returncode == -signal.SIGKILL and os.path.exists(marker):
            undone += 1
            # two commands find the copy together: it is put back once
            both = [subprocess.Popen([sys.executable, "-m", "deskcli", "--db", str(copy),
                                      "db", "check"], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True) for _ in range(2)]
            results = [(p.wait(60), *p.communicate()) for p in both]
            assert all(code in (0, 75) for code, _, _ in results), results
            assert any(code == 0 and out.strip() == "ok" for code, out, _ in results), results
            assert all("Traceback" not in err for _, _, err in results), results
        result = run(f"--db {copy} db check")
        assert result.code == 0 and result.out.strip() == "ok", result
        assert not os.path.exists(marker)
        found = counts(copy)  # killed after its copy was removed: the whole import
        assert found == before or (found["tickets"] == before["tickets"] + LINES
                                   and found["ticket_fts"] == before["ticket_fts"] + LINES)
        assert query(copy, "PRAGMA journal_mode") == [("wal",)]
    assert undone >= 2, "the kills did not come while the import wrote"


def start_import(db, source, env):
    """The import as its own process, once it writes without a journal (its copy of the
    desk is there)."""
    marker = f"{db}.import-copy"
    proc = subprocess.Popen([sys.executable, "-m", "deskcli", "--db", str(db), "ticket",
                             "import", str(source), "--json"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not os.path.exists(marker) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the import ended before it wrote without a journal"
    return proc


@pytest.mark.slow
@pytest.mark.sqlite_only("the import without a journal is the SQLite store's")
def test_ctrl_c_during_an_import_without_journal_puts_the_desk_back(desk, tmp_path):
    pytest.importorskip("apsw")
    ok("ticket open --type crash --title Before --field phone_model=x --field os=iOS")
    before = counts(desk)
    proc = start_import(desk, import_file(tmp_path), {**os.environ, "DESKCLI_USER": "alice"})
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Interrupted" in err and "Traceback" not in err, err
    assert not os.path.exists(f"{desk}.import-copy")  # put back by the import itself
    assert counts(desk) == before
    assert query(desk, "PRAGMA journal_mode") == [("wal",)]
    assert ok("db check").out.strip() == "ok"


@pytest.mark.sqlite_only("the import without a journal is the SQLite store's")
def test_a_reader_at_the_start_keeps_the_journal_and_its_snapshot(desk, tmp_path):
    """A reader in a transaction when the import begins: the import cannot have the desk
    to itself, so it keeps the WAL (and the reader its snapshot) instead of waiting."""
    pytest.importorskip("apsw")
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({
        "type": "renewal", "title": f"R{n}", "customer": "C1", "fields": {"package": "12"}})
        + "\n" for n in range(5_001)), encoding="utf-8")
    holder = sqlite3.connect(desk, isolation_level=None)
    holder.execute("BEGIN")
    holder.execute("SELECT count(*) FROM tickets").fetchone()
    try:
        proc = subprocess.run([sys.executable, "-m", "deskcli", "ticket", "import",
                               str(source), "--json"],
                              env={**os.environ, "DESKCLI_USER": "alice",
                                   "DESKCLI_DB": str(desk)},
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc
        assert holder.execute("SELECT count(*) FROM tickets").fetchone() == (0,)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert json.loads(proc.stdout)["imported"] == 5_001
    assert not os.path.exists(f"{desk}.import-copy")
    assert query(desk, "PRAGMA journal_mode") == [("wal",)]
