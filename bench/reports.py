#!/usr/bin/env python3
"""Time every report as a whole command on large desks: wall time and peak memory.

    python bench/reports.py /tmp/bench/desk-100k.db /tmp/bench/desk-1m.db
    python bench/reports.py /tmp/bench/desk-1m.db --formats json,html,table --repeat 5

Run it with the Python of a venv where deskcli is installed. Each report runs as its own
`deskcli` process (start-up, imports and rendering included) over a 30-day window ending
at the desk's seeding moment (bench/seed.py stores it in the desk's meta table; override
with --now), `--repeat` times after one warm-up run; the median time and the largest peak
RSS (from wait4) are printed as a Markdown table, ready for bench/README.md, and as JSON
lines with --json. A desk that does not exist yet is seeded with bench/seed.py first
(--tickets, default 1,000,000; give the count in the file name, e.g. desk-100k.db).

The first run on a desk seeded by an older deskcli also applies pending migrations
(m005_reports builds the report indexes: about 40 s on 1M tickets); the warm-up run takes
that cost, so the figures are those of every later run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPORTS = [
    ("summary", []),
    ("sla", []),
    ("agents", []),
    ("fields", ["--type", "app-crash", "--by", "phone_model", "--by", "app_version"]),
    ("trend", []),
    ("trend by week", ["--by", "week"]),
]
LIMIT_SECONDS = 2.0
LIMIT_MIB = 200


def deskcli() -> list[str]:
    beside = Path(sys.executable).with_name("deskcli")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "deskcli"]


def seeded_now(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'bench.seed'").fetchone()
    finally:
        conn.close()
    return json.loads(row[0])["now"] if row else "2026-11-28T00:00:00Z"


def ensure_desk(path: Path, tickets: int | None) -> None:
    if path.exists():
        return
    if tickets is None:
        match = re.search(r"(\d+)([km]?)\.db$", path.name)
        tickets = (int(match.group(1)) * {"": 1, "k": 1000, "m": 1_000_000}[match.group(2)]
                   if match else 1_000_000)
    print(f"seeding {path} with {tickets:,} tickets (bench/seed.py) ...", file=sys.stderr)
    subprocess.run([sys.executable, str(Path(__file__).with_name("seed.py")), str(path),
                    "--tickets", str(tickets)], check=True)


def child_env(now: str) -> dict:
    """The environment of a timed command. Bytecode is cached (outside the source tree), as
    an installed package has it: $PYTHONDONTWRITEBYTECODE would make every run compile
    deskcli from source again."""
    import tempfile

    env = {**os.environ, "DESKCLI_NOW": now, "DESKCLI_USER": "admin",
           "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "deskcli-bench-pycache")}
    for name in ("COLUMNS", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    return env


def run_once(args: list[str], env: dict) -> tuple[float, float, int, float]:
    """(wall seconds, peak MiB, exit status, CPU seconds) of one whole command. CPU time
    (user + system) is what the command itself costs; wall time also holds waiting for a
    core when the machine is busy."""
    started = time.perf_counter()
    child = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    err = child.stderr.read().decode() if child.stderr else ""
    child.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(f"  failed ({code}): {' '.join(args[1:])}\n  {err.strip()}", file=sys.stderr)
    return elapsed, usage.ru_maxrss / 1024, code, usage.ru_utime + usage.ru_stime


def summarise(desk: str, report: str, fmt: str, runs: list[tuple]) -> dict:
    return {"desk": desk, "report": report, "format": fmt,
            "seconds": round(statistics.median(r[0] for r in runs), 3),
            "max_seconds": round(max(r[0] for r in runs), 3),
            "cpu_seconds": round(statistics.median(r[3] for r in runs), 3),
            "peak_mib": round(max(r[1] for r in runs), 1),
            "ok": all(r[2] == 0 for r in runs)}


def bench(paths: list[Path], formats: list[str], repeat: int, now: str | None,
          as_json: bool) -> int:
    results = []
    for path in paths:
        env = child_env(now or seeded_now(path))
        for name, extra in REPORTS:
            for fmt in formats:
                args = [*deskcli(), "report", name.split()[0], "--db", str(path), "--since",
                        "30d", "--format", fmt, *extra]
                run_once(args, env)  # warm-up: page cache, pending migrations
                runs = [run_once(args, env) for _ in range(repeat)]
                row = summarise(path.name, name, fmt, runs)
                results.append(row)
                if as_json:
                    print(json.dumps(row), flush=True)
                else:
                    print(f"  {row['desk']:>16} {name:<14} {fmt:<5} {row['seconds']:6.2f} s "
                          f"(max {row['max_seconds']:.2f}, cpu {row['cpu_seconds']:.2f}) "
                          f"{row['peak_mib']:6.1f} MiB", file=sys.stderr, flush=True)
    if len(paths) > 1:  # the group view over every desk given
        env = child_env(now or seeded_now(paths[0]))
        args = [*deskcli(), "report", "summary", "--since", "30d", "--format", "json"]
        for path in paths:
            args += ["--db", str(path)]
        run_once(args, env)
        runs = [run_once(args, env) for _ in range(repeat)]
        results.append(summarise(" + ".join(p.name for p in paths), "summary (group)", "json",
                                 runs))
    if not as_json:
        print("| desk | report | format | median s | max s | CPU s | peak MiB |")
        print("|---|---|---|---:|---:|---:|---:|")
        for r in results:
            print(f"| {r['desk']} | {r['report']} | {r['format']} | {r['seconds']:.2f} | "
                  f"{r['max_seconds']:.2f} | {r['cpu_seconds']:.2f} | {r['peak_mib']:.0f} |")
    over = [r for r in results if not r["ok"] or r["max_seconds"] > LIMIT_SECONDS
            or r["peak_mib"] > LIMIT_MIB]
    for r in over:
        print(f"over the limit ({LIMIT_SECONDS} s, {LIMIT_MIB} MiB) or failed: {r}",
              file=sys.stderr)
    return 1 if over else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path, help="desk files (seeded if missing)")
    parser.add_argument("--formats", default="json,html",
                        help="comma-separated formats to time (default json,html)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per report")
    parser.add_argument("--now", help="the moment the 30-day window ends (default: the "
                                      "desk's seeding moment)")
    parser.add_argument("--tickets", type=int, help="tickets for a desk that must be seeded")
    parser.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    args = parser.parse_args(argv)
    for path in args.paths:
        ensure_desk(path, args.tickets)
    return bench(args.paths, args.formats.split(","), args.repeat, args.now, args.json)


if __name__ == "__main__":
    sys.exit(main())
