#!/usr/bin/env python3
"""Time `deskcli remind run` on a large desk: 10,000 tickets due at once, then nothing due.

    python bench/remind.py --db /tmp/bench/desk-1m.db --venv /tmp/bench-venv

On a copy of the desk (made with the backup API; removed afterwards unless --keep), at a
fixed moment (DESKCLI_NOW: the seed's "now" from meta bench.seed, or --now):

1. catch up: `remind run` until it has nothing left to do at that moment (a seeded desk
   has tens of thousands of overdue tickets nobody reminded; untimed);
2. make --due tickets due: assigned (accept clock) or in-progress (resolve clock) tickets
   of types with a nudge policy get a due time in the hour before the moment, their nudges,
   escalations and last nudge reset (one SQL transaction);
3. time `remind run --json` as a whole process: wall time, CPU time and the child's peak
   RSS (wait4); it must nudge exactly those tickets and escalate none;
4. time `remind run --json` again at the same moment, --idle-runs times, interleaved with
   the baseline `python -c "import sqlite3"`: it must do nothing.

Targets: the due run under 10 s and 200 MiB; the idle run within 4x of the baseline
(median). Exits 1 when a target is missed, or with a message when a run fails or does
the wrong thing.
"""

from __future__ import annotations

import argparse
import calendar
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from startup import BASELINE, TARGET_RATIO, copy_desk, machine  # noqa: E402

TARGET_SECONDS = 10.0
TARGET_MIB = 200.0


