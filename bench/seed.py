#!/usr/bin/env python3
"""Build a large, realistic desk for benchmarks.

    python bench/seed.py /tmp/bench/desk-1m.db --tickets 1000000

Run it with the Python of a venv where deskcli is installed (it calls `deskcli` as a
subprocess and imports deskcli.search.tokens). What it does:

1. `deskcli init` (a subprocess, so the real schema and migrations are used);
2. departments and ~200 staff with managers, written with SQL (a few inactive: departed);
3. ~50,000 customers with their consultants, through `deskcli customer import`;
4. five ticket types with custom fields, routing, CC lists, SLAs and checklists, through
   `deskcli type add`, and an access client through `deskcli access add`;
5. N tickets with their events (2-6 each), CC rows, checklist rows and full-text rows,
   bulk-inserted with `executemany` in large transactions. The secondary indexes of the
   tickets, events and ticket_cc tables are dropped first and recreated afterwards from
   their own SQL in sqlite_master, so the result has exactly the schema `init` made.

Deterministic: the same arguments give the same desk (every chunk of tickets has its own
seeded random generator, so the result does not depend on --jobs either). Memory stays
modest: tickets are generated and written in chunks. The full-text rows use
deskcli.search.tokens.index_text, memoised per sentence (sentences are separated by punctuation,
which index_text treats as a boundary, so the joined tokens equal index_text of the whole
text; this is checked on a sample of tickets).

It does not run ANALYZE: a user's desk has no sqlite_stat1 table unless deskcli makes one,
so the query plans measured on this desk are the ones users get.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import sqlite3
import sys
import time
from calendar import timegm
from collections import deque
from pathlib import Path

from desk_data import (
    CENTRE_TASKS,
    CITIES,
    DAY,
    GENERIC,
    N_CENTRES,
    N_CUSTOMERS,
    NOTES,
    PACKAGES,
    PHONES,
    REFUND_REASONS,
    REPLIES,
    RESOLUTIONS,
    SENTENCES,
    SOURCES,
    SURNAMES,
    TITLES,
    TYPE_DEPT,
    TYPES,
    VERSIONS,
)
from desk_setup import SPAN_DAYS, setup_desk, stamp

DEFAULT_NOW = "2026-11-28T00:00:00Z"
CHUNK = 20_000
OPEN_STATUSES = ("new", "assigned", "in_progress", "waiting")

# --- helpers ------------------------------------------------------------------------------

def parse_stamp(text: str) -> int:
    return timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


# --- the world as the ticket generator sees it ---------------------------------------------

class World:
    """Ids of people, customers and types, read back from the desk once."""

    def __init__(self, conn: sqlite3.Connection, now: int, total: int):
        self.now, self.total = now, total
        self.start = now - SPAN_DAYS * DAY
        rows = conn.execute(
            "SELECT u.id, u.login, u.active, u.role, u.manager_id, d.key FROM users u "
            "LEFT JOIN departments d ON d.id = u.dept_id WHERE u.kind = 'staff' ORDER BY u.id"
        ).fetchall()
        self.login = {r[0]: r[1] for r in rows}
        self.active = {r[0]: bool(r[2]) for r in rows}
        self.manager = {r[0]: r[4] for r in rows}
        self.managers = [r[0] for r in rows if r[3] in ("manager", "admin") and r[2]]
        weights_rng = random.Random("weights")
        self.members = {}  # dept -> (all ids, cum weights, active ids, cum weights)
        for dept in sorted({r[5] for r in rows if r[5]}):
            ids = [r[0] for r in rows if r[5] == dept and r[3] == "agent"] or \
                  [r[0] for r in rows if r[5] == dept]
            # some agents are much busier than others
            weights = [weights_rng.lognormvariate(0, 0.7) for _ in ids]
            live = [(i, w) for i, w in zip(ids, weights, strict=True) if self.active[i]]
            self.members[dept] = (ids, _cum(weights), [i for i, _ in live],
                                  _cum([w for _, w in live]))
        self.customers = conn.execute(
            "SELECT id, key, consultant_id FROM customers ORDER BY id").fetchall()
        self.depts = dict(conn.execute("SELECT key, id FROM departments"))
        self.client = conn.execute(
            "SELECT id FROM users WHERE login = 'sales-system'").fetchone()[0]
        self.types = {}
        for key, share, _args in TYPES:
            row = conn.execute("SELECT id, priority, accept_within, resolve_within FROM "
                               "ticket_types WHERE key = ?", (key,)).fetchone()
            steps = [r[0] for r in conn.execute(
                "SELECT text FROM type_steps WHERE type_id = ? ORDER BY position", (row[0],))]
            cc = conn.execute("SELECT dept_id, user_id FROM type_cc WHERE type_id = ?",
                              (row[0],)).fetchall()
            self.types[key] = {"id": row[0], "priority": row[1], "accept": row[2],
                               "resolve": row[3], "steps": steps, "cc": cc, "share": share}
        self.type_keys = list(self.types)
        self.type_cum = _cum([self.types[k]["share"] for k in self.type_keys])


def _cum(weights):
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


_WORLD: World | None = None
_TOKENS: dict[str, str] = {}


def tokens(text: str) -> str:
    """index_text, memoised per sentence."""
    got = _TOKENS.get(text)
    if got is None:
        from deskcli.search.tokens import index_text

        if len(_TOKENS) > 200_000:
            _TOKENS.clear()
        got = _TOKENS[text] = index_text(text)
    return got


def fill(template: str, v: dict) -> str:
    return template.format(**v) if "{" in template else template


def values_for(rng: random.Random, type_key: str, customer_key: str | None,
               created: int) -> tuple[dict, dict]:
    """(custom field values, words for the text templates)."""
    model, os_name = rng.choice(PHONES)
    words = {"model": model, "os": os_name, "ver": rng.choice(VERSIONS),
             "pkg": rng.choice(PACKAGES), "name": customer_key or "C000123",
             "order": str(rng.randrange(10**9, 10**10)),
             "centre": f"{rng.choice(CITIES)}第{rng.randrange(1, N_CENTRES)}校区",
             "task": rng.choice(CENTRE_TASKS), "reason": rng.choice(REFUND_REASONS),
             "account": f"{rng.choice(SURNAMES)}{rng.randrange(100, 99999)}"}
    if type_key == "app-crash":
        fields = {"phone_model": model, "os": os_name, "app_version": words["ver"]}
    elif type_key == "account":
        fields = {"account": words["account"], "platform": rng.choice(("App", "Web", "Pad"))}
    elif type_key == "renewal":
        fields = {"package": words["pkg"]}
        if rng.random() < 0.7:
            fields["due_date"] = time.strftime("%Y-%m-%d",
                                               time.gmtime(created + rng.randrange(3, 30) * DAY))
    elif type_key == "refund":
        fields = {"amount": round(rng.uniform(200, 9800), 2), "order_no": words["order"],
                  "reason": words["reason"]}
    else:
        fields = {"centre": words["centre"], "task": words["task"],
                  "date": time.strftime("%Y-%m-%d",
                                        time.gmtime(created + rng.randrange(7, 40) * DAY))}
    return fields, words


def gen_chunk(first: int, count: int, seed: int, check: bool = False):
    """Rows for tickets first .. first+count-1: (tickets, events, cc, steps, fts)."""
    w = _WORLD
    rng = random.Random(f"{seed}:{first}")
    tickets, events, ccs, steps, fts = [], [], [], [], []
    span = SPAN_DAYS * DAY
    ncust = len(w.customers)
    for tid in range(first, first + count):
        # creation times increase with the id, denser recently (the desk grows)
        created = int(w.start + span * ((tid - 1 + rng.random()) / w.total) ** 1.25)
        age = (w.now - created) / DAY
        type_key = w.type_keys[_pick(rng, w.type_cum)]
        t = w.types[type_key]
        priority = t["priority"] if rng.random() < 0.85 else rng.choice(
            ("low", "normal", "normal", "high", "urgent"))
        customer = None
        if type_key in ("renewal", "refund") or rng.random() < 0.9:
            customer = w.customers[int(ncust * rng.random() ** 1.6)]
        fields, words = values_for(rng, type_key, customer[1] if customer else None, created)

        p_open = 0.085 + 0.85 * math.exp(-age / 10)
        if rng.random() < p_open:
            r = rng.random()
            status = ("new" if r < 0.10 else "assigned" if r < 0.33 else
                      "in_progress" if r < 0.82 else "waiting")
        else:
            status = "done"

        # who
        live = status in OPEN_STATUSES
        if type_key == "renewal" and customer[2]:
            assignee = customer[2]
            if live and not w.active[assignee]:
                assignee = w.manager[assignee]
        else:
            ids, cum, live_ids, live_cum = w.members[TYPE_DEPT[type_key]]
            assignee = (live_ids[_pick(rng, live_cum)] if live else ids[_pick(rng, cum)])
        if status == "new":
            assignee = None
        if type_key in ("renewal", "refund") and rng.random() < 0.5:
            opener, source = w.client, "access:sales-system"
        else:
            ids, cum, live_ids, live_cum = w.members["support"]
            opener, source = live_ids[_pick(rng, live_cum)], rng.choice(SOURCES)
        external = f"crm-{tid}" if opener == w.client else None

        # text
        title = fill(rng.choice(TITLES[type_key]), words)
        pool = SENTENCES[type_key]
        sentences = [fill(s, words) for s in rng.sample(pool, rng.randint(2, 4))]
        if rng.random() < 0.3:
            sentences.append(rng.choice(GENERIC))
        body = "".join(s if s[-1] in "。！？" else s + " " for s in sentences).strip()
        body_tokens = " ".join(x for x in (tokens(s) for s in sentences) if x)
        if check and tid % 997 == 0:
            from deskcli.search.tokens import index_text

            assert body_tokens == index_text(body), (body, body_tokens, index_text(body))
        fts.append((tid, tokens(title), body_tokens))

        # timeline
        at = stamp(created)
        accept_due = stamp(created + t["accept"]) if t["accept"] else None
        resolve_due = stamp(created + t["resolve"]) if t["resolve"] else None
        ev = [(tid, at, opener, "opened", None, None, body, "public",
               json.dumps({"type": type_key, "priority": priority, "source": source},
                          ensure_ascii=False))]
        owner = handler = accepted_at = resolved_at = closed_at = waiting_since = None
        resolution = last_nudged = None
        nudges = paused = 0
        last = created
        if assignee is None:
            ev.append((tid, at, None, "queued", None, None,
                       "routing rule: nobody to assign; to the assignment queue", "internal",
                       None))
        else:
            ev.append((tid, at, None, "assigned", None, w.login[assignee],
                       f"routing rule: assigned to {w.login[assignee]}", "internal", None))
        if status not in ("new", "assigned"):
            owner = handler = assignee
            mean = (t["accept"] or 4 * 3600) * 0.4
            last = min(created + int(rng.expovariate(1 / mean)) + 60,
                       created + int((w.now - created) * rng.random()))
            accepted_at = stamp(last)
            ev.append((tid, accepted_at, owner, "accepted", "assigned", "in_progress", None,
                       "internal", None))
            r = rng.random()
            if status == "in_progress" and r < 0.5 or status != "in_progress" and r < 0.25:
                last = _later(rng, last, w.now, 6 * 3600)
                ev.append((tid, stamp(last), owner, "note", None, None, rng.choice(NOTES),
                           "internal", None))
            if status == "in_progress" and rng.random() < 0.1:
                ids, cum, live_ids, live_cum = w.members[TYPE_DEPT[type_key]]
                handler = live_ids[_pick(rng, live_cum)]
                last = _later(rng, last, w.now, 3600)
                ev.append((tid, stamp(last), owner, "transferred", w.login[owner],
                           w.login[handler], "please take a look", "internal", None))
            if status == "waiting" or status == "done" and r >= 0.5:
                last = _later(rng, last, w.now, 3 * 3600)
                ev.append((tid, stamp(last), owner, "reply", None, None, rng.choice(REPLIES),
                           "public", None))
                if status == "waiting":
                    waiting_since = stamp(last)
        if status == "done":
            mean = (t["resolve"] or 2 * DAY) * 0.35
            last = min(last + int(rng.expovariate(1 / mean)) + 300,
                       last + int((w.now - last) * rng.random()))
            resolved_at = stamp(last)
            resolution = rng.choice(RESOLUTIONS)
            ev.append((tid, resolved_at, owner, "resolved", "in_progress", "resolved",
                       resolution, "public", None))
            closing = last + int(rng.expovariate(1 / (3 * DAY))) + 3600
            if closing < w.now and rng.random() > 0.03:
                status, last, closed_at = "closed", closing, stamp(closing)
                ev.append((tid, closed_at, owner, "closed", "resolved", "closed", None,
                           "internal", None))
            else:
                status = "resolved"
        elif len(ev) < 6:  # open: overdue ones get nudged now and then
            due = created + ((t["accept"] if status in ("new", "assigned") else t["resolve"])
                             or span)
            if due < w.now and rng.random() < 0.3:
                nudges = rng.randint(1, 3)
                last = due + int((w.now - due) * rng.random())
                last_nudged = stamp(last)
                ev.append((tid, last_nudged, opener, "nudged", None, None, "请尽快处理", "public",
                           json.dumps({"count": nudges})))
        events.extend(ev)

        tickets.append((
            tid, t["id"], title, body, status, priority, customer[0] if customer else None,
            assignee, owner, handler, opener, None, source, external,
            json.dumps(fields, ensure_ascii=False), at, stamp(last), accept_due, resolve_due,
            accepted_at, resolved_at, closed_at, waiting_since, paused, nudges, last_nudged,
            resolution, None))
        for dept_id, user_id in t["cc"]:
            ccs.append((tid, dept_id, user_id))
        if rng.random() < 0.06:
            ccs.append((tid, None, w.managers[rng.randrange(len(w.managers))]))
        if t["steps"]:
            done_steps = (len(t["steps"]) if status in ("resolved", "closed") else
                          rng.randrange(len(t["steps"])) if status in ("in_progress", "waiting")
                          else 0)
            for pos, text in enumerate(t["steps"], start=1):
                done = pos <= done_steps
                steps.append((tid, pos, text, accepted_at if done else None,
                              owner if done else None))
    return tickets, events, ccs, steps, fts


def _pick(rng: random.Random, cum: list[float]) -> int:
    from bisect import bisect

    return min(bisect(cum, rng.random() * cum[-1]), len(cum) - 1)


def _later(rng: random.Random, moment: int, now: int, mean: float) -> int:
    return min(moment + int(rng.expovariate(1 / mean)) + 60, moment + (now - moment) // 2)


TICKET_INSERT_COLUMNS = (
    "id", "type_id", "title", "body", "status", "priority", "customer_id", "assignee_id",
    "owner_id", "handler_id", "opened_by_id", "approver_id", "source", "external_id", "fields",
    "created_at", "updated_at", "accept_due_at", "resolve_due_at", "accepted_at",
    "resolved_at", "closed_at", "waiting_since", "paused_seconds", "nudges", "last_nudged_at",
    "resolution", "merged_into")
INSERTS = [
    f"INSERT INTO tickets ({', '.join(TICKET_INSERT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(TICKET_INSERT_COLUMNS))})",
    "INSERT INTO events (ticket_id, at, actor_id, kind, from_value, to_value, message, "
    "visibility, data) VALUES (?,?,?,?,?,?,?,?,?)",
    "INSERT INTO ticket_cc (ticket_id, dept_id, user_id) VALUES (?,?,?)",
    "INSERT INTO ticket_steps (ticket_id, position, text, done_at, done_by_id) "
    "VALUES (?,?,?,?,?)",
    "INSERT INTO ticket_fts (rowid, title, body) VALUES (?,?,?)",
]


def add_tickets(path: Path, total: int, *, seed: int, now: int, jobs: int,
                log=print) -> dict:
    """Generate and insert `total` tickets; returns counts."""
    global _WORLD
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")  # test data: rebuilt on failure
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -262144")  # 256 MiB
    conn.execute("PRAGMA foreign_keys = OFF")
    _WORLD = World(conn, now, total)
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('tickets', 'events', 'ticket_cc')").fetchall()
    for name, _sql in indexes:
        conn.execute(f"DROP INDEX {name}")
    counts = {"tickets": 0, "events": 0, "ticket_cc": 0, "ticket_steps": 0}
    chunks = [(first, min(CHUNK, total - first + 1), seed, first <= 5 * CHUNK)
              for first in range(1, total + 1, CHUNK)]
    started = time.perf_counter()
    pool, pending, todo = None, deque(), iter(chunks)
    if jobs > 1 and len(chunks) > 1:
        import multiprocessing

        pool = multiprocessing.get_context("fork").Pool(jobs)
        # at most 2 chunks per worker in flight, so memory stays flat
        for args in itertools.islice(todo, 2 * jobs):
            pending.append(pool.apply_async(gen_chunk, args))
    try:
        waited = 0.0
        for n in range(1, len(chunks) + 1):
            mark = time.perf_counter()
            if pool:
                rows = pending.popleft().get()
                args = next(todo, None)
                if args:
                    pending.append(pool.apply_async(gen_chunk, args))
            else:
                rows = gen_chunk(*next(todo))
            waited += time.perf_counter() - mark
            conn.execute("BEGIN")
            for sql, batch in zip(INSERTS, rows, strict=True):
                conn.executemany(sql, batch)
            conn.execute("COMMIT")
            counts["tickets"] += len(rows[0])
            counts["events"] += len(rows[1])
            counts["ticket_cc"] += len(rows[2])
            counts["ticket_steps"] += len(rows[3])
            if n % 10 == 0 or n == len(chunks):
                rate = counts["tickets"] / (time.perf_counter() - started)
                log(f"  {counts['tickets']:,} tickets ({rate:,.0f}/s; "
                    f"{waited:.1f} s waiting for rows)")
    finally:
        if pool:
            pool.terminate()
            pool.join()
    loaded = time.perf_counter()
    for _name, sql in indexes:
        conn.execute(sql)
    indexed = time.perf_counter()
    log(f"  rows {loaded - started:.1f} s, indexes {indexed - loaded:.1f} s")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path, help="the desk file to create")
    parser.add_argument("--tickets", type=int, default=1_000_000,
                        help="how many tickets (default 1,000,000; 0 for people and types only)")
    parser.add_argument("--customers", type=int, default=N_CUSTOMERS,
                        help=f"how many customers (default {N_CUSTOMERS:,})")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--now", default=DEFAULT_NOW,
                        help=f"the desk's 'now': tickets span the two years before it "
                             f"(default {DEFAULT_NOW})")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="processes generating rows (default: up to 2)")
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    parser.add_argument("--deskcli", help="command that runs deskcli (default: the deskcli "
                                          "beside this Python)")
    args = parser.parse_args(argv)

    path = args.path
    if path.exists():
        if not args.force:
            sys.exit(f"{path} exists; add --force to replace it")
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    now = parse_stamp(args.now)

    t0 = time.perf_counter()
    setup_desk(path, seed=args.seed, now=now, customers=args.customers, deskcli=args.deskcli)
    t1 = time.perf_counter()
    print(f"people, {args.customers:,} customers and {len(TYPES)} types: {t1 - t0:.1f} s",
          file=sys.stderr)
    counts = {}
    if args.tickets:
        counts = add_tickets(path, args.tickets, seed=args.seed, now=now, jobs=args.jobs,
                             log=lambda m: print(m, file=sys.stderr))
    conn = sqlite3.connect(path)
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('bench.seed', ?)",
                 (json.dumps({"tickets": args.tickets, "customers": args.customers,
                              "seed": args.seed, "now": args.now}),))
    conn.commit()
    statuses = dict(conn.execute("SELECT status, count(*) FROM tickets GROUP BY status"))
    conn.close()
    t2 = time.perf_counter()
    size = path.stat().st_size / 2**20
    summary = {"path": str(path), "seconds": round(t2 - t0, 1),
               "setup_seconds": round(t1 - t0, 1), "tickets_seconds": round(t2 - t1, 1),
               "size_mib": round(size), **counts, "statuses": statuses}
    print(json.dumps(summary, ensure_ascii=False))
    print(f"seeded {path} in {t2 - t0:.1f} s ({size:,.0f} MiB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
