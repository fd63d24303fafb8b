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

To add a command, add a (name, argv) pair to COMMANDS. Placeholders:
  {python} {deskcli}  the venv's interpreter and console script
  {ticket}            a ticket in the middle of the desk      {agent}  the busiest agent
  {customer}          a customer key in the middle            {run}    the run number
  {copy}              a copy of the desk, for commands that write (use `--db {copy}`)
The environment has DESKCLI_DB (the desk) and DESKCLI_USER (the busiest agent; --user
changes it).
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

COMMANDS: list[tuple[str, list[str]]] = [
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
     ["{deskcli}", "--db", "{copy}", "ticket", "open", "--type", "app-crash",
      "--title", "Bench run {run}: App 闪退 on login", "-m",
      "家长说孩子上课时 App 闪退，重装后仍然如此。The app closes when the lesson starts.",
      "--customer", "{customer}", "--field", "phone_model=iPhone 15", "--field", "os=iOS",
      "--field", "app_version=3.2.1", "--source", "phone"]),
    ("whoami", ["{deskcli}", "whoami"]),
    # later: ("queue list", [...]), ("dashboard", [...]), ("ticket accept {ticket}", [...]),
    # ("remind run --dry-run", [...]) ...
]


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


def run_once(argv: list[str], env: dict) -> tuple[float, float, int, bytes]:
    """Wall ms, CPU ms (user + system, from wait4: this child only), exit code, stderr."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=err)
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
    commands = [(n, a) for n, a in COMMANDS
                if n == BASELINE or not args.only or any(o in n for o in args.only)]
    workdir = Path(tempfile.mkdtemp(prefix="deskcli-startup-", dir=db.parent))
    copy = workdir / "copy.db"
    if any("{copy}" in a for _, argv_ in commands for a in argv_):
        print(f"copying the desk for write commands ({db.stat().st_size / 2**20:,.0f} MiB) ...",
              file=sys.stderr)
        copy_desk(db, copy)
    values = {**facts, "python": str(python), "deskcli": str(deskcli), "copy": str(copy)}
    env = {**os.environ, "DESKCLI_DB": str(db), "DESKCLI_USER": args.user or facts["agent"]}
    for key in ("DESKCLI_NOW", "DESKCLI_DEBUG"):
        env.pop(key, None)

    times: dict[str, list[float]] = {name: [] for name, _ in commands}
    cpu: dict[str, list[float]] = {name: [] for name, _ in commands}
    load_before = os.getloadavg()[0]
    try:
        for run in range(args.runs + 1):  # round 0: check and warm up, not timed
            for name, argv_ in commands:
                wall, used, code, err = run_once(fill(argv_, {**values, "run": run}), env)
                if code != 0:
                    sys.exit(f"{name.format(**values)} failed ({code}):\n"
                             f"{err.decode(errors='replace').strip()}")
                if run:
                    times[name].append(wall)
                    cpu[name].append(used)
            if run:
                print(f"\rround {run}/{args.runs}", end="", file=sys.stderr)
        print(file=sys.stderr)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    load_after = os.getloadavg()[0]

    base = statistics.median(times[BASELINE])
    base_cpu = statistics.median(cpu[BASELINE])
    rows = []
    for name, _ in commands:
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
          f"DESKCLI_USER={env['DESKCLI_USER']} ({facts['agent_in_progress']:,} in progress)\n")
    print(f"| command | median ms | p90 ms | × baseline | CPU ms | CPU × baseline "
          f"| ≤ {TARGET_RATIO:g}× |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in rows:
        verdict = "" if r["command"].startswith("baseline") else ("yes" if r["ok"] else "**NO**")
        print(f"| `{r['command']}` | {r['median_ms']:.1f} | {r['p90_ms']:.1f} | "
              f"{r['ratio']:.2f} | {r['cpu_ms']:.0f} | {r['cpu_ratio']:.2f} | {verdict} |")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "desk": str(db), "facts": facts,
                                         "runs": args.runs, "results": rows}, indent=2,
                                        ensure_ascii=False) + "\n")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