def run_child(argv: list[str], env: dict) -> dict:
    """Run a process; wall and CPU seconds, peak RSS (MiB, wait4), exit code, output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                "rss_mib": usage.ru_maxrss / 1024, "code": os.waitstatus_to_exitcode(status),
                "stdout": out.read(), "stderr": err.read().decode(errors="replace")}


def remind(deskcli: Path, copy: Path, admin: str, env: dict) -> tuple[dict, dict]:
    """One `remind run --json`: (the measures, the summary); exits on a failure."""
    result = run_child([str(deskcli), "--db", str(copy), "--as", admin, "remind", "run",
                        "--json"], env)
    if result["code"] != 0:
        sys.exit(f"remind run failed ({result['code']}):\n{result['stderr'].strip()}")
    summary = json.loads(result["stdout"])
    if summary["errors"]:
        sys.exit(f"remind run reported errors: {summary['errors'][:5]}")
    return result, summary


def counts(summary: dict) -> dict:
    return {k: summary[k] for k in ("nudged", "escalated", "closed", "opened")}


def make_due(copy: Path, now: str, due: int) -> list[int]:
    """Give `due` open tickets of types with a nudge policy a due time in the hour before
    `now`, with nudges, escalations and the last nudge reset; returns their ids."""
    conn = sqlite3.connect(copy, isolation_level=None)
    try:
        rows = conn.execute(
            "SELECT t.id, t.status FROM tickets t JOIN ticket_types ty ON ty.id = t.type_id "
            "WHERE ty.nudge_every IS NOT NULL AND ((t.status = 'assigned' AND "
            "t.assignee_id IS NOT NULL) OR (t.status = 'in_progress' AND "
            "t.handler_id IS NOT NULL)) ORDER BY t.id DESC LIMIT ?", (due,)).fetchall()
        if len(rows) < due:
            sys.exit(f"only {len(rows):,} assigned or in-progress tickets of types with a "
                     f"nudge policy; --due {due:,} needs more")
        moment = calendar.timegm(time.strptime(now, "%Y-%m-%dT%H:%M:%SZ"))
        conn.execute("BEGIN IMMEDIATE")
        for n, (ticket_id, status) in enumerate(rows):
            at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment - 60 - n % 3540))
            column = "accept_due_at" if status == "assigned" else "resolve_due_at"
            conn.execute(f"UPDATE tickets SET {column} = ?, nudges = 0, escalations = 0, "
                         f"last_nudged_at = NULL WHERE id = ?", (at, ticket_id))
        conn.execute("COMMIT")
        return [r[0] for r in rows]
    finally:
        conn.close()


def nudged_at(copy: Path, ids: list[int], now: str) -> int:
    """How many of `ids` carry exactly one nudge, made at `now`."""
    conn = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    try:
        conn.execute("CREATE TEMP TABLE due (id INTEGER PRIMARY KEY)")
        conn.executemany("INSERT INTO due VALUES (?)", [(i,) for i in ids])
        return conn.execute("SELECT count(*) FROM tickets t JOIN due ON due.id = t.id "
                            "WHERE t.nudges = 1 AND t.last_nudged_at = ?", (now,)).fetchone()[0]
    finally:
        conn.close()


def outbox_size(copy: Path) -> int:
    conn = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
    finally:
        conn.close()


def seed_now(db: Path) -> str | None:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'bench.seed'").fetchone()
        return json.loads(row[0])["now"] if row else None
    finally:
        conn.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True, help="a desk made by bench/seed.py")
    parser.add_argument("--venv", type=Path, default=Path("/tmp/bench-venv"),
                        help="venv with deskcli installed non-editable (default /tmp/bench-venv)")
    parser.add_argument("--due", type=int, default=10_000,
                        help="tickets made due (default 10,000)")
    parser.add_argument("--now", help="the moment (default: the seed's now)")
    parser.add_argument("--idle-runs", type=int, default=11,
                        help="timed runs with nothing due (default 11)")
    parser.add_argument("--admin", default="admin", help="who runs the reminders")
    parser.add_argument("--keep", action="store_true", help="keep the copy of the desk")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)

    db = args.db.resolve()
    if not db.exists():
        sys.exit(f"no desk at {db}; make one with bench/seed.py")
    python, deskcli = args.venv / "bin" / "python", args.venv / "bin" / "deskcli"
    if not deskcli.exists():
        sys.exit(f"no deskcli in {args.venv}")
    now = args.now or seed_now(db) or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    env = {**os.environ, "DESKCLI_NOW": now}
    env.pop("DESKCLI_DEBUG", None)
    workdir = Path(tempfile.mkdtemp(prefix="deskcli-remind-", dir=db.parent))
    copy = workdir / "remind.db"
    load_before = os.getloadavg()[0]
    try:
        print(f"copying the desk ({db.stat().st_size / 2**20:,.0f} MiB) ...", file=sys.stderr)
        copy_desk(db, copy)
        for attempt in range(1, 6):
            result, summary = remind(deskcli, copy, args.admin, env)
            print(f"catching up at {now} (untimed), run {attempt}: {counts(summary)} in "
                  f"{result['wall']:.1f} s", file=sys.stderr)
            if not any(counts(summary).values()):
                break
        else:
            sys.exit("remind run still finds work after 5 runs at the same moment")
        ids = make_due(copy, now, args.due)
        notices_before = outbox_size(copy)

        due_run, summary = remind(deskcli, copy, args.admin, env)
        if counts(summary) != {"nudged": args.due, "escalated": 0, "closed": 0, "opened": 0}:
            sys.exit(f"the due run did {counts(summary)}, expected {args.due:,} nudges only")
        changed = nudged_at(copy, ids, now)
        if changed != args.due:
            sys.exit(f"only {changed:,} of the {args.due:,} due tickets were nudged at {now}")
        notices = outbox_size(copy) - notices_before

        idle, base, idle_cpu, idle_rss = [], [], [], []
        for _ in range(args.idle_runs):
            baseline = run_child([str(python), "-c", "import sqlite3"], env)
            base.append(baseline["wall"] * 1000)
            result, summary = remind(deskcli, copy, args.admin, env)
            if any(counts(summary).values()):
                sys.exit(f"the run with nothing due did {counts(summary)}")
            idle.append(result["wall"] * 1000)
            idle_cpu.append(result["cpu"] * 1000)
            idle_rss.append(result["rss_mib"])
    finally:
        if args.keep:
            print(f"kept {copy}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    load_after = os.getloadavg()[0]

    base_ms, idle_ms = statistics.median(base), statistics.median(idle)
    ratio = idle_ms / base_ms
    ok = {"due_seconds": due_run["wall"] < TARGET_SECONDS,
          "due_mib": due_run["rss_mib"] < TARGET_MIB, "idle_ratio": ratio <= TARGET_RATIO}
    info = machine()
    info["loadavg"] = [round(load_before, 2), round(load_after, 2)]
    print(f"\n{info['date']} · {info['nproc']} cores · Python {info['python']} · SQLite "
          f"{info['sqlite']} · load average {load_before:.1f} → {load_after:.1f} · desk "
          f"{db.name} · DESKCLI_NOW={now}\n")
    print("| run | wall | CPU | peak RSS MiB | target | met |")
    print("|---|---:|---:|---:|---|---|")
    print(f"| {args.due:,} due: nudged {args.due:,}, {notices:,} notices queued | "
          f"{due_run['wall']:.2f} s | {due_run['cpu']:.2f} s | {due_run['rss_mib']:.0f} | "
          f"< {TARGET_SECONDS:g} s, < {TARGET_MIB:g} MiB | "
          f"{'yes' if ok['due_seconds'] and ok['due_mib'] else '**NO**'} |")
    print(f"| nothing due (median of {args.idle_runs}) | {idle_ms:.1f} ms | "
          f"{statistics.median(idle_cpu):.0f} ms | {statistics.median(idle_rss):.0f} | "
          f"≤ {TARGET_RATIO:g}× baseline: {ratio:.2f}× | "
          f"{'yes' if ok['idle_ratio'] else '**NO**'} |")
    print(f"| {BASELINE} (median) | {base_ms:.1f} ms | | | | |")
    if args.json:
        args.json.write_text(json.dumps({
            "machine": info, "desk": str(db), "now": now, "due": args.due,
            "due_run": {"seconds": round(due_run["wall"], 2), "cpu_seconds":
                        round(due_run["cpu"], 2), "rss_mib": round(due_run["rss_mib"], 1),
                        "notices": notices},
            "idle_ms": round(idle_ms, 1), "baseline_ms": round(base_ms, 1),
            "idle_ratio": round(ratio, 2), "ok": ok}, indent=2) + "\n")
    return 0 if all(ok.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
