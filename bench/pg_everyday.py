#!/usr/bin/env python3
"""The everyday commands on the same desk in SQLite and on PostgreSQL, side by side.

    python bench/pg_everyday.py --sqlite /tmp/bench/copy.db \\
        --pg 'postgresql://desk@/bench?host=/run/postgresql' --runs 11 --venv /tmp/bench-venv

Give it two copies of one desk (the PostgreSQL one made with `deskcli db copy`): the write
commands change both (each run opens one ticket and accepts a distinct assigned one).
Every command runs as a new process of the venv's `deskcli`, alternately on each store,
after one untimed round; reported: the median wall time per store, the ratio
PostgreSQL/SQLite (target: at most 1.5 at 1M tickets), and the round trips the command
makes to the server (counted in-process, once per command). "30 ms WAN" estimates the same
command over a link with 30 ms round trips: the local time plus 30 ms per round trip, plus
three for the connection (TCP, start-up, authentication).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import time

WAN_MS = 30.0
CONNECT_TRIPS = 3


def picks(path: str) -> dict:
    """A middle ticket, the busiest agent, a customer, and tickets assigned to the agent."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        top = conn.execute("SELECT max(id) FROM tickets").fetchone()[0]
        agent_id, agent = conn.execute(
            "SELECT u.id, u.login FROM tickets t JOIN users u ON u.id = t.assignee_id "
            "WHERE t.status = 'assigned' GROUP BY u.id ORDER BY count(*) DESC LIMIT 1").fetchone()
        pool = [r[0] for r in conn.execute(
            "SELECT id FROM tickets WHERE assignee_id = ? AND status = 'assigned' "
            "ORDER BY id DESC LIMIT 100", (agent_id,))]
        customer = conn.execute("SELECT key FROM customers ORDER BY id LIMIT 1 OFFSET "
                                "(SELECT count(*) / 2 FROM customers)").fetchone()[0]
        kind = conn.execute("SELECT key FROM ticket_types WHERE key = 'app-crash' AND active"
                            ).fetchone()  # (the seeded type startup.py opens too)
    finally:
        conn.close()
    return {"ticket": str(top // 2), "agent": agent, "pool": pool, "customer": customer,
            "type": kind[0] if kind else None}


def commands(p: dict) -> list[tuple[str, list[str], bool]]:
    """(name, argv after `deskcli`, whether it takes a distinct accept ticket per run)."""
    found = [("ticket show", ["ticket", "show", p["ticket"]], False),
             ("ticket list --limit 50", ["ticket", "list", "--limit", "50"], False),
             ("ticket list --assignee @me --limit 50",
              ["ticket", "list", "--assignee", "@me", "--limit", "50"], False),
             ("ticket list --search 登录 --limit 50",
              ["ticket", "list", "--search", "登录", "--limit", "50"], False),
             ("dashboard", ["dashboard"], False),
             ("ticket accept ID", ["ticket", "accept", "{accept}"], True)]
    if p["type"]:
        found.insert(3, ("ticket open", [
            "ticket", "open", "--type", p["type"], "--title", "Bench run: App 闪退 on login",
            "-m", "家长说孩子上课时 App 闪退，重装后仍然如此。The app closes when the lesson "
            "starts.", "--customer", p["customer"], "--field", "phone_model=iPhone 15",
            "--field", "os=iOS", "--field", "app_version=3.2.1", "--source", "phone"],
            False))
    return found


def timed(deskcli: str, db: str, argv: list[str], env: dict) -> float:
    start = time.perf_counter()
    done = subprocess.run([deskcli, "--db", db, *argv], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE)
    took = (time.perf_counter() - start) * 1000
    if done.returncode:
        raise SystemExit(f"{' '.join(argv)} on {db}: {done.stderr.decode().strip()}")
    return took


def round_trips(url: str, argv: list[str], user: str) -> int:
    """The statements and transaction controls the command sends to the server."""
    from click.testing import CliRunner

    from deskcli.cli import main
    from deskcli.store.pg import connection

    # the connection's own count: statements, and the batches and COPYs that bypass them
    counted = []
    close = connection.Connection.close

    def counting(self):
        counted.append(self.round_trips)
        return close(self)

    connection.Connection.close = counting
    try:
        result = CliRunner().invoke(main, ["--db", url, "--as", user, *argv])
    finally:
        connection.Connection.close = close
    if result.exit_code:
        raise SystemExit(f"{' '.join(argv)}: {result.output}")
    return sum(counted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite", required=True, help="the desk file (a scratch copy)")
    parser.add_argument("--pg", required=True, help="the same desk on PostgreSQL")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--venv", default=os.path.dirname(os.path.dirname(sys.executable)))
    args = parser.parse_args()
    deskcli = os.path.join(args.venv, "bin", "deskcli")
    p = picks(args.sqlite)
    env = {**os.environ, "DESKCLI_USER": p["agent"]}
    pool = list(p["pool"])
    if len(pool) < 2 * (args.runs + 2):
        raise SystemExit(f"the agent {p['agent']} has {len(pool)} assigned tickets; "
                         f"{2 * (args.runs + 2)} are needed")
    print(f"agent {p['agent']}, ticket {p['ticket']}, {args.runs} runs per store\n")
    print(f"{'command':40} {'SQLite ms':>10} {'PG ms':>8} {'PG/SQLite':>10} "
          f"{'trips':>6} {'30 ms WAN':>10}")
    for name, argv, per_run in commands(p):
        times = {"sqlite": [], "pg": []}
        for run in range(args.runs + 1):
            for store, db in (("sqlite", args.sqlite), ("pg", args.pg)):
                line = [str(pool.pop()) if a == "{accept}" else a for a in argv] if per_run \
                    else argv
                took = timed(deskcli, db, line, env)
                if run:
                    times[store].append(took)
        probe = [str(pool.pop()) if a == "{accept}" else a for a in argv] if per_run else argv
        trips = round_trips(args.pg, probe, p["agent"])
        lite, pg = statistics.median(times["sqlite"]), statistics.median(times["pg"])
        wan = pg + (trips + CONNECT_TRIPS) * WAN_MS
        print(f"{name:40} {lite:10.1f} {pg:8.1f} {pg / lite:10.2f} {trips:6d} {wan:10.0f}")


if __name__ == "__main__":
    main()
