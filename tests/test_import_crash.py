"""`ticket import` killed with `kill -9` at random moments: the desk is never damaged and
holds either nothing or everything of the import, readers never see a part of it, and
the import's worker process does not outlive it. Real processes (the installed command
in a subprocess), a real desk file, a reader polling it through its own connection."""

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
from conftest import ok

LINES = 21_000  # past 20,000: the indexes are dropped after the first batch, and rebuilt
TABLES = ("tickets", "events", "ticket_cc", "ticket_steps", "ticket_fts")


def counts(db) -> dict[str, int]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        conn.execute("BEGIN")  # one snapshot for every table
        found = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        conn.execute("COMMIT")
        return found
    finally:
        conn.close()


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


@pytest.mark.slow
def test_import_killed_at_random_moments_leaves_nothing_or_everything(desk, tmp_path):
    ok("ticket open --type crash --title Before --field phone_model=x --field os=iOS")
    before = counts(desk)
    source = tmp_path / "in.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        for n in range(LINES):
            handle.write(json.dumps({
                "type": "crash" if n % 3 else "renewal", "title": f"工单 {n} login failed",
                "body": f"学员登录失败 {n}", "customer": "C1",
                "fields": {"phone_model": "iPhone 15", "os": "iOS"} if n % 3
                else {"package": "24"}, "cc": ["dept:teaching"] if n % 7 == 0 else [],
                "external_id": f"X-{n}"}, ensure_ascii=False) + "\n")
    env = {**os.environ, "DESKCLI_USER": "alice"}
    argv = [sys.executable, "-m", "deskcli", "ticket", "import", str(source), "--json"]
    rng = random.Random(int(os.environ.get("DESKCLI_CRASH_SEED", "15")))
    after = None
    killed_in_work = 0  # kills while the worker was checking lines
    for attempt in range(6):
        reader = Reader(desk)
        reader.start()
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        deadline = time.monotonic() + rng.uniform(0.1, 4.0) * (1 + attempt % 2)
        workers: set[int] = set()
        while time.monotonic() < deadline and proc.poll() is None:
            workers.update(children(proc.pid))
            time.sleep(0.02)
        workers.update(children(proc.pid))
        if proc.poll() is None:
            killed_in_work += bool(workers)
            proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate()
        reader.stop.set()
        reader.join()
        if proc.returncode == 0:
            after = counts(desk)
            assert json.loads(out)["imported"] == LINES
        else:
            assert proc.returncode == -signal.SIGKILL, err
        now = counts(desk)
        assert now in (before, after) if after else now == before, (attempt, now)
        assert ok("db check").out.strip() == "ok"
        # a reader saw the desk before the import or after it, never a part of it
        assert all(seen == before or seen == after for seen in reader.seen), reader.seen[-3:]
        give_up = time.monotonic() + 5  # the worker notices its parent's end within 1 s
        while any(alive(pid) for pid in workers) and time.monotonic() < give_up:
            time.sleep(0.05)
        assert not any(alive(pid) for pid in workers), f"worker left behind: {workers}"
        if after:
            break
    assert killed_in_work, "no kill came while the lines were being imported"
    if after is None:  # every attempt was killed: the import still completes afterwards
        result = subprocess.run(argv, env=env, capture_output=True, timeout=600)
        assert result.returncode == 0, result.stderr
        after = counts(desk)
    assert after["tickets"] == before["tickets"] + LINES
    assert after["ticket_fts"] == before["ticket_fts"] + LINES
    assert ok("db check").out.strip() == "ok"
    # and a repeat finds every line already on the desk
    again = subprocess.run(argv, env=env, capture_output=True, timeout=600)
    assert json.loads(again.stdout)["skipped"] == LINES and counts(desk) == after


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
