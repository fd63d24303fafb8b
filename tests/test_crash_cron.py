"""`kill -9` at random moments of the two cron commands, run as real processes
(`python -m deskcli`): after every kill the desk passes `db check`, and the reruns give
exactly-once results for `remind run` (every overdue ticket nudged and escalated once, one
notice each) and, for `outbox send` against a real SMTP server on 127.0.0.1, every notice
delivered with at most one duplicate per kill.

The figures (kills, duplicates, losses) are printed; see them with
    .venv/bin/python -m pytest -q -s tests/test_crash_cron.py
"""

import operator
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from conftest import ok, query, run
from test_notices import free_port

ROOT = Path(__file__).resolve().parent.parent
KILLS = 8  # per test: enough to hit every stage, well under a minute in all
TICKETS = 600  # three write batches of remind run (200 each), 600 nudges to send


@pytest.fixture
def overdue(life_desk):
    """TICKETS tickets of a chased type (accept within 1h, nudge every 2h, escalate after
    2), opened at 09:00 and routed to dan (who reports to lee)."""
    ok("type add chase --name Chase --route user:dan --accept-within 1h --nudge-every 2h "
       "--escalate-after 2")
    for login in ("dan", "lee", "tina"):
        ok(f"user update {login} --email {login}@example.com")
    ok("config set mail.from 'Help desk <desk@school.example>'")
    lines = "".join(f'{{"type": "chase", "title": "Call back {n}"}}\n' for n in range(TICKETS))
    ok("ticket import -", input=lines)
    return life_desk


def start(args: list[str], now: str) -> subprocess.Popen:
    env = {**os.environ, "DESKCLI_USER": "alice", "DESKCLI_NOW": now}
    env.pop("DESKCLI_DEBUG", None)
    return subprocess.Popen([sys.executable, "-m", "deskcli", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def kill_when(proc: subprocess.Popen, started, delay: float) -> bool:
    """SIGKILL the process `delay` seconds after `started()` says its work began; False
    when it finished first. Either way it has ended, its stderr in `proc.err`."""
    deadline = time.monotonic() + 30
    while proc.poll() is None and not started() and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(delay)
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    proc.err = proc.communicate(timeout=60)[1]
    return killed


def finish(proc: subprocess.Popen) -> None:
    """Let the process end by itself; it must succeed."""
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err


def db_check() -> None:
    ok("db check")


def scalar(desk, sql: str) -> int:
    return query(desk, sql)[0][0]


# --- remind run --------------------------------------------------------------------------

def kill_remind_runs(now: str, rng: random.Random) -> int:
    """remind run at `now`, killed at a random moment up to KILLS // 4 times, then run to
    its end; returns the kills. The moments are spread over the time a dry run takes (the
    same work, rolled back), so that they fall in the work whatever the machine's speed."""
    began = time.monotonic()
    ok("remind run --dry-run", now=now)
    length = (time.monotonic() - began) + 0.1  # + a process's start-up
    kills = 0
    while kills < KILLS // 4:
        proc = start(["remind", "run"], now)
        if not kill_when(proc, lambda: True, rng.uniform(0.2, 1.0) * length):
            assert proc.returncode == 0, proc.err
            break  # it finished first: nothing left to do at this moment
        kills += 1
        db_check()
    finish(start(["remind", "run"], now))
    db_check()
    return kills


@pytest.mark.slow
def test_remind_run_killed_at_random_nudges_and_escalates_exactly_once(overdue):
    rng = random.Random(20261128)
    kills = sum(kill_remind_runs(f"2026-11-28T{hour}:00:00Z", rng)
                for hour in (10, 12, 14, 16))  # four nudges, escalated twice (to lee, tina)
    nudged = dict(query(
        overdue, "SELECT ticket_id, count(*) FROM events WHERE kind = 'nudged' "
        "GROUP BY ticket_id"))
    escalated = dict(query(
        overdue, "SELECT ticket_id, count(*) FROM events WHERE kind = 'escalated' "
        "GROUP BY ticket_id"))
    notices = dict(query(
        overdue, "SELECT template, count(*) FROM outbox WHERE template IN ('nudged', "
        "'escalated') GROUP BY template"))
    (counters,) = query(
        overdue, "SELECT min(nudges), max(nudges), min(escalations), max(escalations) "
        "FROM tickets WHERE type_id = (SELECT id FROM ticket_types WHERE key = 'chase')")
    print(f"\nremind run: {kills} kills; {sum(nudged.values())} nudges and "
          f"{sum(escalated.values())} escalations of {TICKETS} tickets (expected "
          f"{4 * TICKETS} and {2 * TICKETS}: {sum(nudged.values()) - 4 * TICKETS} doubled "
          f"or lost)")
    assert kills >= 3  # kills really happened during the runs
    assert len(nudged) == TICKETS and set(nudged.values()) == {4}
    assert len(escalated) == TICKETS and set(escalated.values()) == {2}
    assert notices == {"nudged": 4 * TICKETS, "escalated": 2 * TICKETS}
    assert counters == (4, 4, 2, 2)


# --- outbox send -------------------------------------------------------------------------

class Counter:
    """Counts every message's Message-ID as the server accepts it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ids: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        found = re.search(rb"^Message-ID:\s*(\S+)", envelope.content, re.I | re.M)
        with self.lock:
            self.ids.append(found.group(1) if found else b"")
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.ids)


@pytest.mark.slow
def test_outbox_send_killed_at_random_loses_nothing_and_doubles_one_at_most(overdue):
    ok("remind run", now="2026-11-28T10:00:00Z")  # TICKETS nudges to send, and more
    notices = scalar(overdue, "SELECT count(*) FROM outbox WHERE status = 'pending'")
    assert notices >= TICKETS
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=free_port())
    controller.start()
    rng = random.Random(7)
    kills = 0
    try:
        url = f"smtp://127.0.0.1:{controller.port}"
        for _ in range(40):  # the claims of a sender killed here are taken over at once
            grew = partial(operator.lt, counter.count())  # grew(n): n > the count now
            proc = start(["outbox", "send", "--via", url], "2026-11-28T10:05:00Z")
            if kills < KILLS:
                if kill_when(proc, lambda: grew(counter.count()),  # noqa: B023
                             rng.uniform(0, 0.15)):
                    kills += 1
                    db_check()
                    continue
                assert proc.returncode == 0, proc.err
            else:
                finish(proc)
            if scalar(overdue, "SELECT count(*) FROM outbox WHERE status <> 'sent'") == 0:
                break
        received = counter.count()
        assert run("outbox", "send", "--via", url, now="2026-11-29T09:00:00Z").code == 0
        assert counter.count() == received  # nothing more to send
    finally:
        controller.stop()
    db_check()
    distinct = len(set(counter.ids))
    duplicates = len(counter.ids) - distinct
    lost = notices - distinct
    print(f"\noutbox send: {kills} kills, {notices} notices, {len(counter.ids)} messages "
          f"received, {duplicates} duplicates, {lost} lost")
    assert kills == KILLS
    assert lost == 0 and duplicates <= kills
    assert scalar(overdue, "SELECT count(*) FROM outbox WHERE status <> 'sent'") == 0
