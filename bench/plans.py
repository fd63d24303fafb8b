#!/usr/bin/env python3
"""Show the query plan and time of every SELECT that the everyday commands run.

    python bench/plans.py --db /tmp/bench/desk-1m.db

Runs deskcli's own service functions in-process (ticket show, ticket list with the
usual filters, the least-loaded routing count), records the SQL they execute with
sqlite3's trace callback (statements arrive with their parameters bound), and for each
SELECT prints EXPLAIN QUERY PLAN and the median time of running it again. A plan line
with SCAN over a big table (rather than SEARCH ... USING INDEX) is the thing to look for.
Read-only: nothing is written to the desk.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from startup import desk_facts  # noqa: E402


def operations(facts: dict):
    """(name, function(desk)) pairs: the everyday reads."""
    from deskcli.store import routing as routing_store
    from deskcli.tickets import opening as tickets
    from deskcli.tickets.opening import ListFilters

    def least_loaded(desk):
        members = routing_store.active_members(desk.store, desk.store.scalar(
            "SELECT id FROM departments WHERE key = 'support'"))
        with desk.store.read():
            routing_store.open_load(desk.store, [m[0] for m in members[:1]])

    return [
        ("ticket show ID", lambda d: tickets.show_ticket(d, int(facts["ticket"]))),
        ("ticket list --status in_progress --assignee AGENT",
         lambda d: tickets.list_tickets(d, ListFilters(status=["in_progress"],
                                                       assignee=facts["agent"]))),
        ("ticket list --assignee AGENT (any status)",
         lambda d: tickets.list_tickets(d, ListFilters(assignee=facts["agent"]))),
        ("ticket list --status open",
         lambda d: tickets.list_tickets(d, ListFilters(status=["open"]))),
        ("ticket list --status in_progress",
         lambda d: tickets.list_tickets(d, ListFilters(status=["in_progress"]))),
        ("ticket list --overdue",
         lambda d: tickets.list_tickets(d, ListFilters(overdue=True))),
        ("ticket list --search 登录",
         lambda d: tickets.list_tickets(d, ListFilters(search="登录"))),
        ("ticket list --search 登录失败",
         lambda d: tickets.list_tickets(d, ListFilters(search="登录失败"))),
        ("least-loaded routing: open tickets of one assignee", least_loaded),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5, help="timed repeats of each query")
    parser.add_argument("--only", help="only operations whose name contains this")
    args = parser.parse_args(argv)

    from deskcli.desk import Desk

    facts = desk_facts(args.db)
    desk = Desk.open(args.db, facts["agent"], "--as")
    conn = desk.store.conn
    print(f"desk {args.db}: {facts['tickets']:,} tickets, SQLite {sqlite3.sqlite_version}, "
          f"agent {facts['agent']}, ticket {facts['ticket']}\n")
    for name, op in operations(facts):
        if args.only and args.only not in name:
            continue
        statements: list[str] = []
        conn.set_trace_callback(statements.append)
        start = time.perf_counter()
        op(desk)
        total = (time.perf_counter() - start) * 1000
        conn.set_trace_callback(None)
        print(f"## {name}: {total:.1f} ms in-process (first run)\n")
        for sql in statements:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            plan = conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                conn.execute(sql).fetchall()
                times.append((time.perf_counter() - t0) * 1000)
            short = " ".join(sql.split())
            print(f"    {short[:160]}{' ...' if len(short) > 160 else ''}")
            print(f"    -- {statistics.median(times):.2f} ms")
            for row in plan:
                print(f"       {row[3]}")
            print()
    desk.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
