#!/usr/bin/env python3
"""Time deskcli commands as whole processes, against a seeded desk.

    python bench/startup.py --db /tmp/bench/desk-1m.db --runs 21 --venv /tmp/bench-venv

Every command runs as a new process from a NON-editable install (the venv given with
--venv, made with `python -m venv` + `pip install .`, so its modules are compiled like a
user's). Commands are run round-robin (one run of each, then the next round), so drift in
the machine's speed hits all of them alike; one untimed round first checks that every
command succeeds and warms the page cache. Reported: median and p90 wall time in ms, and
the median's ratio to the baseline `python -c "import sqlite3"` of the same interpreter.
Target: every command within 4x of the baseline. The child's CPU time (user + system,
from wait4) is reported too: on a shared, busy machine it is steadier than wall time.

To add a command, add a (name, argv) or (name, argv, options) entry to COMMANDS.
Placeholders:
  {python} {deskcli}  the venv's interpreter and console script
  {ticket}            a ticket in the middle of the desk      {agent}  the busiest agent
  {customer}          a customer key in the middle            {run}    the run number
  {copy}              a copy of the desk, for commands that write (use `--db {copy}`)
  {colleague}         an active agent of the agent's department
  {admin}             an admin login                          {cc_head} the head of the
                                                              department CC'd most
  {remind_now}        the seed's "now" (meta bench.seed), or the start of this run
  {attach_file}       a small text file
  {POOL_ticket}       per run, a distinct ticket of the pool POOL (see POOLS): e.g.
                      {accept_ticket} is assigned to the agent, {resolve_ticket} is in
                      progress with the agent as owner and a complete checklist;
                      {check_step} is the first open checklist step of {check_ticket}
Options: "env" (extra environment, placeholders allowed), "pool" (the pool whose tickets
the command changes: after the runs, the copy is checked for the change, see VERIFY),
"expect" (a function of (run, stdout) returning an error or None; stdout is captured only
for such commands), and "settle" (in the untimed round, run the command again, up to this
many times, until `expect` accepts its output as that of a timed run: `remind run`
escalates one level per run, so a desk whose tickets were nudged often may need a second
run at the same moment before nothing is due).
The environment has DESKCLI_DB (the desk) and DESKCLI_USER (the busiest agent; --user
changes it). Write commands run on one copy of the desk, made when the script starts; the
tickets of the "resolve" pool get their open checklist steps ticked on that copy first, and
the queue tickets of the "approve" and "reject" pools become requests for the agent's
approval (the seeded types have no approver).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = "baseline: python -c \"import sqlite3\""
TARGET_RATIO = 4.0


def _remind_expect(run: int, stdout: bytes) -> str | None:
    """The untimed round does the real first run (nudges everything overdue); the timed
    runs, at the same DESKCLI_NOW, must find nothing to do."""
    summary = json.loads(stdout)
    done = {k: summary[k] for k in ("nudged", "escalated", "closed", "opened")}
    if run == 0:
        print(f"remind run (untimed, at {summary['at']}): "
              + ", ".join(f"{k} {v:,}" for k, v in done.items()), file=sys.stderr)
        return None
    if any(done.values()) or summary["errors"]:
        return f"remind run {run} was not idle: {done}, errors {summary['errors']}"
    return None


COPY = ["{deskcli}", "--db", "{copy}"]
COMMANDS: list[tuple] = [
    (BASELINE, ["{python}", "-c", "import sqlite3"]),
    ("deskcli --help", ["{deskcli}", "--help"]),
    ("ticket show {ticket}", ["{deskcli}", "ticket", "show", "{ticket}"]),
    ("ticket list --status in_progress --assignee {agent} --limit 50",
     ["{deskcli}", "ticket", "list", "--status", "in_progress", "--assignee", "{agent}",
      "--limit", "50"]),
    ("ticket list --status open --limit 50",
     ["{deskcli}", "ticket", "list", "--status", "open", "--limit", "50"]),
    ("ticket list --search 登录 --limit 50",
     ["{deskcli}", "ticket", "list", "--search", "登录", "--limit", "50"]),
    ("ticket open --type app-crash ... (on a copy)",
     [*COPY, "ticket", "open", "--type", "app-crash",
      "--title", "Bench run {run}: App 闪退 on login", "-m",
      "家长说孩子上课时 App 闪退，重装后仍然如此。The app closes when the lesson starts.",
      "--customer", "{customer}", "--field", "phone_model=iPhone 15", "--field", "os=iOS",
      "--field", "app_version=3.2.1", "--source", "phone"]),
    ("whoami", ["{deskcli}", "whoami"]),
    # the actions, each on a distinct ticket per run, on the copy, as the agent
    ("ticket accept ID (assigned to the agent)",
     [*COPY, "ticket", "accept", "{accept_ticket}"], {"pool": "accept"}),
    ("ticket note ID -m ...", [*COPY, "ticket", "note", "{note_ticket}", "-m",
                               "Bench note {run}: 已联系校区，等待回复。"], {"pool": "note"}),
    ("ticket reply ID -m ...", [*COPY, "ticket", "reply", "{reply_ticket}", "-m",
                                "Bench reply {run}: 您好，已为您安排，请留意短信通知。"],
     {"pool": "reply"}),
    ("ticket transfer ID --to {colleague}",
     [*COPY, "ticket", "transfer", "{transfer_ticket}", "--to", "{colleague}", "-m",
      "Bench transfer {run}"], {"pool": "transfer"}),
    ("ticket nudge ID", [*COPY, "ticket", "nudge", "{nudge_ticket}", "-m", "Bench nudge {run}"],
     {"pool": "nudge"}),
    ("ticket tag ID +bench", [*COPY, "ticket", "tag", "{tag_ticket}", "+bench"],
     {"pool": "tag"}),
    ("ticket set ID --priority urgent",
     [*COPY, "ticket", "set", "{set_ticket}", "--priority", "urgent"], {"pool": "set"}),
    ("ticket cc ID --add {colleague}",
     [*COPY, "ticket", "cc", "{cc_ticket}", "--add", "{colleague}"], {"pool": "cc"}),
    ("ticket log ID 30m", [*COPY, "ticket", "log", "{log_ticket}", "30m", "-m",
                           "Bench log {run}"], {"pool": "log"}),
    ("ticket check ID STEP", [*COPY, "ticket", "check", "{check_ticket}", "{check_step}"],
     {"pool": "check"}),
    ("ticket resolve ID -m ...", [*COPY, "ticket", "resolve", "{resolve_ticket}", "-m",
                                  "Bench resolve {run}: 已完成"], {"pool": "resolve"}),
    ("ticket close ID", [*COPY, "ticket", "close", "{close_ticket}"], {"pool": "close"}),
    ("ticket reopen ID -m ... (closed, the agent owned it)",
     [*COPY, "ticket", "reopen", "{reopen_ticket}", "-m", "Bench reopen {run}: 家长反馈问题仍在"],
     {"pool": "reopen"}),
    ("ticket assign ID --to {agent} (--as {admin}, a queue ticket)",
     [*COPY, "--as", "{admin}", "ticket", "assign", "{assign_ticket}", "--to", "{agent}"],
     {"pool": "assign"}),
    ("ticket attach ID FILE (2 KiB)",
     [*COPY, "ticket", "attach", "{attach_ticket}", "{attach_file}"], {"pool": "attach"}),
    ("ticket attachment ID NAME -o - (the file attached just before)",
     [*COPY, "ticket", "attachment", "{attach_ticket}", "bench-attach.txt", "-o", "-"]),
    ("ticket decline ID -m ... (assigned to the agent)",
     [*COPY, "ticket", "decline", "{decline_ticket}", "-m", "Bench decline {run}: 不是我的校区"],
     {"pool": "decline"}),
    ("ticket approve ID (the agent is the approver)",
     [*COPY, "ticket", "approve", "{approve_ticket}"], {"pool": "approve"}),
    ("ticket reject ID -m ... (the agent is the approver)",
     [*COPY, "ticket", "reject", "{reject_ticket}", "-m", "Bench reject {run}: 不符合规定"],
     {"pool": "reject"}),
    ("ticket link ID --relates OTHER",
     [*COPY, "ticket", "link", "{link_ticket}", "--relates", "{ticket}"], {"pool": "link"}),
    ("ticket merge ID --into OTHER (both the agent's)",
     [*COPY, "ticket", "merge", "{merge_ticket}", "--into", "{survivor_ticket}"],
     {"pool": "merge"}),
    ("ticket rate ID 5 -m ... (--as {admin}, a resolved ticket)",
     [*COPY, "--as", "{admin}", "ticket", "rate", "{rate_ticket}", "5", "-m",
      "Bench rate {run}: 家长很满意"], {"pool": "rate"}),
    ("queue list", ["{deskcli}", "queue", "list"]),
    ("cc list", ["{deskcli}", "cc", "list"]),
    ("cc list (--as {cc_head}, head of the department CC'd most)",
     ["{deskcli}", "--as", "{cc_head}", "cc", "list"]),
    ("dashboard", ["{deskcli}", "dashboard"]),
    ("remind run, nothing due (--as {admin}, on the copy)",
     [*COPY, "--as", "{admin}", "remind", "run", "--json"],
     {"env": {"DESKCLI_NOW": "{remind_now}"}, "expect": _remind_expect, "settle": 5}),
]

# Pools of tickets for the actions: (name, where, order). In-progress tickets with the agent
# as owner and handler are shared out among several pools, each ticket to one pool. Tickets
# of types without a nudge or escalation policy come first, so that the actions cannot make
# anything due for the idle `remind run`.
WORKING_POOLS = ("check", "resolve", "set", "note", "reply", "transfer", "nudge", "tag", "cc",
                 "log", "close", "attach", "link", "merge", "survivor")
# what each pool's tickets must look like on the copy afterwards (t: the ticket)
VERIFY = {
    "accept": "t.status = 'in_progress' AND t.owner_id = :agent_id",
    "note": "EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = t.id AND e.kind = 'note' "
            "AND e.message LIKE 'Bench note%')",
    "reply": "EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = t.id AND e.kind = 'reply' "
             "AND e.message LIKE 'Bench reply%')",
    "transfer": "t.handler_id = :colleague_id",
    "nudge": "t.last_nudged_at >= :started AND EXISTS (SELECT 1 FROM events e WHERE "
             "e.ticket_id = t.id AND e.kind = 'nudged' AND e.message LIKE 'Bench nudge%')",
    "tag": "EXISTS (SELECT 1 FROM ticket_tags g WHERE g.ticket_id = t.id AND g.tag = 'bench')",
    "set": "t.priority = 'urgent'",
    "cc": "EXISTS (SELECT 1 FROM ticket_cc c WHERE c.ticket_id = t.id "
          "AND c.user_id = :colleague_id)",
    "log": "EXISTS (SELECT 1 FROM time_logs l WHERE l.ticket_id = t.id AND l.seconds = 1800 "
           "AND l.user_id = :agent_id)",
    "check": "EXISTS (SELECT 1 FROM ticket_steps s WHERE s.ticket_id = t.id "
             "AND s.done_at >= :started AND s.done_by_id = :agent_id)",
    "resolve": "t.status = 'resolved' AND t.resolution LIKE 'Bench resolve%'",
    "close": "t.status = 'closed'",
    "reopen": "t.status = 'in_progress' AND t.resolve_due_at > :started",
    "assign": "t.status = 'assigned' AND t.assignee_id = :agent_id",
    "attach": "EXISTS (SELECT 1 FROM attachments a WHERE a.ticket_id = t.id "
              "AND a.name = 'bench-attach.txt')",
    "decline": "t.status = 'new' AND t.assignee_id IS NULL AND EXISTS (SELECT 1 FROM events e "
               "WHERE e.ticket_id = t.id AND e.kind = 'declined' "
               "AND e.message LIKE '%Bench decline%')",
    "approve": "t.status NOT IN ('awaiting_approval', 'closed')",
    "reject": "t.status = 'closed' AND EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = t.id "
              "AND e.kind = 'rejected' AND e.message LIKE 'Bench reject%')",
    "link": "EXISTS (SELECT 1 FROM ticket_links l WHERE l.ticket_id = t.id "
            "OR l.other_id = t.id)",
    "merge": "t.status = 'closed' AND t.merged_into IS NOT NULL",
    "rate": "EXISTS (SELECT 1 FROM ratings r WHERE r.ticket_id = t.id AND r.score = 5)",
}


def desk_facts(db: Path) -> dict:
    """Placeholders read from the desk: a middle ticket, the busiest agent, a customer."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        top = conn.execute("SELECT max(id), count(*) FROM tickets").fetchone()
        agent = conn.execute(
            "SELECT u.login, count(*) AS n FROM tickets t JOIN users u ON u.id = t.assignee_id "
            "WHERE t.status = 'in_progress' AND u.active GROUP BY u.login "
            "ORDER BY n DESC, u.login LIMIT 1").fetchone()
        customers = conn.execute("SELECT count(*) FROM customers").fetchone()[0]
        customer = conn.execute("SELECT key FROM customers ORDER BY id LIMIT 1 OFFSET ?",
                                (customers // 2,)).fetchone()
        return {"ticket": str(max(1, (top[0] or 2) // 2)), "tickets": top[1],
                "agent": agent[0] if agent else "admin",
                "agent_in_progress": agent[1] if agent else 0,
                "customer": customer[0] if customer else "",
                "sqlite": sqlite3.sqlite_version}
    finally:
        conn.close()


def desk_pools(db: Path, agent: str, size: int,
               needed: set[str]) -> tuple[dict, dict[str, list[int]]]:
    """People for the actions (a colleague of the agent, an admin, the head of the
    department CC'd most, the seed's "now") and `size` distinct tickets per pool, read
    from the desk (the copy starts identical). Exits when a needed pool is short."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        me = conn.execute("SELECT id, dept_id FROM users WHERE login = ?", (agent,)).fetchone()
        if me is None:
            sys.exit(f"no user {agent} on the desk")
        colleague = conn.execute(
            "SELECT id, login FROM users WHERE kind = 'staff' AND active AND dept_id = ? "
            "AND id <> ? ORDER BY role <> 'agent', login LIMIT 1",
            (me["dept_id"], me["id"])).fetchone()
        admin = conn.execute("SELECT login FROM users WHERE kind = 'staff' AND active "
                             "AND role = 'admin' ORDER BY id LIMIT 1").fetchone()
        cc_head = conn.execute(
            "SELECT u.login FROM ticket_cc c JOIN departments d ON d.id = c.dept_id "
            "JOIN users u ON u.id = d.head_id WHERE u.active GROUP BY c.dept_id "
            "ORDER BY count(*) DESC LIMIT 1").fetchone()
        seed = conn.execute("SELECT value FROM meta WHERE key = 'bench.seed'").fetchone()
        if colleague is None or admin is None:
            sys.exit(f"the desk needs an admin and a colleague of {agent}")
        people = {"agent_id": me["id"], "colleague": colleague["login"],
                  "colleague_id": colleague["id"], "admin": admin["login"],
                  "cc_head": cc_head["login"] if cc_head else admin["login"],
                  "remind_now": json.loads(seed[0])["now"] if seed else
                  time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        required = {}
        for row in conn.execute("SELECT type_id, name FROM type_fields WHERE required"):
            required.setdefault(row["type_id"], []).append(row["name"])
        quiet = "(SELECT ty.nudge_every IS NULL AND ty.escalate_after IS NULL " \
                "FROM ticket_types ty WHERE ty.id = t.type_id) DESC, t.id DESC"

        def ids(where: str, *params) -> list[int]:
            return [r[0] for r in conn.execute(
                f"SELECT t.id FROM tickets t WHERE {where} ORDER BY {quiet}", params)]

        assigned = ids("t.status = 'assigned' AND t.assignee_id = ?", me["id"])
        queued = ids("t.status = 'new' AND t.assignee_id IS NULL AND t.owner_id IS NULL")
        pools = {"accept": assigned[:size], "decline": assigned[size:2 * size],
                 # queue tickets the copy turns into approval requests to the agent
                 "approve": queued[size:2 * size], "reject": queued[2 * size:3 * size],
                 "rate": ids("t.status = 'resolved' AND t.merged_into IS NULL"),
                 "reopen": ids("t.status = 'closed' AND t.owner_id = ? "
                               "AND t.merged_into IS NULL", me["id"]),
                 "assign": queued[:size]}
        working = conn.execute(
            f"SELECT t.id, t.type_id, t.priority, t.fields FROM tickets t WHERE "
            f"t.status = 'in_progress' AND t.owner_id = ? AND t.handler_id = ? "
            f"ORDER BY {quiet}", (me["id"], me["id"])).fetchall()
        open_step = dict(conn.execute(
            "SELECT s.ticket_id, min(s.position) FROM ticket_steps s JOIN tickets t "
            "ON t.id = s.ticket_id WHERE t.status = 'in_progress' AND t.owner_id = ? "
            "AND s.done_at IS NULL GROUP BY s.ticket_id", (me["id"],)).fetchall())

        def filled(row) -> bool:
            values = json.loads(row["fields"])
            return all(values.get(name) not in (None, "") for name in required.get(
                row["type_id"], []))

        wanted = {"check": lambda r: r["id"] in open_step, "resolve": filled,
                  "set": lambda r: r["priority"] != "urgent"}
        used: set[int] = set()
        for name in WORKING_POOLS:
            fits = wanted.get(name, lambda r: True)
            pools[name] = [r["id"] for r in working if r["id"] not in used and fits(r)][:size]
            used.update(pools[name])
        pools["check_step"] = [open_step[i] for i in pools["check"]]
        short = {k: len(v) for k, v in pools.items() if k in needed and len(v) < size}
        if short:
            sys.exit(f"not enough tickets for {size} runs of the actions (agent {agent}): "
                     f"{short}")
        return people, {k: v[:size] for k, v in pools.items()}
    finally:
        conn.close()


def prepare_copy(copy: Path, pools: dict[str, list[int]], agent_id: int, at: str) -> None:
    """Tick the open checklist steps of the "resolve" pool, so `ticket resolve` works, and
    make the queue tickets of the "approve" and "reject" pools requests for the agent's
    approval (the seeded types have no approver)."""
    conn = sqlite3.connect(copy)
    try:
        with conn:
            marks = ",".join("?" * len(pools["resolve"]))
            conn.execute(f"UPDATE ticket_steps SET done_at = ?, done_by_id = ? WHERE "
                         f"done_at IS NULL AND ticket_id IN ({marks})",
                         (at, agent_id, *pools["resolve"]))
            approval = pools.get("approve", []) + pools.get("reject", [])
            marks = ",".join("?" * len(approval))
            conn.execute(f"UPDATE tickets SET status = 'awaiting_approval', approver_id = ?, "
                         f"accept_due_at = NULL WHERE id IN ({marks})", (agent_id, *approval))
    finally:
        conn.close()


def verify_copy(copy: Path, pools: dict[str, list[int]], ran: set[str], params: dict) -> list:
    """Check that each action changed its tickets on the copy; returns the failures."""
    conn = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    failures = []
    try:
        for name in sorted(ran):
            named = {f"p{i}": v for i, v in enumerate(pools[name])}
            sql = (f"SELECT t.id FROM tickets t WHERE t.id IN "
                   f"({','.join(':' + k for k in named)}) "
                   f"AND NOT coalesce(({VERIFY[name]}), 0)")
            wrong = [r[0] for r in conn.execute(sql, {**params, **named})]
            if wrong:
                failures.append(f"{name}: {len(wrong)} of {len(pools[name])} tickets not "
                                f"changed, e.g. #{wrong[0]}")
    finally:
        conn.close()
    return failures


def copy_desk(db: Path, target: Path) -> None:
    """A consistent copy (the backup API, so a -wal file is included)."""
    src = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=65536)
    finally:
        dst.close()
        src.close()


def fill(argv: list[str], values: dict) -> list[str]:
    return [a.format(**values) for a in argv]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def run_once(argv: list[str], env: dict, out=None) -> tuple[float, float, int, bytes]:
    """Wall ms, CPU ms (user + system, from wait4: this child only), exit code, stderr.
    stdout goes to `out` (a file) when given, else to /dev/null."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                 stdout=out or subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = (time.perf_counter() - start) * 1000
        child.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        return (wall, (usage.ru_utime + usage.ru_stime) * 1000, child.returncode, err.read())


def machine() -> dict:
    return {"date": time.strftime("%Y-%m-%d"), "nproc": os.cpu_count(),
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "platform": platform.platform()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True, help="a desk made by bench/seed.py")
    parser.add_argument("--runs", type=int, default=21, help="timed runs of each (default 21)")
    parser.add_argument("--venv", type=Path, default=Path("/tmp/bench-venv"),
                        help="venv with deskcli installed non-editable (default /tmp/bench-venv)")
    parser.add_argument("--user", help="DESKCLI_USER (default: the busiest agent)")
    parser.add_argument("--only", action="append", default=[],
                        help="run only commands whose name contains this (repeatable; the "
                             "baseline always runs)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)

    db = args.db.resolve()
    if not db.exists():
        sys.exit(f"no desk at {db}; make one with bench/seed.py")
    python, deskcli = args.venv / "bin" / "python", args.venv / "bin" / "deskcli"
    if not deskcli.exists():
        sys.exit(f"no deskcli in {args.venv}: python3 -m venv {args.venv} && "
                 f"{args.venv}/bin/pip install /path/to/deskcli")
    facts = desk_facts(db)
    user = args.user or facts["agent"]
    commands = [(c[0], c[1], c[2] if len(c) > 2 else {}) for c in COMMANDS
                if c[0] == BASELINE or not args.only or any(o in c[0] for o in args.only)]
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    ran = {opts["pool"] for _, _, opts in commands if "pool" in opts}
    people, pools = desk_pools(db, user, args.runs + 1, ran)
    workdir = Path(tempfile.mkdtemp(prefix="deskcli-startup-", dir=db.parent))
    copy = workdir / "copy.db"
    attach_file = workdir / "bench-attach.txt"
    attach_file.write_text("2026-11-28 09:00:01 lesson player: crash on start (闪退)\n" * 36,
                           encoding="utf-8")
    if any("{copy}" in a for _, argv_, _ in commands for a in argv_):
        print(f"copying the desk for write commands ({db.stat().st_size / 2**20:,.0f} MiB) ...",
              file=sys.stderr)
        copy_desk(db, copy)
        prepare_copy(copy, pools, people["agent_id"], started)
    values = {**facts, **people, "python": str(python), "deskcli": str(deskcli),
              "copy": str(copy), "attach_file": str(attach_file)}
    env = {**os.environ, "DESKCLI_DB": str(db), "DESKCLI_USER": user}
    for key in ("DESKCLI_NOW", "DESKCLI_DEBUG"):
        env.pop(key, None)

    times: dict[str, list[float]] = {name: [] for name, _, _ in commands}
    cpu: dict[str, list[float]] = {name: [] for name, _, _ in commands}
    load_before = os.getloadavg()[0]
    try:
        for run in range(args.runs + 1):  # round 0: check and warm up, not timed
            current = {**values, "run": run,
                       **{(k if k == "check_step" else f"{k}_ticket"):
                          v[run] if run < len(v) else "" for k, v in pools.items()}}
            for name, argv_, opts in commands:
                env_ = {**env, **{k: v.format(**current)
                                  for k, v in opts.get("env", {}).items()}}
                tries = 1 + (opts.get("settle", 0) if run == 0 else 0)
                for attempt in range(tries):
                    with tempfile.TemporaryFile() as out:
                        wall, used, code, err = run_once(
                            fill(argv_, current), env_, out if "expect" in opts else None)
                        out.seek(0)
                        stdout = out.read()
                    problem = (f"failed ({code}):\n{err.decode(errors='replace').strip()}"
                               if code != 0 else
                               opts["expect"](run, stdout) if "expect" in opts else None)
                    if problem or attempt + 1 == tries or opts["expect"](1, stdout) is None:
                        break
                    print(f"{name.format(**values)}: not idle yet at the same moment, "
                          "running it again (untimed)", file=sys.stderr)
                if problem:
                    sys.exit(f"{name.format(**values)} (run {run}) {problem}")
                if run:
                    times[name].append(wall)
                    cpu[name].append(used)
            if run:
                print(f"\rround {run}/{args.runs}", end="", file=sys.stderr)
        print(file=sys.stderr)
        failures = verify_copy(copy, pools, ran, {**people, "started": started}) if ran else []
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if failures:
        sys.exit("commands succeeded but did not change the copy as expected:\n  "
                 + "\n  ".join(failures))
    if ran:
        print(f"checked on the copy: each of {len(ran)} actions changed its "
              f"{args.runs + 1} tickets", file=sys.stderr)
    load_after = os.getloadavg()[0]

    base = statistics.median(times[BASELINE])
    base_cpu = statistics.median(cpu[BASELINE])
    rows = []
    for name, _, _ in commands:
        median = statistics.median(times[name])
        median_cpu = statistics.median(cpu[name])
        rows.append({"command": name.format(**values), "median_ms": round(median, 1),
                     "p90_ms": round(percentile(times[name], 0.9), 1),
                     "ratio": round(median / base, 2), "cpu_ms": round(median_cpu, 1),
                     "cpu_ratio": round(median_cpu / base_cpu, 2),
                     "ok": name == BASELINE or median / base <= TARGET_RATIO})
    info = machine()
    info["loadavg"] = [round(load_before, 2), round(load_after, 2)]
    print(f"\n{info['date']} · {info['nproc']} cores · Python {info['python']} · SQLite "
          f"{info['sqlite']} · load average {load_before:.1f} → {load_after:.1f} · desk "
          f"{db.name}: {facts['tickets']:,} tickets · {args.runs} runs each, round-robin · "
          f"DESKCLI_USER={user} ({facts['agent_in_progress']:,} in progress)\n")
    print(f"| command | median ms | p90 ms | × baseline | CPU ms | CPU × baseline "
          f"| ≤ {TARGET_RATIO:g}× |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in rows:
        verdict = "" if r["command"].startswith("baseline") else ("yes" if r["ok"] else "**NO**")
        print(f"| `{r['command']}` | {r['median_ms']:.1f} | {r['p90_ms']:.1f} | "
              f"{r['ratio']:.2f} | {r['cpu_ms']:.0f} | {r['cpu_ratio']:.2f} | {verdict} |")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "desk": str(db), "facts": facts,
                                         "people": people, "runs": args.runs,
                                         "results": rows}, indent=2,
                                        ensure_ascii=False) + "\n")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
