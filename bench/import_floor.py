#!/usr/bin/env python3
"""How fast can Python's sqlite3 write the rows of an imported ticket, with nothing else?

    python bench/import_floor.py --tickets 200000 --venv /tmp/bench-venv \
        --template /tmp/bench/import-template-s42-v13.db

The ceiling of any `ticket import` written in Python on this machine: a desk made by
`deskcli init` (the real schema), rows prepared in memory beforehand, exactly shaped like
the import's (the ticket row with its 19 columns, 2 events, the full-text row with tokens
from deskcli.search.tokens.index_text, no CC or checklist rows), written with executemany in one
transaction. No parsing, validation, routing or tokenising is timed. Three variants:
  bare      every secondary index of tickets and events dropped (and not rebuilt), no
            CC or checklist rows, foreign keys off, rolled back: the rows alone
  indexed   the same rows into the schema as it is (what a desk keeps up to date for
            every ticket), rolled back
  complete  a complete desk, as `ticket import` leaves it: foreign keys on (as deskcli
            opens a desk), the CC and checklist rows too (0.6 and 1.4 a ticket, as in
            import_speed.py's input), the indexes dropped, built again after the rows,
            and COMMIT (with the WAL checkpoint SQLite runs then); only with --template
Reported: rows per second for each table and tickets per second for all of a ticket's
rows (for "complete", the index build and the COMMIT included). What no variant does:
the per-type counters and reminder times `ticket import` computes once at the end
(assignee_load, remind_at: about 3 % of an import), and reading back the external ids
it skips. The rows go through the stdlib sqlite3 module into a desk in WAL mode, as
`ticket import` wrote them before issue 15; today's import writes through apsw and, into
a new or small desk, without a journal (store/unjournaled.py), so it can pass "complete"
(19,600 tickets/s at 1M against this script's 18,500/s at 100k): the floor is that of
the stdlib module with a journal, not of today's import.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TICKET_COLUMNS = ("id", "type_id", "title", "body", "status", "priority", "customer_id",
                  "assignee_id", "owner_id", "handler_id", "opened_by_id", "approver_id",
                  "source", "external_id", "fields", "created_at", "updated_at",
                  "accept_due_at", "resolve_due_at")
EVENT_COLUMNS = ("ticket_id", "at", "actor_id", "kind", "from_value", "to_value", "message",
                 "visibility", "data")
WORDS = "登录 失败 续费 课程 老师 家长 学员 退款 App 闪退 iPad 上课 时间 校区 账号 密码".split()


def rows(count: int, index_text) -> tuple[list, list, list, list, list]:
    """Rows like an import's: ~17-character titles, ~75-character bodies, a fields object,
    and the CC and checklist rows of the types that have them."""
    rng = random.Random(42)
    tickets, events, text, cc, steps = [], [], [], [], []
    at = "2026-11-28T10:00:00Z"
    for i in range(1, count + 1):
        title = "".join(rng.choices(WORDS, k=6))[:17]
        body = "，".join("".join(rng.choices(WORDS, k=8)) for _ in range(3))[:75]
        fields = json.dumps({"phone_model": "iPhone 15", "os": "iOS",
                             "app_version": f"3.2.{i % 10}"}, ensure_ascii=False)
        tickets.append((i, 1 + i % 5, title, body, "assigned", "normal", 1 + i % 50_000,
                        10 + i % 40, None, None, 1, None, "import", f"EXT-{i}", fields, at, at,
                        "2026-11-28T14:00:00Z", "2026-11-30T10:00:00Z"))
        events.append((i, at, 1, "opened", None, None, body, "public",
                       '{"type":"app-crash","priority":"normal","source":"import"}'))
        events.append((i, at, None, "assigned", None, f"agent{i % 40}",
                       "least-loaded in support", "internal", None))
        text.append((i, index_text(title), index_text(body)))
        if i % 5 < 3:
            cc.append((i, 1 + i % 3, None))
        if i % 5 in (1, 3):
            steps += [(i, 1, "Call the parent"), (i, 2, "Send the contract"),
                      (i, 3, "Check the payment")]
        elif i % 5 == 4:
            steps.append((i, 1, "Ask for the device"))
    return tickets, events, text, cc, steps


def desk(venv: Path, folder: Path, template: Path | None) -> Path:
    path = folder / "floor.db"
    if template:  # a desk with the people, customers and types the rows refer to
        import shutil

        shutil.copyfile(template, path)
        return path
    subprocess.run([str(venv / "bin" / "deskcli"), "--db", str(path), "init", "--admin",
                    "admin"], check=True, capture_output=True)
    return path  # foreign keys are off on the trial's connection, as SQLite's default


def trial(path: Path, tickets, events, text, cc, steps, variant: str) -> dict:
    complete = variant == "complete"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA cache_size = -65536")
    if complete:
        conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN IMMEDIATE")
    for name, in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND "
                              "tbl_name = 'tickets'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    dropped = []
    if variant != "indexed":
        dropped = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND "
                               "sql IS NOT NULL AND tbl_name IN ('tickets', 'events') AND "
                               "name <> 'tickets_external'").fetchall()
        for name, _ in dropped:
            conn.execute(f"DROP INDEX {name}")
    marks = ",".join("?" * len(TICKET_COLUMNS))
    start = time.perf_counter()
    conn.executemany(f"INSERT INTO tickets ({','.join(TICKET_COLUMNS)}) VALUES ({marks})",
                     tickets)
    after_tickets = time.perf_counter()
    conn.executemany(f"INSERT INTO events ({','.join(EVENT_COLUMNS)}) VALUES "
                     f"({','.join('?' * len(EVENT_COLUMNS))})", events)
    after_events = time.perf_counter()
    conn.executemany("INSERT INTO ticket_fts (rowid, title, body) VALUES (?,?,?)", text)
    after_text = time.perf_counter()
    if complete:
        conn.executemany("INSERT INTO ticket_cc (ticket_id, dept_id, user_id) VALUES (?,?,?)",
                         cc)
        conn.executemany("INSERT INTO ticket_steps (ticket_id, position, text) "
                         "VALUES (?,?,?)", steps)
        conn.execute("PRAGMA cache_size = -24576")  # as the import builds its indexes
        for _, sql in dropped:
            conn.execute(sql)
        conn.execute("COMMIT")
    else:
        conn.execute("ROLLBACK")  # the desk stays empty for the next trial
    end = time.perf_counter()
    conn.close()
    n = len(tickets)
    return {"tickets_rows_per_s": n / (after_tickets - start),
            "events_rows_per_s": len(events) / (after_events - after_tickets),
            "fts_rows_per_s": n / (after_text - after_events),
            "tickets_per_s": n / ((end if complete else after_text) - start)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--venv", type=Path, default=Path("/tmp/bench-venv"))
    parser.add_argument("--template", type=Path,
                        help="the people-and-types desk of import_speed.py (its "
                             "import-template-*.db), needed by the complete variant, whose "
                             "foreign keys must find the rows' types, customers and people")
    args = parser.parse_args()
    from deskcli.search.tokens import index_text  # run with the venv's Python

    all_rows = rows(args.tickets, index_text)
    with tempfile.TemporaryDirectory(prefix="deskcli-floor-") as folder:
        path = desk(args.venv, Path(folder), args.template)
        variants = ("bare", "indexed", "complete") if args.template else ("bare", "indexed")
        results = {variant: trial(path, *all_rows, variant)
                   for variant in variants}  # complete: last, it commits
    print(f"{args.tickets:,} tickets · Python {sys.version.split()[0]} · SQLite "
          f"{sqlite3.sqlite_version} · {os.cpu_count()} cores\n")
    print("| variant | tickets rows/s | events rows/s | full-text rows/s | tickets/s, all rows |")
    print("|---|---:|---:|---:|---:|")
    for variant, r in results.items():
        print(f"| {variant} | {r['tickets_rows_per_s']:,.0f} | {r['events_rows_per_s']:,.0f} | "
              f"{r['fts_rows_per_s']:,.0f} | {r['tickets_per_s']:,.0f} |")


if __name__ == "__main__":
    main()
