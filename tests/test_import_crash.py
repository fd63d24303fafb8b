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


class Reader(threading.Thread):
    """Counts the desk's rows in one snapshot, again and again, until stopped."""

    def __init__(self, db):
        super().__init__(daemon=True)
        self.db, self.seen, self.stop = db, [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                self.seen.append(counts(self.db))
            except sqlite3.OperationalError:  # busy past the timeout: nothing was shown
                pass
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
        found = counts(copy)
        if code == 0:  # finished before the kill: kill earlier from now on
            duration = min(duration, time.monotonic() - started)
            assert found == after, (number, found)
        else:  # killed, perhaps between its COMMIT and its exit
            assert found in (before, after), (number, found)
        result = run(f"--db {copy} db check")
        assert result.code == 0 and result.out.strip() == "ok", result
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
